using Connector.Agent.Sage;
using Microsoft.Extensions.Logging;

namespace Connector.Agent.Backends.Simulated;

/// <summary>Settings of the simulated backend.</summary>
public sealed class SimulatedBackendOptions
{
    /// <summary>Gets or sets the folder holding one SQLite file per company (<c>ABC.db</c>, ...).</summary>
    public string DataDirectory { get; set; } = Path.Combine(AppContext.BaseDirectory, "simulated");

    /// <summary>Gets or sets the companies; the three built-in ones by default.</summary>
    public IReadOnlyList<CompanyProfile> Companies { get; set; } = CompanyProfile.BuiltIn;

    /// <summary>Gets or sets how much data a newly generated company holds.</summary>
    public SimulatedScale Scale { get; set; } = SimulatedScale.Default;

    /// <summary>Gets or sets whether to regenerate company files that already exist.</summary>
    public bool Regenerate { get; set; }
}

/// <summary>
/// A Sage 100 installation simulated in SQLite, with injectable faults. Faults hit where Sage would fail:
/// availability on every call or on the reads of a table, record locks on writes, slowness on paged reads, and a crash
/// right after a write.
/// </summary>
public sealed class SimulatedSageBackend : ISageBackend, IWriteFaultSource
{
    internal const string WriterUser = "CONNECTOR";
    private readonly SimulatedBackendOptions options;
    private readonly TimeProvider clock;
    private readonly ILogger logger;
    private readonly Dictionary<string, SimulatedCompany> companies = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, SimulatedFaults> faults = new(StringComparer.OrdinalIgnoreCase);

    public SimulatedSageBackend(SimulatedBackendOptions options, TimeProvider clock, ILogger<SimulatedSageBackend> logger)
    {
        this.options = options;
        this.clock = clock;
        this.logger = logger;
        this.Companies = options.Companies.Select(p => p.Code.ToUpperInvariant()).ToList();
    }

    /// <inheritdoc/>
    public string Name => "simulated";

    /// <inheritdoc/>
    public string SageVersion => "Sage 100 2025 (simulated)";

    /// <inheritdoc/>
    public IReadOnlyList<string> Companies { get; }

    /// <summary>Gets a company for seeding, mutation and inspection.</summary>
    /// <exception cref="KeyNotFoundException">No such company.</exception>
    public SimulatedCompany Company(string code) => this.companies[code];

