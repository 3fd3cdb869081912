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

/// <summary>
/// What planning produced: where the entries are and the counts a person reads. The entries themselves stay in Blob
/// storage (<see cref="EntriesPrefix"/>: JSON lines, <see cref="EntriesPerPage"/> entries a blob, in index order, read by
/// index range through <see cref="BudgetEntryPages"/>), never in the orchestration's history.
/// </summary>
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
    int EntriesPerPage = BudgetEntryPages.DefaultPerPage);

/// <summary>One entry in a plan: identity and totals.</summary>
public sealed record EntrySummary(string ExternalId, string GroupKey, string Period, int Lines, decimal Debit, decimal Credit);

/// <summary>
/// Input of <see cref="PostJournalBatchActivity"/>: batch <c>Batch</c> is the plan's entries <c>Start</c> to
/// <c>Start + Count - 1</c>, read from the plan's blobs by that range.
/// </summary>
public sealed record PostBatchInput(RunRef Run, string EntriesPrefix, int EntriesPerPage, int Batch, int Start, int Count);

/// <summary>
/// What a batch did, as recorded for the run (<see cref="Flows.StepKeys.PostBatch"/>) and returned to the orchestrator:
/// counts per status and the blob holding one <see cref="EntryResult"/> per entry of the batch, in index order.
/// <c>Problems</c> counts the entries rejected, failed or held for review (a batch without any is not posted again by a
/// rewound run).
/// </summary>
public sealed record PostBatchResult(int Batch, int Start, int Count, IReadOnlyDictionary<string, int> ByStatus, int Problems, string ResultsBlob);

/// <summary>A batch whose activity still failed after the durable retries, with the failure's message.</summary>
public sealed record FailedBatch(int Batch, string Message);

/// <summary>
/// Input of <see cref="CollectBudgetResultsActivity"/>: the plan, the batch size the run posted with, and the batches
/// that failed in this attempt (their entries without a result of this attempt are reported failed with the message).
/// </summary>
public sealed record CollectResultsInput(RunRef Run, BudgetPlan Plan, int BatchSize, bool DryRun, IReadOnlyList<FailedBatch> FailedBatches);

/// <summary>
/// The run's results in short: the blob with one <see cref="EntryResult"/> per planned entry (all of them, in plan
/// order), the count per status and the first problem entries.
/// </summary>
public sealed record BudgetResultsDigest(string ResultsBlob, IReadOnlyDictionary<string, int> ByStatus, IReadOnlyList<EntryResult> FirstProblems);

/// <summary>What happened to one entry (<c>Lines</c>: how many lines it has, the offset line included).</summary>
public sealed record EntryResult(
    string ExternalId, string GroupKey, string Period, string Status, string? EntryNo, string? BatchNo, decimal Debit, decimal Credit, string? Message, int Lines = 0);

/// <summary>
/// The result of a budgets run: its output and its audit summary. It stays small whatever the number of entries: counts
/// per status (<c>ByStatus</c>), the first problem entries (rejected, failed, held for review; at most
/// <see cref="CollectBudgetResultsActivity.MaxProblemsInSummary"/>), and <c>ResultsBlob</c>, the blob with every entry's
/// result (read it whole with <see cref="BudgetRunResults.ReadAsync"/>).
/// </summary>
public sealed record BudgetRunSummary(
    string RunId,
    string ConnectionId,
    string Status,
    string Trigger,
    bool DryRun,
    string Version,
    string? ExportTaskId,
    BudgetPlan Plan,
    IReadOnlyDictionary<string, int> ByStatus,
    IReadOnlyList<EntryResult> FirstProblems,
    string? ResultsBlob,
    DateTime StartedAt,
    DateTime FinishedAt)
{
    public int Posted => this.Count(Storage.JournalStatuses.Posted);

    public int AlreadyPosted => this.Count(Storage.JournalStatuses.AlreadyPosted);

    /// <summary>Gets how many entries ended in <paramref name="status"/>.</summary>
    public int Count(string status) => this.ByStatus.TryGetValue(status, out int n) ? n : 0;
}
