namespace Connector.Orchestrations.Sage100;

// The agent's JSON shapes (agent/openapi.yaml), read with web defaults and mapped to the public models.
internal sealed record WireError(string? Code, string? Message, string? SageMessage, string? Record, string? Field, int? Line, int? RetryAfterSeconds);

internal sealed record WirePage<T>(List<T> Items, string? NextCursor, string? Watermark);

/// <summary>
/// A GL period balance as the agent sends it. A class with setters, not a record: System.Text.Json fills a constructor of
/// more than four parameters through an array of boxed arguments, a handful of allocations per row on the hottest path.
/// </summary>
internal sealed class WirePeriodBalance
{
    public string AccountKey { get; set; } = null!;

    public string Account { get; set; } = null!;

    public string FiscalYear { get; set; } = null!;

    public int FiscalPeriod { get; set; }

    public decimal? BeginningBalance { get; set; }

    public decimal Debit { get; set; }

    public decimal Credit { get; set; }

    public decimal Net { get; set; }

    public SagePeriodBalance ToModel() => new(this.AccountKey, this.Account, this.FiscalYear, this.FiscalPeriod, this.BeginningBalance, this.Debit, this.Credit, this.Net);
}

internal sealed record WireSegment(int Number, int Length, string Description);

internal sealed record WireStructure(string Separator, List<WireSegment> Segments, string Source)
{
    public AccountStructure ToModel() => new(this.Separator, this.Segments.Select(s => new AccountSegment(s.Number, s.Length, s.Description)));
}

internal sealed record WireBatchMode(bool Enabled, bool PostOnCreate);

internal sealed record WireSourceJournal(string Code, string Description);

internal sealed record WireCompany(string Code, string Name, WireStructure AccountStructure, WireBatchMode BatchMode, List<WireSourceJournal> SourceJournals, string CurrentFiscalYear, int CurrentPeriod, bool ApDivisionsEnabled);

internal sealed record WireCapabilities(string AgentVersion, string Backend, string SageVersion, List<WireCompany> Companies);

internal sealed record WireAccount(string AccountKey, string Account, string RawAccount, List<string> Segments, string MainAccountCode, string Description, string Type, string Group, string Category, string Status, bool ClearBalance, string? UpdatedAt);

internal sealed record WirePeriod(int Period, DateOnly BeginDate, DateOnly EndDate, bool Open);

internal sealed record WireYear(string FiscalYear, DateOnly BeginDate, DateOnly EndDate, List<WirePeriod> Periods);

internal sealed record WireCalendar(string CurrentFiscalYear, int CurrentPeriod, List<WireYear> Years);

internal sealed record WireVendor(string DivisionNo, string VendorNo, string VendorKey, string Name, string? AddressLine1, string? City, string? State, string? ZipCode, string? TermsCode, string Status, string? UpdatedAt);

internal sealed record WireJournalLine(int LineNo, string Account, decimal Debit, decimal Credit, string Comment);

internal sealed record WireJournalEntry(string ExternalId, string SourceJournal, string EntryNo, string? BatchNo, string? JournalRegisterNo, DateOnly PostingDate, string FiscalYear, int FiscalPeriod, string Status, string Comment, List<WireJournalLine> Lines)
{
    public SageJournalEntry ToModel() => new(this.ExternalId, this.SourceJournal, this.EntryNo, this.BatchNo, this.JournalRegisterNo, this.PostingDate, this.FiscalYear, this.FiscalPeriod, this.Status, this.Comment,
        this.Lines.Select(l => new SageJournalLine(l.LineNo, l.Account, l.Debit, l.Credit, l.Comment)).ToList());
}

internal sealed record WireNewLine(string Account, decimal Debit, decimal Credit, string? Comment);

internal sealed record WireNewEntry(string ExternalId, string SourceJournal, string PostingDate, string? Comment, List<WireNewLine> Lines);
