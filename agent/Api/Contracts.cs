using System.Globalization;
using Connector.Agent.Backends;
using Connector.Agent.Backends.Simulated;
using Connector.Agent.Sage;

namespace Connector.Agent.Api;

// The wire shapes of agent/openapi.yaml. Names are camelCase on the wire (web defaults).
#pragma warning disable SA1402, SA1649 // one file holds the whole contract on purpose

public sealed record ErrorBody(string Code, string Message, string? SageMessage = null, string? Record = null, string? Field = null, int? Line = null, int? RetryAfterSeconds = null);

public sealed record HealthDto(string Status, string AgentVersion, string Backend);

public sealed record CapabilitiesDto(string AgentVersion, string Backend, string SageVersion, IReadOnlyList<CompanyCapabilitiesDto> Companies);

public sealed record CompanyCapabilitiesDto(
    string Code,
    string Name,
    AccountStructureDto AccountStructure,
    BatchModeDto BatchMode,
    IReadOnlyList<SourceJournalDto> SourceJournals,
    string CurrentFiscalYear,
    int CurrentPeriod,
    bool ApDivisionsEnabled);

public sealed record BatchModeDto(bool Enabled, bool PostOnCreate);

public sealed record SourceJournalDto(string Code, string Description);

public sealed record AccountStructureDto(string Separator, IReadOnlyList<AccountSegmentDto> Segments, string Source);

public sealed record AccountSegmentDto(int Number, int Length, string Description);

public sealed record GlAccountDto(
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
    string? DateUpdated,
    string? TimeUpdated,
    string? UpdatedAt);

public sealed record PageDto<T>(IReadOnlyList<T> Items, string? NextCursor);

public sealed record IncrementalPageDto<T>(IReadOnlyList<T> Items, string? NextCursor, string? Watermark);

public sealed record InvoiceTotalPageDto(IReadOnlyList<InvoiceTotalDto> Items, string? NextCursor, string? Watermark, int UnmappedInvoices);

public sealed record SubAccountDto(int SegmentNumber, string Code, string Description);

public sealed record FiscalCalendarDto(string CurrentFiscalYear, int CurrentPeriod, IReadOnlyList<FiscalYearDto> Years);

public sealed record FiscalYearDto(string FiscalYear, string BeginDate, string EndDate, IReadOnlyList<FiscalPeriodDto> Periods);

public sealed record FiscalPeriodDto(int Period, string BeginDate, string EndDate, bool Open);

public sealed record PeriodBalanceDto(string AccountKey, string Account, string FiscalYear, int FiscalPeriod, decimal? BeginningBalance, decimal Debit, decimal Credit, decimal Net);

public sealed record VendorDto(
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
    string? DateCreated,
    string? DateUpdated,
    string? TimeUpdated,
    string? UpdatedAt);

public sealed record InvoiceTotalDto(string DivisionNo, string VendorNo, string VendorKey, string FiscalYear, int FiscalPeriod, int InvoiceCount, decimal InvoiceAmount, decimal OpenBalance);

public sealed record InvoiceDistributionDto(string DivisionNo, string VendorNo, string VendorKey, string FiscalYear, int FiscalPeriod, int Segment, string SegmentCode, int InvoiceCount, decimal Amount);

public sealed record InvoiceDistributionPageDto(IReadOnlyList<InvoiceDistributionDto> Items, string? NextCursor, string? Watermark, int UnmappedInvoices);

public sealed record CreateJournalEntryRequest(string? ExternalId, string? SourceJournal, string? PostingDate, string? Comment, IReadOnlyList<CreateJournalLineRequest>? Lines);

public sealed record CreateJournalLineRequest(string? Account, decimal? Debit, decimal? Credit, string? Comment);

public sealed record JournalEntryDto(
    string ExternalId,
    string SourceJournal,
    string EntryNo,
    string? BatchNo,
    string? JournalRegisterNo,
    string PostingDate,
    string FiscalYear,
    int FiscalPeriod,
    string Status,
    string Comment,
    IReadOnlyList<JournalLineDto> Lines);

public sealed record JournalLineDto(int LineNo, string Account, decimal Debit, decimal Credit, string Comment);

public sealed record SimVendorChangeDto(string? DivisionNo, string? VendorNo, string? Name, string? City, string? Status, string? UpdatedAt, bool? BlankTimeUpdated);

public sealed record SimInvoiceChangeDto(
    string? DivisionNo, string? VendorNo, string? InvoiceNo, string? InvoiceDate, decimal? InvoiceAmount, decimal? Balance, string? UpdatedAt, bool? BlankTimeUpdated,
    IReadOnlyList<SimDistributionLineDto>? Distribution = null);

