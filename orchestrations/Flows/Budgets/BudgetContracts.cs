namespace Connector.Orchestrations.Flows.Budgets;

/// <summary>
/// Input of <see cref="BudgetSyncOrchestrator"/>: which version (the connection's default when null), which periods
/// (all the export holds when null), and whether to stop before posting (<c>DryRun</c>). <c>Attempt</c> is 1, then one
/// more for each rewind.
/// </summary>
public sealed record BudgetRunInput(
    string ConnectionId, string Trigger, string? Version = null, string? FiscalYear = null, int? FromPeriod = null, int? ToPeriod = null, bool DryRun = false, int Attempt = 1);

/// <summary>Input of <see cref="PlanBudgetEntriesActivity"/>.</summary>
public sealed record PlanBudgetInput(RunRef Run, string ExportBlob, string SageSnapshotBlob, string Version, string? FiscalYear, int? FromPeriod, int? ToPeriod);

/// <summary>A proposed journal entry: one blob per entry, read by the posting activity.</summary>
public sealed record PlannedEntry(
    int Index,
    string ExternalId,
    string GroupKey,
    string Version,
    string FiscalYear,
    int Period,
    string PeriodCode,
    DateOnly PostingDate,
    string SourceJournal,
    string Comment,
    IReadOnlyList<PlannedLine> Lines)
{
    public decimal Debit => this.Lines.Sum(l => l.Debit);

    public decimal Credit => this.Lines.Sum(l => l.Credit);
}

/// <summary>One line of a proposed entry; <c>SourceCell</c> names the Anaplan cell (account | cost centre | period | version), empty for the offset line.</summary>
public sealed record PlannedLine(string Account, decimal Debit, decimal Credit, string Comment, string SourceCell, long? SourceLine);

/// <summary>What planning produced: where the entries are, and the counts a person reads.</summary>
public sealed record BudgetPlan(
    string EntriesPrefix,
    string ProposedCsvBlob,
    int EntryCount,
    long LinesRead,
    long LinesUsed,
    long SkippedBlankOrZero,
    long SkippedOtherVersion,
    long SkippedOutsideRange,
    long LinesRejected,
    string? RejectionsBlob,
    decimal Debit,
    decimal Credit,
    IReadOnlyList<EntrySummary> Entries);

/// <summary>One entry in a plan or a result: identity and totals.</summary>
public sealed record EntrySummary(string ExternalId, string GroupKey, string Period, int Lines, decimal Debit, decimal Credit);

/// <summary>Input of <see cref="PostJournalEntryActivity"/>.</summary>
public sealed record PostEntryInput(RunRef Run, string EntriesPrefix, int Index);

/// <summary>What happened to one entry.</summary>
public sealed record EntryResult(string ExternalId, string GroupKey, string Period, string Status, string? EntryNo, string? BatchNo, decimal Debit, decimal Credit, string? Message);

/// <summary>The result of a budgets run: its output and its audit summary.</summary>
public sealed record BudgetRunSummary(
    string RunId,
    string ConnectionId,
    string Status,
    string Trigger,
    bool DryRun,
    string Version,
    string? ExportTaskId,
    BudgetPlan Plan,
    IReadOnlyList<EntryResult> Results,
    DateTime StartedAt,
    DateTime FinishedAt)
{
    public int Posted => this.Results.Count(r => r.Status == Storage.JournalStatuses.Posted);

    public int AlreadyPosted => this.Results.Count(r => r.Status == Storage.JournalStatuses.AlreadyPosted);
}
