// The `connections` parameter and how it becomes app settings. The shape mirrors ConnectorOptions.Connections
// (orchestrations/Configuration/ConnectorOptions.cs), field for field in camelCase; every setting is emitted as an
// indexed key of the .NET configuration binder (`Connector__Connections__{i}__Sage__BaseUrl`), and a field left out is
// not emitted, so the app's default applies. Secrets are never here: the *SecretName fields are Key Vault secret names,
// which the app's KeyVaultCredentialStore reads by name. A test (tests/Connector.Infra.Tests) walks the options classes
// and fails for any setting this file does not carry. TimeSpan fields take .NET's "[d.]hh:mm:ss" ('00:01:40').

@export()
@sealed()
@description('The Sage 100 side of a connection.')
type sageSide = {
  @description('The Sage agent\'s https:// base URL.')
  baseUrl: string

  @description('The Sage company code (3 letters or digits, e.g. ABC).')
  company: string

  @description('Name of the Key Vault secret holding the agent API key (never the key itself).')
  apiKeySecretName: string

  @description('TLS mode toward the agent. The app defaults to System.')
  tlsMode: ('System' | 'Pinned' | 'InsecureSkipVerify')?

  @description('SHA-256 certificate fingerprints accepted in Pinned mode.')
  pinnedFingerprints: string[]?

  @description('Per-request timeout ("00:01:40" by default).')
  timeout: string?

  @description('Retries of a locked record or an unavailable agent (6 by default).')
  @minValue(0)
  maxRetryAttempts: int?

  @description('First retry delay, doubling with jitter ("00:00:01" by default).')
  retryBaseDelay: string?

  @description('Rows asked of the agent in one page (1000 by default; the agent may cap it).')
  @minValue(1)
  @maxValue(5000)
  pageSize: int?
}

@export()
@sealed()
@description('The Anaplan side of a connection.')
type anaplanSide = {
  @description('Auth base URL. The app defaults to https://auth.anaplan.com.')
  authUrl: string?

  @description('Integration API base URL. The app defaults to https://api.anaplan.com/2/0.')
  apiUrl: string?

  @description('Workspace id (32 hexadecimal characters).')
  workspaceId: string

  @description('Model id (32 hexadecimal characters).')
  modelId: string

  @description('Basic or Certificate. The app defaults to Basic.')
  authMode: ('Basic' | 'Certificate')?

  @description('Anaplan user name (Basic).')
  userName: string?

  @description('Name of the Key Vault secret holding the password (Basic).')
  passwordSecretName: string?

  @description('Name of the Key Vault secret holding the PEM certificate (Certificate).')
  certificateSecretName: string?

  @description('Name of the Key Vault secret holding the PEM private key (Certificate).')
  privateKeySecretName: string?

  @description('Upload chunk size in MB of uncompressed CSV (1-50, 10 by default).')
  @minValue(1)
  @maxValue(50)
  chunkSizeMb: int?

  @description('This app\'s share of the tenant\'s 600 requests per minute (480 by default).')
  @minValue(1)
  requestsPerMinute: int?

  @description('Task poll interval of the first minute; Anaplan asks for 5 s at least ("00:00:05" by default).')
  pollInterval: string?

  @description('How long a task may run before the run gives up on it ("06:00:00" by default).')
  taskTimeout: string?
}

@export()
@sealed()
@description('Anaplan import action names of the actuals flow; unset names keep the shipped model\'s.')
type actualsImports = {
  accounts: string?
  costCenters: string?
  vendors: string?
  glActuals: string?
  apActuals: string?
}

@export()
@sealed()
@description('Anaplan export action names that list dimension members; unset names keep the shipped model\'s.')
type dimensionExports = {
  accounts: string?
  costCenters: string?
}

@export()
@sealed()
@description('Header names of the GL read-back export; unset names keep the shipped model\'s.')
type glReadBackColumns = {
  account: string?
  costCenter: string?
  period: string?
  debit: string?
  credit: string?
  net: string?
}

