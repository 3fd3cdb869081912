namespace Connector.Orchestrations.Configuration;

/// <summary>
/// The connector's configuration (section <c>Connector</c>): several connections, each one Sage 100 company paired with
/// one Anaplan model, with the flows that run between them. Secrets are never here: only references into the
/// credential store.
/// </summary>
public sealed class ConnectorOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Connector";

    /// <summary>Gets or sets the connections.</summary>
    public List<ConnectionOptions> Connections { get; set; } = [];

    /// <summary>Gets or sets where staging blobs and audit tables live.</summary>
    public StorageOptions Storage { get; set; } = new();

    /// <summary>Gets or sets how long finished runs, their audit and their staging are kept.</summary>
    public RetentionOptions Retention { get; set; } = new();

    /// <summary>Finds a connection by id.</summary>
    /// <exception cref="Operations.ConnectionNotFoundException">No connection has that id.</exception>
    public ConnectionOptions Get(string connectionId)
        => this.Connections.FirstOrDefault(c => string.Equals(c.Id, connectionId, StringComparison.OrdinalIgnoreCase))
            ?? throw new Operations.ConnectionNotFoundException(connectionId);
}

/// <summary>
/// Retention (section <c>Connector:Retention</c>): a daily job (the Functions app's <c>RetentionPurge</c> timer, the local
/// worker's retention service) purges finished runs older than <see cref="Days"/> with their sub-runs, audit, recorded
/// step results and staging. The staging container's lifecycle rule (infra) deletes run staging some days later still,
/// as a backstop.
/// </summary>
public sealed class RetentionOptions
{
    /// <summary>Gets or sets after how many days a finished run is purged (0 keeps runs forever); 90 by default.</summary>
    public int Days { get; set; } = 90;
}

/// <summary>Storage for staging (Blob) and audit, mappings and watermarks (Table).</summary>
public sealed class StorageOptions
{
    /// <summary>Gets or sets a connection string; empty means the Functions/host storage (AzureWebJobsStorage).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Gets or sets the account's blob endpoint for identity-based access.</summary>
    public Uri? BlobServiceUri { get; set; }

    /// <summary>Gets or sets the account's table endpoint for identity-based access.</summary>
    public Uri? TableServiceUri { get; set; }

    /// <summary>Gets or sets the user-assigned managed identity client id for identity-based access.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Gets or sets the staging container.</summary>
    public string StagingContainer { get; set; } = "connector-staging";

    /// <summary>Gets or sets the prefix of every table the connector creates (letters and digits).</summary>
    public string TablePrefix { get; set; } = "Connector";
}

/// <summary>One Sage 100 company ⇄ one Anaplan model.</summary>
public sealed class ConnectionOptions
{
    /// <summary>Gets or sets the connection id: lower-case letters, digits and '-', used in run ids and blob paths.</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>Gets or sets the Sage 100 side.</summary>
    public SageSideOptions Sage { get; set; } = new();

    /// <summary>Gets or sets the Anaplan side.</summary>
    public AnaplanSideOptions Anaplan { get; set; } = new();

    /// <summary>
    /// Gets or sets which account segment is the cost centre: its number (2–10) or its description in the company's
    /// account structure (e.g. "Department"). Sage has no cost-centre entity; which segment plays that role differs per
    /// company.
    /// </summary>
    public string CostCenterSegment { get; set; } = string.Empty;

    /// <summary>
    /// Gets or sets how a fiscal period is named in Anaplan. Tokens: <c>{yyyy}</c> (or <c>{year}</c>) and <c>{yy}</c> the
    /// year; <c>{pp}</c> (or <c>{period}</c>) the period with two digits, <c>{p}</c> without padding; <c>{mon}</c> the
    /// month as Anaplan's native time shows it (<c>{mon} {yy}</c> → <c>Jan 26</c>), <c>{mm}</c> its number. The default
    /// is the shipped model's (<c>FY2026-P03</c>).
    /// </summary>
    public string PeriodFormat { get; set; } = "FY{year}-P{period}";

    /// <summary>
    /// Gets or sets which year the year tokens show: <c>Fiscal</c> (the fiscal year as Sage names it; default) or
    /// <c>Calendar</c> (the calendar year of the period, as native time labels months). The company's fiscal calendar comes
    /// from the agent.
    /// </summary>
    public string PeriodYear { get; set; } = "Fiscal";

    /// <summary>
    /// Gets or sets what happens to a 13th period: <c>Own</c> (its own code; default), <c>Fold</c> (added into period 12's
    /// cells) or <c>Skip</c> (not sent; budgets cannot target it).
    /// </summary>
    public string Period13 { get; set; } = "Own";

    /// <summary>Gets or sets the 13th period's own format (e.g. <c>FY{yy} Adj</c>) with <c>Period13</c> Own; empty: <see cref="PeriodFormat"/>.</summary>
    public string? Period13Format { get; set; }