    /// <summary>Gets a company's fault switches.</summary>
    public SimulatedFaults Faults(string code) => this.faults[code];

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(this.options.DataDirectory);
        foreach (CompanyProfile profile in this.options.Companies)
        {
            string path = Path.Combine(this.options.DataDirectory, profile.Code.ToUpperInvariant() + ".db");
            if (this.options.Regenerate || !File.Exists(path))
            {
                long started = this.clock.GetTimestamp();
                var (balances, invoices) = SimulatedCompanyGenerator.Generate(path, profile, this.options.Scale, this.clock.GetLocalNow().DateTime);
                long elapsedMs = (long)this.clock.GetElapsedTime(started).TotalMilliseconds;
                Logs.SimulatedCompanyGenerated(this.logger, profile.Code, balances, invoices, elapsedMs);
            }

            this.companies[profile.Code] = new SimulatedCompany(path, this.clock);
            this.faults[profile.Code] = new SimulatedFaults();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task CheckHealthAsync(CancellationToken cancellationToken)
    {
        foreach (string code in this.Companies)
        {
            this.Guard(code);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<CompanyInfo> GetCompanyAsync(string company, CancellationToken cancellationToken)
        => Task.FromResult(this.Guard(company).Info);

    /// <inheritdoc/>
    public Task<FiscalCalendarInfo> GetFiscalCalendarAsync(string company, CancellationToken cancellationToken)
        => Task.FromResult(this.Guard(company, "GL_FiscalYearDetail").Calendar());

    /// <inheritdoc/>
    public async Task<IReadOnlyList<GlAccountRow>> GetAccountsAsync(string company, string? afterKey, int limit, CancellationToken cancellationToken)
    {
        SimulatedCompany c = await this.PageAsync(company, cancellationToken, "GL_Account");
        return c.GetAccounts(afterKey, limit);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<SubAccountRow>> GetSubAccountsAsync(string company, int? segment, (int Segment, string Code)? after, int limit, CancellationToken cancellationToken)
    {
        SimulatedCompany c = await this.PageAsync(company, cancellationToken, "GL_SubAccount");
        return c.GetSubAccounts(segment, after, limit);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<PeriodBalanceRow>> GetPeriodBalancesAsync(string company, string fiscalYear, int fromPeriod, int toPeriod, (string AccountKey, int Period)? after, int limit, CancellationToken cancellationToken)
    {
        SimulatedCompany c = await this.PageAsync(company, cancellationToken, "GL_PeriodPostingHistory", "GL_Account");
        return c.GetPeriodBalances(fiscalYear, fromPeriod, toPeriod, after, limit);
    }

    /// <inheritdoc/>
    public Task<SageTimestamp?> GetLatestUpdateAsync(string company, SageDataSet dataSet, CancellationToken cancellationToken)
        => Task.FromResult(this.Guard(company, dataSet == SageDataSet.Vendors ? ["AP_Vendor"] : ["AP_InvoiceHistoryHeader", "AP_OpenInvoice"]).GetLatestUpdate(dataSet));

    /// <inheritdoc/>
    public async Task<IReadOnlyList<VendorRow>> GetVendorsAsync(string company, SageTimestamp? since, (string Division, string Vendor)? after, int limit, CancellationToken cancellationToken)
    {
        SimulatedCompany c = await this.PageAsync(company, cancellationToken, "AP_Vendor");
        return c.GetVendors(since, after, limit);
    }

    /// <inheritdoc/>
    public async Task<InvoiceTotalsResult> GetInvoiceTotalsAsync(string company, SageTimestamp? since, (string Division, string Vendor)? after, int limit, CancellationToken cancellationToken)
    {
        SimulatedCompany c = await this.PageAsync(company, cancellationToken, "AP_InvoiceHistoryHeader", "AP_OpenInvoice", "GL_FiscalYearDetail");
        return c.GetInvoiceTotals(since, after, limit);
    }

    /// <inheritdoc/>
    public async Task<InvoiceDistributionResult> GetInvoiceDistributionAsync(string company, int segment, SageTimestamp? since, (string Division, string Vendor)? after, int limit, CancellationToken cancellationToken)
    {
        SimulatedCompany c = await this.PageAsync(company, cancellationToken, "AP_InvoiceHistoryHeader", "AP_OpenInvoice", "AP_InvoiceHistoryDetail", "GL_Account", "GL_FiscalYearDetail");
        return c.GetInvoiceDistribution(segment, since, after, limit);
    }

    /// <inheritdoc/>
    public Task<JournalEntryInfo?> FindJournalEntryAsync(string company, string externalId, CancellationToken cancellationToken)
        => Task.FromResult(this.Guard(company).FindJournalEntry(externalId));

    /// <inheritdoc/>
    public Task<JournalEntryInfo> CreateJournalEntryAsync(string company, JournalEntryDraft draft, CancellationToken cancellationToken)
    {
        SimulatedCompany c = this.Guard(company);
        if (this.faults[company].TryConsumeLock() is { } lockMessage)
        {
            throw new SageOperationException(SageErrorKind.Locked, $"Sage reported a record lock while writing journal entry {draft.ExternalId}.", lockMessage, $"journal entry {draft.ExternalId}");
        }

        return Task.FromResult(c.CreateJournalEntry(draft, WriterUser));
    }

    /// <inheritdoc/>
    public bool ConsumeCrashAfterWrite(string company) => this.faults.TryGetValue(company, out SimulatedFaults? f) && f.TryConsumeCrash();

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>The company, unless Sage is unavailable for it or one of the <paramref name="tables"/> the call reads cannot be opened.</summary>
    private SimulatedCompany Guard(string company, params string[] tables)
    {
        SimulatedCompany c = this.companies[company];
        if (this.faults[company].TryConsumeUnavailable() is { } reason)
        {
            string sageMessage = reason switch
            {
                "licence" => "Unable to start a session: all Sage 100 user licences are taken.",
                "external_access" => $"External access is not allowed for company {company}. Enable Allow External Access in Company Maintenance.",
                _ => "Unable to create the Sage 100 session (SY_Session).",
            };
            throw new SageOperationException(SageErrorKind.Unavailable, $"Sage 100 is unavailable for company {company}.", sageMessage, $"company {company}");
        }

        if (this.faults[company].UnreadableOf(tables) is { } table)
        {
            // As the BOI backend reports a call whose table's _svc object cannot be opened.
            throw new SageOperationException(SageErrorKind.Unavailable, $"The BOI call for company {company} failed: {table} could not be opened.", $"Unable to open {table}_svc.", $"company {company}");
        }

        return c;
    }

    private async Task<SimulatedCompany> PageAsync(string company, CancellationToken cancellationToken, params string[] tables)
    {
        SimulatedCompany c = this.Guard(company, tables);
        int delay = this.faults[company].SlowPageMilliseconds;
        if (delay > 0)
        {
            // Real time on purpose: the simulated Sage clock may be a fake one that tests move by hand.
            await Task.Delay(TimeSpan.FromMilliseconds(delay), TimeProvider.System, cancellationToken);
        }

        return c;
    }
}
