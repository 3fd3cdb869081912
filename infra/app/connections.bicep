// The `connections` parameter and how it becomes app settings. The shape mirrors ConnectorOptions.Connections
// (orchestrations/Configuration/ConnectorOptions.cs); every setting is emitted as an indexed key of the .NET
// configuration binder (`Connector__Connections__{i}__Sage__BaseUrl`). Secrets are never here: the *SecretName
// fields are Key Vault secret names, which the app's KeyVaultCredentialStore reads by name.

@export()
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
}

@export()
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
}

@export()
@description('The Sage 100 to Anaplan actuals flow; unset fields keep the app defaults.')
type actualsFlow = {
  enabled: bool?

  @description('Six-field cron (with seconds).')
  schedule: string?

  @description('IANA time zone of the schedule.')
  timeZone: string?
}

@export()
@description('The Anaplan to Sage 100 budgets flow; unset fields keep the app defaults (disabled).')
type budgetsFlow = {
  enabled: bool?

  @description('Six-field cron (with seconds).')
  schedule: string?

  @description('IANA time zone of the schedule.')
  timeZone: string?

  @description('Anaplan export action on the saved view of approved values.')
  export: string?

  @description('Version posted when a run names none (Budget, Forecast).')
  version: string?

  @description('Main account every journal entry is balanced against.')
  offsetAccount: string?
}

@export()
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

  actuals: actualsFlow?

  budgets: budgetsFlow?
}

// 'true'/'false' for a set flag, '' (dropped) for an unset one.
func flag(value bool?) string => value == null ? '' : (value! ? 'true' : 'false')

// Drops settings without a value, so unset optional fields keep the app's defaults.
func withoutEmpty(settings object) object =>
  toObject(filter(items(settings), setting => !empty(setting.value)), setting => setting.key, setting => setting.value)

@export()
@description('The app settings of connection number `index`.')
func connectionSettings(index int, c connection) object =>
  withoutEmpty(union(
    {
      'Connector__Connections__${index}__Id': c.id
      'Connector__Connections__${index}__CostCenterSegment': c.costCenterSegment
      'Connector__Connections__${index}__Sage__BaseUrl': c.sage.baseUrl
      'Connector__Connections__${index}__Sage__Company': c.sage.company
      'Connector__Connections__${index}__Sage__ApiKeyReference': c.sage.apiKeySecretName
      'Connector__Connections__${index}__Sage__TlsMode': c.sage.?tlsMode ?? ''
      'Connector__Connections__${index}__Anaplan__AuthUrl': c.anaplan.?authUrl ?? ''
      'Connector__Connections__${index}__Anaplan__ApiUrl': c.anaplan.?apiUrl ?? ''
      'Connector__Connections__${index}__Anaplan__WorkspaceId': c.anaplan.workspaceId
      'Connector__Connections__${index}__Anaplan__ModelId': c.anaplan.modelId
      'Connector__Connections__${index}__Anaplan__AuthMode': c.anaplan.?authMode ?? ''
      'Connector__Connections__${index}__Anaplan__UserName': c.anaplan.?userName ?? ''
      'Connector__Connections__${index}__Anaplan__PasswordReference': c.anaplan.?passwordSecretName ?? ''
      'Connector__Connections__${index}__Anaplan__CertificateReference': c.anaplan.?certificateSecretName ?? ''
      'Connector__Connections__${index}__Anaplan__PrivateKeyReference': c.anaplan.?privateKeySecretName ?? ''
      'Connector__Connections__${index}__Actuals__Enabled': flag(c.?actuals.?enabled)
      'Connector__Connections__${index}__Actuals__Schedule': c.?actuals.?schedule ?? ''
      'Connector__Connections__${index}__Actuals__TimeZone': c.?actuals.?timeZone ?? ''
      'Connector__Connections__${index}__Budgets__Enabled': flag(c.?budgets.?enabled)
      'Connector__Connections__${index}__Budgets__Schedule': c.?budgets.?schedule ?? ''
      'Connector__Connections__${index}__Budgets__TimeZone': c.?budgets.?timeZone ?? ''
      'Connector__Connections__${index}__Budgets__Export': c.?budgets.?export ?? ''
      'Connector__Connections__${index}__Budgets__Version': c.?budgets.?version ?? ''
      'Connector__Connections__${index}__Budgets__OffsetAccount': c.?budgets.?offsetAccount ?? ''
    },
    toObject(
      range(0, length(c.sage.?pinnedFingerprints ?? [])),
      j => 'Connector__Connections__${index}__Sage__PinnedFingerprints__${j}',
      j => c.sage.pinnedFingerprints![j]
    )
  ))

@export()
@description('The app settings of every connection.')
func allConnectionSettings(connections connection[]) object =>
  reduce(map(range(0, length(connections)), i => connectionSettings(i, connections[i])), {}, (all, next) => union(all, next))