    /// <summary>
    /// Gets or sets how the Anaplan account item is made from a Sage account: <c>{account}</c> the account without its
    /// cost-centre segment (or its mapping override; default: the cost centre is its own dimension), <c>{costcenter}</c> the
    /// cost-centre item, <c>{sage}</c> the whole Sage account. <c>{account}-{costcenter}</c> or <c>{sage}</c> make one
    /// combined code, for models whose account list holds account and cost centre together.
    /// </summary>
    public string AccountFormat { get; set; } = "{account}";

    /// <summary>Gets or sets the actuals flow (Sage 100 → Anaplan).</summary>
    public ActualsFlowOptions Actuals { get; set; } = new();

    /// <summary>Gets or sets the budgets flow (Anaplan → Sage 100).</summary>
    public BudgetsFlowOptions Budgets { get; set; } = new();
}

/// <summary>How to reach the connection's Sage 100 agent.</summary>
public sealed class SageSideOptions
{
    /// <summary>Gets or sets the agent's HTTPS base URL.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>Gets or sets the Sage company code (e.g. ABC); it travels with every request.</summary>
    public string Company { get; set; } = string.Empty;

    /// <summary>Gets or sets the credential-store reference of the agent API key.</summary>
    public string ApiKeyReference { get; set; } = string.Empty;

    /// <summary>Gets or sets the TLS mode: System, Pinned (recommended for self-signed agents) or InsecureSkipVerify.</summary>
    public string TlsMode { get; set; } = "System";

    /// <summary>Gets or sets the SHA-256 fingerprints accepted in Pinned mode.</summary>
    public List<string> PinnedFingerprints { get; set; } = [];

    /// <summary>Gets or sets the per-request timeout.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>Gets or sets how many times a locked record or an unavailable agent is retried.</summary>
    public int MaxRetryAttempts { get; set; } = 6;

    /// <summary>Gets or sets the first retry delay (doubling, with jitter, honouring Retry-After).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets how many rows the connector asks the agent for in one page (1–5000; the agent may cap it).</summary>
    public int PageSize { get; set; } = 1000;
}

/// <summary>How to reach the connection's Anaplan model.</summary>
public sealed class AnaplanSideOptions
{
    /// <summary>Gets or sets the auth base URL (regional hosts exist).</summary>
    public Uri AuthUrl { get; set; } = new("https://auth.anaplan.com");

    /// <summary>Gets or sets the Integration API base URL (e.g. https://api.anaplan.com/2/0).</summary>
    public Uri ApiUrl { get; set; } = new("https://api.anaplan.com/2/0");

    /// <summary>Gets or sets the workspace id (32 lower-case hex).</summary>
    public string WorkspaceId { get; set; } = string.Empty;

    /// <summary>Gets or sets the model id (32 upper-case hex).</summary>
    public string ModelId { get; set; } = string.Empty;

    /// <summary>Gets or sets the auth mode: Basic or Certificate.</summary>
    public string AuthMode { get; set; } = "Basic";

    /// <summary>Gets or sets the user name (Basic).</summary>
    public string? UserName { get; set; }

    /// <summary>Gets or sets the credential-store reference of the password (Basic).</summary>
    public string? PasswordReference { get; set; }

    /// <summary>Gets or sets the credential-store reference of the PEM certificate (Certificate).</summary>
    public string? CertificateReference { get; set; }

    /// <summary>Gets or sets the credential-store reference of the PEM private key (Certificate).</summary>
    public string? PrivateKeyReference { get; set; }

    /// <summary>Gets or sets the upload chunk size in MB of uncompressed CSV (1–50).</summary>
    public int ChunkSizeMb { get; set; } = 10;

    /// <summary>Gets or sets this process's share of the tenant's 600 requests per minute.</summary>
    public int RequestsPerMinute { get; set; } = 480;

    /// <summary>
    /// Gets or sets the task poll interval of the first minute, after a first check a second after the start (then it
    /// grows: 10 s, 30 s, 60 s). Anaplan asks for at least 5 s; only an emulator on loopback may be polled faster, at
    /// most every second (durable timers are whole seconds).
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets how long a task may run before the run gives up on it (and cancels it).</summary>
    public TimeSpan TaskTimeout { get; set; } = TimeSpan.FromHours(6);
}

/// <summary>The Sage 100 → Anaplan actuals flow.</summary>
public sealed class ActualsFlowOptions
{
    /// <summary>Gets or sets a value indicating whether the flow runs.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Gets or sets the schedule (six-field cron with seconds, UTC unless <see cref="TimeZone"/>).</summary>
    public string Schedule { get; set; } = "0 0 2 * * *";