@export()
@sealed()
@description('Header names of the AP read-back export; unset names keep the shipped model\'s.')
type apReadBackColumns = {
  vendor: string?
  costCenter: string?
  period: string?
  invoiceAmount: string?
  invoiceCount: string?
}

@export()
@sealed()
@description('The Anaplan lists alignment reads through the list API; unset names keep the shipped model\'s, \'\' for no cost-centre list.')
type dimensionLists = {
  accounts: string?
  costCenters: string?
}

@export()
@description('Column overrides of one import: header (its letters and digits, e.g. CostCenter for "Cost Center") to a field, or "=" and a fixed value.')
type columnOverrides = {
  *: string
}

@export()
@sealed()
@description('Column overrides per import; headers not named here are mapped by name and alias.')
type importColumns = {
  accounts: columnOverrides?
  costCenters: columnOverrides?
  vendors: columnOverrides?
  glActuals: columnOverrides?
  apActuals: columnOverrides?
}

@export()
@sealed()
@description('Header names of the budget export; \'\' for a column the view does not have (the version fixed by the view, a combined account code, periods across columns).')
type budgetColumns = {
  account: string?
  costCenter: string?
  period: string?
  version: string?
  amount: string?
}

@export()
@sealed()
@description('Read-back exports that reconcile each GL and AP load against Sage; without one the run says "not reconciled".')
type readBack = {
  @description('Export action over the GL actuals module (e.g. "GL Actuals Read-back").')
  glExport: string?

  @description('Export action over the AP actuals module (e.g. "AP Actuals Read-back").')
  apExport: string?

  glColumns: glReadBackColumns?

  apColumns: apReadBackColumns?
}

@export()
@sealed()
@description('The Sage 100 to Anaplan actuals flow; unset fields keep the app defaults.')
type actualsFlow = {
  enabled: bool?

  @description('Six-field cron (with seconds).')
  schedule: string?

  @description('IANA time zone of the schedule.')
  timeZone: string?

  @description('Closed periods before the current one that are sent again (1 by default).')
  @minValue(0)
  @maxValue(12)
  priorPeriods: int?

  @description('GL rows staged in one file before the next file starts (250000 by default; 0: GL in one file whatever its size).')
  @minValue(0)
  glRowsPerFile: int?

  @description('Most staged GL files one import takes when several wait for the model lock (4 by default; 1: each file its own import).')
  @minValue(1)
  @maxValue(8)
  glFilesPerImport: int?

  @description('Overlap subtracted from an incremental watermark ("00:10:00" by default).')
  incrementalOverlap: string?

  imports: actualsImports?

  exports: dimensionExports?

  lists: dimensionLists?

  columns: importColumns?

  readBack: readBack?
}

@export()
@sealed()
@description('The Anaplan to Sage 100 budgets flow; unset fields keep the app defaults (disabled).')
type budgetsFlow = {
  enabled: bool?

  @description('Six-field cron (with seconds).')
  schedule: string?

  @description('IANA time zone of the schedule.')
  timeZone: string?

  @description('Anaplan export action on the saved view of approved values.')
  export: string?

  @description('Rows (one amount column) or PeriodColumns (one column per period, the header its code). The app defaults to Rows.')
  layout: ('Rows' | 'PeriodColumns')?

  columns: budgetColumns?

  @description('Version posted when a run names none (Budget, Forecast).')
  version: string?

  @description('Main account every journal entry is balanced against.')
  offsetAccount: string?

  @description('Sage source journal (GJ by default).')
  sourceJournal: string?

  @description('How lines are grouped into entries.')
  grouping: ('VersionPeriodCostCenter' | 'VersionPeriod' | 'VersionPeriodAccount')?

  @description('Batches of entries posted at once (2 by default).')
  @minValue(1)
  @maxValue(16)
  maxParallelPosts: int?

  @description('Entries one posting activity posts, one after the other (50 by default).')
  @minValue(1)
  @maxValue(1000)
  postBatchSize: int?
}

