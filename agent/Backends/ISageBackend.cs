using Connector.Agent.Sage;

namespace Connector.Agent.Backends;

/// <summary>
/// One Sage 100 installation as the agent sees it. Implementations: <c>Simulated</c> (SQLite companies) and
/// <c>Boi</c> (the real Business Object Interface over COM). Company codes are upper case.
/// Failures are <see cref="SageOperationException"/> with a stable kind and Sage's raw message.
/// </summary>
public interface ISageBackend : IAsyncDisposable
{
    /// <summary>Gets the backend name as the API reports it: <c>simulated</c> or <c>boi</c>.</summary>
    string Name { get; }

    /// <summary>Gets the Sage version discovered at start-up.</summary>
    string SageVersion { get; }

    /// <summary>Gets the configured company codes.</summary>
    IReadOnlyList<string> Companies { get; }

    /// <summary>Connects and discovers (tables, columns, account structures). Called once at start-up.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Checks that Sage can be reached.</summary>
    Task CheckHealthAsync(CancellationToken cancellationToken);

    Task<CompanyInfo> GetCompanyAsync(string company, CancellationToken cancellationToken);

    Task<FiscalCalendarInfo> GetFiscalCalendarAsync(string company, CancellationToken cancellationToken);

    /// <summary>GL accounts ordered by AccountKey, after <paramref name="afterKey"/>, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<GlAccountRow>> GetAccountsAsync(string company, string? afterKey, int limit, CancellationToken cancellationToken);

    /// <summary>Sub-account codes ordered by segment and code.</summary>
    Task<IReadOnlyList<SubAccountRow>> GetSubAccountsAsync(string company, int? segment, (int Segment, string Code)? after, int limit, CancellationToken cancellationToken);

    /// <summary>Period balances of one year and period range ordered by AccountKey and period.</summary>
    Task<IReadOnlyList<PeriodBalanceRow>> GetPeriodBalancesAsync(string company, string fiscalYear, int fromPeriod, int toPeriod, (string AccountKey, int Period)? after, int limit, CancellationToken cancellationToken);

    /// <summary>The latest (DateUpdated, TimeUpdated) among vendors, or among open and history invoices.</summary>
    Task<SageTimestamp?> GetLatestUpdateAsync(string company, SageDataSet dataSet, CancellationToken cancellationToken);

    /// <summary>Vendors changed since <paramref name="since"/> (all when null), ordered by division and vendor.</summary>
    Task<IReadOnlyList<VendorRow>> GetVendorsAsync(string company, SageTimestamp? since, (string Division, string Vendor)? after, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Invoice totals for the vendors after <paramref name="after"/>: every group when <paramref name="since"/> is null,
    /// else every group holding an invoice changed since then. Pages end on a vendor boundary.
    /// </summary>
    Task<InvoiceTotalsResult> GetInvoiceTotalsAsync(string company, SageTimestamp? since, (string Division, string Vendor)? after, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Posted invoices' GL distribution totalled per vendor, fiscal period of the invoice date and the code of account
    /// segment <paramref name="segment"/> (e.g. the department used as cost centre): every group when
    /// <paramref name="since"/> is null, else every group of a (vendor, period) holding an invoice changed since then.
    /// Pages end on a vendor boundary.
    /// </summary>
    Task<InvoiceDistributionResult> GetInvoiceDistributionAsync(string company, int segment, SageTimestamp? since, (string Division, string Vendor)? after, int limit, CancellationToken cancellationToken);

    /// <summary>Finds the entry whose comments carry <paramref name="externalId"/>: unposted first, then history.</summary>
    Task<JournalEntryInfo?> FindJournalEntryAsync(string company, string externalId, CancellationToken cancellationToken);

    /// <summary>Writes a journal entry. The caller serializes writes per company.</summary>
    Task<JournalEntryInfo> CreateJournalEntryAsync(string company, JournalEntryDraft draft, CancellationToken cancellationToken);
}

/// <summary>The data sets that support incremental pulls.</summary>
public enum SageDataSet
{
    Vendors,
    Invoices,
}

/// <summary>
/// Implemented by backends that can simulate a crash between Sage's write and the agent's reply.
/// </summary>
public interface IWriteFaultSource
{
    /// <summary>Returns true (once per armed fault) when the agent must die right after this write.</summary>
    bool ConsumeCrashAfterWrite(string company);
}
