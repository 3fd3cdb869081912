using Connector.Agent.Sage;

namespace Connector.Agent.Backends;

/// <summary>One segment of a company's GL account structure.</summary>
public sealed record AccountSegmentInfo(int Number, int Length, string Description);

/// <summary>A company's GL account structure as discovered.</summary>
public sealed record AccountStructureInfo(string Separator, IReadOnlyList<AccountSegmentInfo> Segments, string Source)
{
    /// <summary>Splits a formatted account into its segment values (no validation beyond the separator).</summary>
    public IReadOnlyList<string> Split(string account)
        => this.Separator.Length == 0 ? [account] : account.Split(this.Separator[0]);
}

/// <summary>What a company offers the connector.</summary>
public sealed record CompanyInfo(
    string Code,
    string Name,
    AccountStructureInfo AccountStructure,
    bool BatchEntryEnabled,
    bool PostOnCreate,
    IReadOnlyList<SourceJournalInfo> SourceJournals,
    bool ApDivisionsEnabled);

/// <summary>A GL source journal.</summary>
public sealed record SourceJournalInfo(string Code, string Description);

/// <summary>A GL_Account row, trimmed.</summary>
public sealed record GlAccountRow(
    string AccountKey,
    string Account,
    string RawAccount,
    string MainAccountCode,
    string Description,
    string AccountType,
    string AccountGroup,
    string AccountCategory,
    string Status,
    bool ClearBalance,
    string? DateUpdated,
    string? TimeUpdated);

/// <summary>A GL_SubAccount row.</summary>
public sealed record SubAccountRow(int SegmentNumber, string Code, string Description);

/// <summary>One fiscal period.</summary>
public sealed record FiscalPeriodInfo(int Period, DateOnly BeginDate, DateOnly EndDate);

/// <summary>One fiscal year and its periods.</summary>
public sealed record FiscalYearInfo(string FiscalYear, DateOnly BeginDate, DateOnly EndDate, IReadOnlyList<FiscalPeriodInfo> Periods);

/// <summary>A company's fiscal calendar and its current period.</summary>
public sealed record FiscalCalendarInfo(IReadOnlyList<FiscalYearInfo> Years, string CurrentFiscalYear, int CurrentPeriod)
{
    /// <summary>Finds the fiscal year and period that contain <paramref name="date"/>.</summary>
    public (string FiscalYear, int Period)? Locate(DateOnly date)
    {
        foreach (FiscalYearInfo year in this.Years)
        {
            if (date < year.BeginDate || date > year.EndDate)
            {
                continue;
            }

            foreach (FiscalPeriodInfo p in year.Periods)
            {
                if (date >= p.BeginDate && date <= p.EndDate)
                {
                    return (year.FiscalYear, p.Period);
                }
            }
        }

        return null;
    }

    /// <summary>Whether a journal entry may post into the period: the current one or a later one.</summary>
    public bool IsOpen(string fiscalYear, int period)
        => string.CompareOrdinal(fiscalYear, this.CurrentFiscalYear) > 0
           || (fiscalYear == this.CurrentFiscalYear && period >= this.CurrentPeriod);
}

/// <summary>A GL_PeriodPostingHistory row joined to its account.</summary>
public sealed record PeriodBalanceRow(string AccountKey, string Account, string FiscalYear, int FiscalPeriod, decimal? BeginningBalance, decimal Debit, decimal Credit);

/// <summary>An AP_Vendor row, trimmed.</summary>
public sealed record VendorRow(
    string DivisionNo,
    string VendorNo,
    string Name,
    string? AddressLine1,
    string? City,
    string? State,
    string? ZipCode,
    string? TermsCode,
    string Status,
    string? DateCreated,
    string? DateUpdated,
    string? TimeUpdated);

/// <summary>The full totals of one (division, vendor, fiscal year, period) group.</summary>
public sealed record InvoiceTotalRow(string DivisionNo, string VendorNo, string FiscalYear, int FiscalPeriod, int InvoiceCount, decimal InvoiceAmount, decimal OpenBalance);

