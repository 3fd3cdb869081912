using System.Globalization;

namespace Connector.Orchestrations.Sage100;

/// <summary>
/// A point in Sage's (DateUpdated, TimeUpdated) time, local to the Sage server. Persist <see cref="ToString"/>
/// (<c>yyyy-MM-ddTHH:mm:ss</c>) after a pull and pass it back as <c>changedSince</c> next time.
/// </summary>
public readonly record struct SageWatermark(DateTime Value)
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss";

    /// <summary>Parses a stored watermark.</summary>
    public static SageWatermark Parse(string text)
        => new(DateTime.ParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.None));

    /// <inheritdoc/>
    public override string ToString() => this.Value.ToString(Format, CultureInfo.InvariantCulture);
}

/// <summary>Agent and Sage facts.</summary>
public sealed record SageCapabilities(string AgentVersion, string Backend, string SageVersion, IReadOnlyList<SageCompanyCapabilities> Companies);

/// <summary>What the agent discovered about one company.</summary>
public sealed record SageCompanyCapabilities(
    string Code,
    string Name,
    AccountStructure AccountStructure,
    bool BatchEntryEnabled,
    bool PostOnCreate,
    IReadOnlyList<string> SourceJournals,
    string CurrentFiscalYear,
    int CurrentPeriod,
    bool ApDivisionsEnabled);

/// <summary>A GL account (GL_Account).</summary>
public sealed record SageGlAccount(
    string AccountKey,
    string Account,
    string RawAccount,
    IReadOnlyList<string> Segments,
    string MainAccountCode,
    string Description,
    string Type,
    string Group,
    string Category,
    string Status,
    bool ClearBalance,
    SageWatermark? UpdatedAt)
{
    /// <summary>Gets whether the account is active (Status A).</summary>
    public bool IsActive => this.Status == "A";
}

/// <summary>A sub-account code of segment 2..10 (GL_SubAccount), e.g. a department.</summary>
public sealed record SageSubAccount(int SegmentNumber, string Code, string Description);

/// <summary>One fiscal period.</summary>
public sealed record SageFiscalPeriod(int Period, DateOnly BeginDate, DateOnly EndDate, bool Open);

/// <summary>One fiscal year.</summary>
public sealed record SageFiscalYear(string FiscalYear, DateOnly BeginDate, DateOnly EndDate, IReadOnlyList<SageFiscalPeriod> Periods);

/// <summary>The fiscal calendar and the current period (journal entries post to it or later).</summary>
public sealed record SageFiscalCalendar(string CurrentFiscalYear, int CurrentPeriod, IReadOnlyList<SageFiscalYear> Years)
{
    /// <summary>Finds the year and period holding <paramref name="date"/>; null outside the calendar.</summary>
    public (string FiscalYear, int Period)? Locate(DateOnly date)
        => this.Years.SelectMany(y => y.Periods.Select(p => (y.FiscalYear, p)))
            .Where(x => date >= x.p.BeginDate && date <= x.p.EndDate)
            .Select(x => ((string FiscalYear, int Period)?)(x.FiscalYear, x.p.Period))
            .FirstOrDefault();
}

/// <summary>A GL period balance (GL_PeriodPostingHistory). <see cref="BeginningBalance"/> is set on period 1 only.</summary>
public sealed record SagePeriodBalance(string AccountKey, string Account, string FiscalYear, int FiscalPeriod, decimal? BeginningBalance, decimal Debit, decimal Credit, decimal Net);

/// <summary>An AP vendor (AP_Vendor).</summary>
public sealed record SageVendor(
    string DivisionNo,
    string VendorNo,
    string VendorKey,
    string Name,
    string? AddressLine1,
    string? City,
    string? State,
    string? ZipCode,
    string? TermsCode,
    string Status,
    SageWatermark? UpdatedAt);

/// <summary>The full totals of one (division, vendor, fiscal year, period of the invoice date) group; replace, don't add.</summary>
public sealed record SageInvoiceTotal(string DivisionNo, string VendorNo, string VendorKey, string FiscalYear, int FiscalPeriod, int InvoiceCount, decimal InvoiceAmount, decimal OpenBalance);

/// <summary>
/// Posted invoices' GL distribution totalled per (vendor, fiscal year and period of the invoice date, code of one account
/// segment): the full recomputed group (replace, don't add).
/// </summary>
public sealed record SageInvoiceDistributionTotal(string DivisionNo, string VendorNo, string VendorKey, string FiscalYear, int FiscalPeriod, int Segment, string SegmentCode, int InvoiceCount, decimal Amount);

/// <summary>A journal entry line to create.</summary>
/// <param name="Account">The formatted account, e.g. <c>600-01-02</c>.</param>
public sealed record NewSageJournalLine(string Account, decimal Debit, decimal Credit, string? Comment = null);

/// <summary>A journal entry to create. The agent puts the external id first in the header and line comments.</summary>
public sealed record NewSageJournalEntry(string ExternalId, string SourceJournal, DateOnly PostingDate, IReadOnlyList<NewSageJournalLine> Lines, string? Comment = null);

/// <summary>A journal entry line as Sage holds it.</summary>
public sealed record SageJournalLine(int LineNo, string Account, decimal Debit, decimal Credit, string Comment);

/// <summary>A journal entry as Sage holds it.</summary>
public sealed record SageJournalEntry(
    string ExternalId,
    string SourceJournal,
    string EntryNo,
    string? BatchNo,
    string? JournalRegisterNo,
    DateOnly PostingDate,
    string FiscalYear,
    int FiscalPeriod,
    string Status,
    string Comment,
    IReadOnlyList<SageJournalLine> Lines)
{
    /// <summary>Gets whether the entry has been posted (General Journal Update).</summary>
    public bool IsPosted => this.Status == "posted";
}

/// <summary>The result of a create: the entry, and whether this call wrote it (false: it existed already).</summary>
public sealed record SageJournalEntryResult(SageJournalEntry Entry, bool Created);

/// <summary>What Sage 100 can store in a journal entry, as the agent's contract (agent/openapi.yaml) states it.</summary>
public static class SageLimits
{
    /// <summary>The largest GL amount: DebitAmount and CreditAmount are 16.2 numerics in Sage 100's data dictionary.</summary>
    public const decimal MaxAmount = 99_999_999_999_999.99m;

    /// <summary>The longest comment text the agent takes (Sage's 2048-character comment fields minus the external id and a space).</summary>
    public const int MaxCommentText = 2007;

    /// <summary><see cref="MaxAmount"/> as people read it.</summary>
    public static string MaxAmountText => MaxAmount.ToString("#,##0.00", System.Globalization.CultureInfo.InvariantCulture);
}