public sealed record SimDistributionLineDto(string Account, decimal Amount);

public sealed record SimInvoiceDto(string DivisionNo, string VendorNo, string InvoiceNo, string InvoiceDate, decimal InvoiceAmount, decimal Balance, bool InHistory, bool Open);

public sealed record SimBalanceChangeDto(decimal? BeginningBalance, decimal? Debit, decimal? Credit);

public sealed record SimFaultsDto(int? LockNextWrites, string? LockMessage, string? UnavailableReason, int? UnavailableCount, int? SlowPageMilliseconds, int? CrashAfterNextWrites, IReadOnlyList<string>? UnreadableTables = null);

public sealed record SimJournalUpdateDto(int Posted);

/// <summary>Maps backend rows to wire shapes.</summary>
internal static class ContractMapping
{
    public static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string? IsoFromSage(string? sageDate) => SageFormats.ParseSageDate(sageDate) is { } d ? Iso(d) : null;

    public static AccountStructureDto ToDto(this AccountStructureInfo s)
        => new(s.Separator, s.Segments.Select(x => new AccountSegmentDto(x.Number, x.Length, x.Description)).ToList(), s.Source);

    public static GlAccountDto ToDto(this GlAccountRow a, AccountStructureInfo structure)
        => new(a.AccountKey, a.Account, a.RawAccount, structure.Split(a.Account), a.MainAccountCode, a.Description, a.AccountType, a.AccountGroup, a.AccountCategory,
            a.Status, a.ClearBalance, IsoFromSage(a.DateUpdated), a.TimeUpdated, SageTimestamp.FromSage(a.DateUpdated, a.TimeUpdated)?.ToString());

    public static FiscalCalendarDto ToDto(this FiscalCalendarInfo c)
        => new(c.CurrentFiscalYear, c.CurrentPeriod, c.Years.Select(y => new FiscalYearDto(y.FiscalYear, Iso(y.BeginDate), Iso(y.EndDate),
            y.Periods.Select(p => new FiscalPeriodDto(p.Period, Iso(p.BeginDate), Iso(p.EndDate), c.IsOpen(y.FiscalYear, p.Period))).ToList())).ToList());

    public static PeriodBalanceDto ToDto(this PeriodBalanceRow b)
        => new(b.AccountKey, b.Account, b.FiscalYear, b.FiscalPeriod, b.BeginningBalance, b.Debit, b.Credit, b.Debit - b.Credit);

    public static VendorDto ToDto(this VendorRow v)
        => new(v.DivisionNo, v.VendorNo, $"{v.DivisionNo}-{v.VendorNo}", v.Name, v.AddressLine1, v.City, v.State, v.ZipCode, v.TermsCode, v.Status,
            IsoFromSage(v.DateCreated), IsoFromSage(v.DateUpdated), v.TimeUpdated, SageTimestamp.FromSage(v.DateUpdated, v.TimeUpdated)?.ToString());

    public static InvoiceDistributionDto ToDto(this InvoiceDistributionRow d, int segment)
        => new(d.DivisionNo, d.VendorNo, $"{d.DivisionNo}-{d.VendorNo}", d.FiscalYear, d.FiscalPeriod, segment, d.SegmentCode, d.InvoiceCount, d.Amount);

    public static InvoiceTotalDto ToDto(this InvoiceTotalRow t)
        => new(t.DivisionNo, t.VendorNo, $"{t.DivisionNo}-{t.VendorNo}", t.FiscalYear, t.FiscalPeriod, t.InvoiceCount, t.InvoiceAmount, t.OpenBalance);

    public static JournalEntryDto ToDto(this JournalEntryInfo e)
        => new(e.ExternalId, e.SourceJournal, e.EntryNo, e.BatchNo, e.JournalRegisterNo, Iso(e.PostingDate), e.FiscalYear, e.FiscalPeriod, e.Posted ? "posted" : "unposted", e.Comment,
            e.Lines.Select(l => new JournalLineDto(l.LineNo, l.Account, l.Debit, l.Credit, l.Comment)).ToList());

    public static SimInvoiceDto ToDto(this SimInvoiceRow i)
        => new(i.DivisionNo, i.VendorNo, i.InvoiceNo, Iso(i.InvoiceDate), i.InvoiceAmount, i.Balance, i.InHistory, i.Open);

    public static SimFaultsDto ToDto(this SimulatedFaultSettings f)
        => new(f.LockNextWrites, f.LockMessage, f.UnavailableReason, f.UnavailableCount, f.SlowPageMilliseconds, f.CrashAfterNextWrites, f.UnreadableTables);
}