    /// <summary>Gets or sets the schedule's time zone (IANA id).</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>Gets or sets how many closed periods before the current one are re-sent (late postings change them).</summary>
    public int PriorPeriods { get; set; } = 1;

    /// <summary>Gets or sets the overlap subtracted from a watermark, so rows updated while a pull ran are not missed.</summary>
    public TimeSpan IncrementalOverlap { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Gets or sets how many GL rows (as read from Sage) one staged GL file holds before the extraction stops at the next
    /// page boundary and that file is imported while the next one is extracted; 0 stages GL in one file whatever its size.
    /// A run whose rows are summed into cells (several Sage rows on one Anaplan cell) is always one file.
    /// </summary>
    public long GlRowsPerFile { get; set; } = 250_000;

    /// <summary>
    /// Gets or sets the most staged GL files one import takes: files waiting when the model lock comes free go in one
    /// import, up to this many (1: each file its own import; at most 8, the files the extraction runs ahead). Every import
    /// is a model lock, an upload declaration, a task and its status checks (and, in Anaplan, a recalculation of the
    /// model). Default 4, 1 M rows at the default file size: until a first status check of the action has found a task
    /// running, a young connection checks an import after at most 1 s, and an import longer than that misses its first
    /// check and waits Anaplan's 5 s cadence.
    /// </summary>
    public int GlFilesPerImport { get; set; } = 4;

    /// <summary>Gets or sets the import action names.</summary>
    public ActualsImports Imports { get; set; } = new();

    /// <summary>
    /// Gets or sets the lists whose members alignment reads back (through the Integration API's list read) after the list
    /// imports; an empty cost-centre list means the model has no cost-centre dimension (a combined <c>AccountFormat</c>).
    /// </summary>
    public DimensionLists Lists { get; set; } = new();

    /// <summary>
    /// Gets or sets export actions that list dimension members, used only when the list read is refused (it needs a
    /// workspace administrator) and one is set. None by default.
    /// </summary>
    public DimensionExports Exports { get; set; } = new();

    /// <summary>
    /// Gets or sets, per import, which field fills a column whose header is not a field's name or alias (header → field,
    /// or <c>=</c> and a fixed value such as <c>=Actual</c>). The connector reads each import's header names from Anaplan
    /// and maps the rest by name.
    /// </summary>
    public ImportColumnOptions Columns { get; set; } = new();

    /// <summary>
    /// Gets or sets the read-back exports that reconcile each GL and AP load against Sage (none by default: the run then
    /// says "not reconciled").
    /// </summary>
    public ReadBackOptions ReadBack { get; set; } = new();
}

/// <summary>
/// Reconciliation that is observed, not computed: right after the GL (AP) import, inside the same model lock, the connector
/// runs this export of the actuals module, downloads it and compares it with what Sage holds, per period to the cent and
/// per account × cost centre (vendor). The model builder chooses the export's column names; they are settings here.
/// </summary>
public sealed class ReadBackOptions
{
    /// <summary>Gets or sets the export action over the GL actuals module (e.g. "GL Actuals Read-back"); null or empty: GL is not reconciled.</summary>
    public string? GlExport { get; set; }

    /// <summary>Gets or sets the export action over the AP actuals module (e.g. "AP Actuals Read-back"); null or empty: AP is not reconciled.</summary>
    public string? ApExport { get; set; }

    /// <summary>Gets or sets the GL read-back export's column names (an empty one is not compared: the model does not hold it).</summary>
    public GlReadBackColumns GlColumns { get; set; } = new();

    /// <summary>Gets or sets the AP read-back export's column names.</summary>
    public ApReadBackColumns ApColumns { get; set; } = new();
}

/// <summary>Header names of the GL read-back export (defaults: the shipped model's).</summary>
public sealed class GlReadBackColumns
{
    public string Account { get; set; } = "Account";

    public string? CostCenter { get; set; } = "Cost Center";

    public string Period { get; set; } = "Period";

    public string? Debit { get; set; } = "Debit";

    public string? Credit { get; set; } = "Credit";

    public string? Net { get; set; } = "Net";

    /// <summary>Gets the names in the order of the GL fields (account, cost centre, period, debit, credit, net); empty: not shown.</summary>
    public IReadOnlyList<string> All() => [this.Account, this.CostCenter ?? string.Empty, this.Period, this.Debit ?? string.Empty, this.Credit ?? string.Empty, this.Net ?? string.Empty];
}

/// <summary>Header names of the AP read-back export (defaults: the shipped model's).</summary>
public sealed class ApReadBackColumns
{
    public string Vendor { get; set; } = "Vendor";

    /// <summary>Gets or sets the cost-centre column, compared when the AP import sends AP by cost centre.</summary>
    public string? CostCenter { get; set; } = "Cost Center";

    public string Period { get; set; } = "Period";

    public string? InvoiceAmount { get; set; } = "Invoice Amount";