/// <summary>A page of invoice totals with the count of invoices outside every fiscal year on file.</summary>
public sealed record InvoiceTotalsResult(IReadOnlyList<InvoiceTotalRow> Rows, bool HasMore, (string Division, string Vendor)? LastVendor, int UnmappedInvoices);

/// <summary>
/// AP invoice GL distribution totalled per (division, vendor, fiscal year and period of the invoice date, code of one
/// account segment): the amount distributed to accounts with that code, and how many invoices distribute to it.
/// </summary>
public sealed record InvoiceDistributionRow(string DivisionNo, string VendorNo, string FiscalYear, int FiscalPeriod, string SegmentCode, int InvoiceCount, decimal Amount);

/// <summary>A page of distribution totals; pages end on a vendor boundary.</summary>
public sealed record InvoiceDistributionResult(IReadOnlyList<InvoiceDistributionRow> Rows, bool HasMore, (string Division, string Vendor)? LastVendor, int UnmappedInvoices);

/// <summary>A journal entry line as the connector asks for it.</summary>
public sealed record JournalLineDraft(string Account, decimal Debit, decimal Credit, string? Comment);

/// <summary>A journal entry as the connector asks for it.</summary>
public sealed record JournalEntryDraft(string ExternalId, string SourceJournal, DateOnly PostingDate, string? Comment, IReadOnlyList<JournalLineDraft> Lines)
{
    /// <summary>The header comment Sage receives: the external id first, so lookups find it.</summary>
    public string HeaderComment => ComposeComment(this.ExternalId, this.Comment);

    /// <summary>The line comment Sage receives for line <paramref name="index"/>.</summary>
    public string LineComment(int index) => ComposeComment(this.ExternalId, this.Lines[index].Comment);

    /// <summary>Whether an entry already in Sage carries the same postings (same journal, date, accounts and amounts).</summary>
    public bool Matches(JournalEntryInfo entry)
    {
        if (!string.Equals(entry.SourceJournal, this.SourceJournal, StringComparison.OrdinalIgnoreCase) || entry.PostingDate != this.PostingDate)
        {
            return false;
        }

        static string Key(string account, decimal debit, decimal credit) => $"{account}|{debit:0.00}|{credit:0.00}";
        var mine = this.Lines.Select(l => Key(l.Account, l.Debit, l.Credit)).Order(StringComparer.Ordinal);
        var theirs = entry.Lines.Select(l => Key(l.Account, l.Debit, l.Credit)).Order(StringComparer.Ordinal);
        return mine.SequenceEqual(theirs);
    }

    /// <summary>Composes "externalId text" so the comment carries the id as its first word.</summary>
    public static string ComposeComment(string externalId, string? text)
        => string.IsNullOrWhiteSpace(text) ? externalId : $"{externalId} {text.Trim()}";

    /// <summary>Whether a stored comment carries <paramref name="externalId"/> as its first word.</summary>
    public static bool CarriesExternalId(string? comment, string externalId)
    {
        string c = (comment ?? string.Empty).Trim();
        return c.Length >= externalId.Length
               && c.StartsWith(externalId, StringComparison.Ordinal)
               && (c.Length == externalId.Length || c[externalId.Length] == ' ');
    }
}

/// <summary>A journal entry line as Sage holds it.</summary>
public sealed record JournalLineInfo(int LineNo, string Account, decimal Debit, decimal Credit, string Comment);

/// <summary>A journal entry as Sage holds it (unposted in a batch, or posted in history).</summary>
public sealed record JournalEntryInfo(
    string ExternalId,
    string SourceJournal,
    string EntryNo,
    string? BatchNo,
    DateOnly PostingDate,
    string FiscalYear,
    int FiscalPeriod,
    bool Posted,
    string Comment,
    IReadOnlyList<JournalLineInfo> Lines,
    string? JournalRegisterNo = null);