@export()
@sealed()
@description('One Sage 100 company paired with one Anaplan model.')
type connection = {
  @description('Connection id: lower-case letters, digits and \'-\'.')
  @minLength(1)
  @maxLength(40)
  id: string

  sage: sageSide

  anaplan: anaplanSide

  @description('The account segment that is the cost centre: its number (2-10) or its description.')
  costCenterSegment: string

  @description('How a fiscal period is named in Anaplan: {year}/{yyyy}, {yy}, {period}/{pp}, {p}, {mon}, {mm} ("FY{year}-P{period}" by default).')
  periodFormat: string?

  @description('Whether the year in a period code is the fiscal year or the calendar year of the period (Fiscal by default).')
  periodYear: ('Fiscal' | 'Calendar')?

  @description('A 13th period: Own (its own code), Fold (into period 12) or Skip. The app defaults to Own.')
  period13: ('Own' | 'Fold' | 'Skip')?

  @description('The 13th period\'s own format (e.g. "FY{yy} Adj"); unset uses periodFormat.')
  period13Format: string?

  @description('The Anaplan account item of a Sage account: {account}, {costcenter}, {sage} ("{account}" by default).')
  accountFormat: string?

  actuals: actualsFlow?

  budgets: budgetsFlow?
}

// 'true'/'false' for a set flag, null (dropped) for an unset one.
func flag(value bool?) string? => value == null ? null : (value! ? 'true' : 'false')

// The number as text for a set one ('0' included), null (dropped) for an unset one.
func number(value int?) string? => value == null ? null : string(value!)

// Drops unset settings (null), so unset optional fields keep the app's defaults. A field set to '' is kept: an empty
// setting clears a default (no version column in the budget view, no cost-centre list).
func withoutUnset(settings object) object =>
  toObject(filter(items(settings), setting => setting.value != null), setting => setting.key, setting => setting.value)

// One app setting per entry of a dictionary setting (column overrides), under `prefix`.
func entries(prefix string, values object?) object =>
  toObject(items(values ?? {}), entry => '${prefix}__${entry.key}', entry => entry.value)