    public string? InvoiceCount { get; set; } = "Invoice Count";

    /// <summary>Gets the names in the order of the AP fields (vendor, cost centre, period, invoice amount, invoice count); empty: not shown.</summary>
    public IReadOnlyList<string> All() => [this.Vendor, this.CostCenter ?? string.Empty, this.Period, this.InvoiceAmount ?? string.Empty, this.InvoiceCount ?? string.Empty];
}

/// <summary>Anaplan import action names of the actuals flow.</summary>
public sealed class ActualsImports
{
    public string Accounts { get; set; } = "Accounts from Sage";

    /// <summary>Gets or sets the cost-centre list import; empty when the model has no cost-centre list.</summary>
    public string? CostCenters { get; set; } = "Cost Centers from Sage";

    public string Vendors { get; set; } = "Vendors from Sage";

    public string GlActuals { get; set; } = "GL Actuals from Sage";

    public string ApActuals { get; set; } = "AP Actuals from Sage";
}

/// <summary>Anaplan export action names that list dimension members (the fallback of <see cref="DimensionLists"/>); none by default.</summary>
public sealed class DimensionExports
{
    /// <summary>Gets or sets the export of the accounts list (e.g. "Accounts List"), whose "Code" column holds the items.</summary>
    public string? Accounts { get; set; }

    /// <summary>Gets or sets the export of the cost-centres list.</summary>
    public string? CostCenters { get; set; }
}

/// <summary>The Anaplan lists that hold the dimension members (defaults: the shipped model's).</summary>
public sealed class DimensionLists
{
    public string Accounts { get; set; } = "Accounts";

    /// <summary>Gets or sets the cost-centre list; empty when the model has none (the account item carries the cost centre).</summary>
    public string? CostCenters { get; set; } = "Cost Centers";
}

/// <summary>Column overrides per import: header → field (or <c>=</c> and a fixed value).</summary>
public sealed class ImportColumnOptions
{
    public Dictionary<string, string> Accounts { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<string, string> CostCenters { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<string, string> Vendors { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<string, string> GlActuals { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<string, string> ApActuals { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>The Anaplan → Sage 100 budgets flow.</summary>
public sealed class BudgetsFlowOptions
{
    /// <summary>Gets or sets a value indicating whether the flow runs.</summary>
    public bool Enabled { get; set; }

    /// <summary>Gets or sets the schedule (six-field cron with seconds).</summary>
    public string Schedule { get; set; } = "0 0 6 * * *";

    /// <summary>Gets or sets the schedule's time zone (IANA id).</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>Gets or sets the export action on the saved view of approved values.</summary>
    public string Export { get; set; } = "Approved Budget";

    /// <summary>
    /// Gets or sets how the saved view lays out its values: <c>Rows</c> (one amount column; default) or
    /// <c>PeriodColumns</c> (one column per period, its header the period's code).
    /// </summary>
    public string Layout { get; set; } = "Rows";

    /// <summary>Gets or sets the export's column names (defaults: the shipped model's); columns not named here are ignored.</summary>
    public BudgetColumns Columns { get; set; } = new();

    /// <summary>Gets or sets the version posted when a run does not name one (e.g. Budget, Forecast).</summary>
    public string Version { get; set; } = "Budget";

    /// <summary>Gets or sets the main account (or full formatted account) every entry is balanced against.</summary>
    public string OffsetAccount { get; set; } = string.Empty;

    /// <summary>Gets or sets the Sage source journal.</summary>
    public string SourceJournal { get; set; } = "GJ";

    /// <summary>Gets or sets how lines are grouped into entries: VersionPeriodCostCenter (default), VersionPeriod, VersionPeriodAccount.</summary>
    public string Grouping { get; set; } = "VersionPeriodCostCenter";

    /// <summary>Gets or sets how many batches of entries are posted at once (Sage serializes writes per company anyway).</summary>
    public int MaxParallelPosts { get; set; } = 2;

    /// <summary>Gets or sets how many entries one posting activity posts, one after the other (1 to 1000).</summary>
    public int PostBatchSize { get; set; } = 50;
}

/// <summary>
/// The budget export's column names. An empty <see cref="Version"/> means the version is fixed in the view (its page
/// selector): every line is the run's version. An empty <see cref="CostCenter"/> means the account column holds one code
/// for account and cost centre (the connection's <c>AccountFormat</c>). <see cref="Period"/> and <see cref="Amount"/> are
/// not used with the <c>PeriodColumns</c> layout.
/// </summary>
public sealed class BudgetColumns
{
    public string Account { get; set; } = "Account";

    public string? CostCenter { get; set; } = "Cost Center";

    public string? Period { get; set; } = "Period";

    public string? Version { get; set; } = "Version";

    public string? Amount { get; set; } = "Amount";
}