@export()
@description('The app settings of connection number `index`.')
func connectionSettings(index int, c connection) object =>
  withoutUnset(union(
    {
      'Connector__Connections__${index}__Id': c.id
      'Connector__Connections__${index}__CostCenterSegment': c.costCenterSegment
      'Connector__Connections__${index}__PeriodFormat': c.?periodFormat
      'Connector__Connections__${index}__PeriodYear': c.?periodYear
      'Connector__Connections__${index}__Period13': c.?period13
      'Connector__Connections__${index}__Period13Format': c.?period13Format
      'Connector__Connections__${index}__AccountFormat': c.?accountFormat
      'Connector__Connections__${index}__Sage__BaseUrl': c.sage.baseUrl
      'Connector__Connections__${index}__Sage__Company': c.sage.company
      'Connector__Connections__${index}__Sage__ApiKeyReference': c.sage.apiKeySecretName
      'Connector__Connections__${index}__Sage__TlsMode': c.sage.?tlsMode
      'Connector__Connections__${index}__Sage__Timeout': c.sage.?timeout
      'Connector__Connections__${index}__Sage__MaxRetryAttempts': number(c.sage.?maxRetryAttempts)
      'Connector__Connections__${index}__Sage__RetryBaseDelay': c.sage.?retryBaseDelay
      'Connector__Connections__${index}__Sage__PageSize': number(c.sage.?pageSize)
      'Connector__Connections__${index}__Anaplan__AuthUrl': c.anaplan.?authUrl
      'Connector__Connections__${index}__Anaplan__ApiUrl': c.anaplan.?apiUrl
      'Connector__Connections__${index}__Anaplan__WorkspaceId': c.anaplan.workspaceId
      'Connector__Connections__${index}__Anaplan__ModelId': c.anaplan.modelId
      'Connector__Connections__${index}__Anaplan__AuthMode': c.anaplan.?authMode
      'Connector__Connections__${index}__Anaplan__UserName': c.anaplan.?userName
      'Connector__Connections__${index}__Anaplan__PasswordReference': c.anaplan.?passwordSecretName
      'Connector__Connections__${index}__Anaplan__CertificateReference': c.anaplan.?certificateSecretName
      'Connector__Connections__${index}__Anaplan__PrivateKeyReference': c.anaplan.?privateKeySecretName
      'Connector__Connections__${index}__Anaplan__ChunkSizeMb': number(c.anaplan.?chunkSizeMb)
      'Connector__Connections__${index}__Anaplan__RequestsPerMinute': number(c.anaplan.?requestsPerMinute)
      'Connector__Connections__${index}__Anaplan__PollInterval': c.anaplan.?pollInterval
      'Connector__Connections__${index}__Anaplan__TaskTimeout': c.anaplan.?taskTimeout
      'Connector__Connections__${index}__Actuals__Enabled': flag(c.?actuals.?enabled)
      'Connector__Connections__${index}__Actuals__Schedule': c.?actuals.?schedule
      'Connector__Connections__${index}__Actuals__TimeZone': c.?actuals.?timeZone
      'Connector__Connections__${index}__Actuals__PriorPeriods': number(c.?actuals.?priorPeriods)
      'Connector__Connections__${index}__Actuals__GlRowsPerFile': number(c.?actuals.?glRowsPerFile)
      'Connector__Connections__${index}__Actuals__GlFilesPerImport': number(c.?actuals.?glFilesPerImport)
      'Connector__Connections__${index}__Actuals__IncrementalOverlap': c.?actuals.?incrementalOverlap
      'Connector__Connections__${index}__Actuals__Imports__Accounts': c.?actuals.?imports.?accounts
      'Connector__Connections__${index}__Actuals__Imports__CostCenters': c.?actuals.?imports.?costCenters
      'Connector__Connections__${index}__Actuals__Imports__Vendors': c.?actuals.?imports.?vendors
      'Connector__Connections__${index}__Actuals__Imports__GlActuals': c.?actuals.?imports.?glActuals
      'Connector__Connections__${index}__Actuals__Imports__ApActuals': c.?actuals.?imports.?apActuals
      'Connector__Connections__${index}__Actuals__Exports__Accounts': c.?actuals.?exports.?accounts
      'Connector__Connections__${index}__Actuals__Exports__CostCenters': c.?actuals.?exports.?costCenters
      'Connector__Connections__${index}__Actuals__Lists__Accounts': c.?actuals.?lists.?accounts
      'Connector__Connections__${index}__Actuals__Lists__CostCenters': c.?actuals.?lists.?costCenters
      'Connector__Connections__${index}__Actuals__ReadBack__GlExport': c.?actuals.?readBack.?glExport
      'Connector__Connections__${index}__Actuals__ReadBack__ApExport': c.?actuals.?readBack.?apExport
      'Connector__Connections__${index}__Actuals__ReadBack__GlColumns__Account': c.?actuals.?readBack.?glColumns.?account
      'Connector__Connections__${index}__Actuals__ReadBack__GlColumns__CostCenter': c.?actuals.?readBack.?glColumns.?costCenter
      'Connector__Connections__${index}__Actuals__ReadBack__GlColumns__Period': c.?actuals.?readBack.?glColumns.?period
      'Connector__Connections__${index}__Actuals__ReadBack__GlColumns__Debit': c.?actuals.?readBack.?glColumns.?debit
      'Connector__Connections__${index}__Actuals__ReadBack__GlColumns__Credit': c.?actuals.?readBack.?glColumns.?credit
      'Connector__Connections__${index}__Actuals__ReadBack__GlColumns__Net': c.?actuals.?readBack.?glColumns.?net
      'Connector__Connections__${index}__Actuals__ReadBack__ApColumns__Vendor': c.?actuals.?readBack.?apColumns.?vendor
      'Connector__Connections__${index}__Actuals__ReadBack__ApColumns__CostCenter': c.?actuals.?readBack.?apColumns.?costCenter
      'Connector__Connections__${index}__Actuals__ReadBack__ApColumns__Period': c.?actuals.?readBack.?apColumns.?period
      'Connector__Connections__${index}__Actuals__ReadBack__ApColumns__InvoiceAmount': c.?actuals.?readBack.?apColumns.?invoiceAmount
      'Connector__Connections__${index}__Actuals__ReadBack__ApColumns__InvoiceCount': c.?actuals.?readBack.?apColumns.?invoiceCount
      'Connector__Connections__${index}__Budgets__Enabled': flag(c.?budgets.?enabled)
      'Connector__Connections__${index}__Budgets__Schedule': c.?budgets.?schedule
      'Connector__Connections__${index}__Budgets__TimeZone': c.?budgets.?timeZone
      'Connector__Connections__${index}__Budgets__Export': c.?budgets.?export
      'Connector__Connections__${index}__Budgets__Layout': c.?budgets.?layout
      'Connector__Connections__${index}__Budgets__Columns__Account': c.?budgets.?columns.?account
      'Connector__Connections__${index}__Budgets__Columns__CostCenter': c.?budgets.?columns.?costCenter
      'Connector__Connections__${index}__Budgets__Columns__Period': c.?budgets.?columns.?period
      'Connector__Connections__${index}__Budgets__Columns__Version': c.?budgets.?columns.?version
      'Connector__Connections__${index}__Budgets__Columns__Amount': c.?budgets.?columns.?amount
      'Connector__Connections__${index}__Budgets__Version': c.?budgets.?version
      'Connector__Connections__${index}__Budgets__OffsetAccount': c.?budgets.?offsetAccount
      'Connector__Connections__${index}__Budgets__SourceJournal': c.?budgets.?sourceJournal
      'Connector__Connections__${index}__Budgets__Grouping': c.?budgets.?grouping
      'Connector__Connections__${index}__Budgets__MaxParallelPosts': number(c.?budgets.?maxParallelPosts)
      'Connector__Connections__${index}__Budgets__PostBatchSize': number(c.?budgets.?postBatchSize)
    },
    toObject(
      range(0, length(c.sage.?pinnedFingerprints ?? [])),
      j => 'Connector__Connections__${index}__Sage__PinnedFingerprints__${j}',
      j => c.sage.pinnedFingerprints![j]
    ),
    entries('Connector__Connections__${index}__Actuals__Columns__Accounts', c.?actuals.?columns.?accounts),
    entries('Connector__Connections__${index}__Actuals__Columns__CostCenters', c.?actuals.?columns.?costCenters),
    entries('Connector__Connections__${index}__Actuals__Columns__Vendors', c.?actuals.?columns.?vendors),
    entries('Connector__Connections__${index}__Actuals__Columns__GlActuals', c.?actuals.?columns.?glActuals),
    entries('Connector__Connections__${index}__Actuals__Columns__ApActuals', c.?actuals.?columns.?apActuals)
  ))

@export()
@description('The app settings of every connection.')
func allConnectionSettings(connections connection[]) object =>
  reduce(map(range(0, length(connections)), i => connectionSettings(i, connections[i])), {}, (all, next) => union(all, next))

@export()
@description('Every Key Vault secret name the connections refer to, each once.')
func secretNames(connections connection[]) string[] =>
  reduce(
    map(connections, c => filter([
      c.sage.apiKeySecretName
      c.anaplan.?passwordSecretName ?? ''
      c.anaplan.?certificateSecretName ?? ''
      c.anaplan.?privateKeySecretName ?? ''
    ], name => !empty(name))),
    [],
    (all, next) => union(all, next))
