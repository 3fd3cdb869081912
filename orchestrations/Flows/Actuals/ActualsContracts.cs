using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.ModelFit;

namespace Connector.Orchestrations.Flows.Actuals;

/// <summary>
/// Input of <see cref="ActualsSyncOrchestrator"/>. Without a period range the run sends the current period and the
/// configured number of prior periods (late postings change closed periods). <c>Attempt</c> is 1, then one more for
/// each rewind: the same run resumed, taking the recorded result of every step an earlier attempt finished.
/// </summary>
public sealed record ActualsRunInput(
    string ConnectionId, string Trigger, string? FiscalYear = null, int? FromPeriod = null, int? ToPeriod = null, bool FullResync = false, int Attempt = 1);

/// <summary>Input of <see cref="ResolvePeriodsActivity"/>.</summary>
public sealed record ResolvePeriodsInput(RunRef Run, string? FiscalYear, int? FromPeriod, int? ToPeriod, int PriorPeriods);

/// <summary>
/// The fiscal periods a run sends, in order, with their codes in Anaplan (<c>Codes</c>, one per period; two periods share
/// one when a 13th is folded into the 12th) and the periods it sends again because an earlier run's GL load did not go
/// through (<c>Resent</c>, one entry per earlier run and reason).
/// </summary>
public sealed record ResolvedPeriods(
    IReadOnlyList<FiscalPeriodRef> Periods, string CurrentFiscalYear, int CurrentPeriod, IReadOnlyList<ResentRows>? Resent = null, IReadOnlyList<string>? Codes = null)
{
    /// <summary>The code of one of the run's periods (a run recorded before codes existed formats it the first way).</summary>
    public string CodeOf(FiscalPeriodRef period, string periodFormat)
    {
        ArgumentNullException.ThrowIfNull(period);
        int at = -1;
        for (int i = 0; i < this.Periods.Count && at < 0; i++)
        {
            at = this.Periods[i] == period ? i : -1;
        }

        return this.Codes is { } codes && at >= 0 && at < codes.Count ? codes[at] : PeriodCodes.Format(periodFormat, period.FiscalYear, period.Period);
    }

    /// <summary>The codes of the run's periods, each once, in order.</summary>
    public IReadOnlyList<string> DistinctCodes(string periodFormat) => [.. this.Periods.Select(p => this.CodeOf(p, periodFormat)).Distinct(StringComparer.Ordinal)];
}

/// <summary>Input of the extraction activities: each stages its dataset in its import's layout (<c>Layouts</c>).</summary>
/// <remarks><c>FullResync</c> ignores the watermarks and sends every AP total and vendor again.</remarks>
public sealed record ExtractInput(RunRef Run, string AlignmentBlob, IReadOnlyList<FiscalPeriodRef> Periods, bool FullResync = false, ImportLayouts? Layouts = null)
{
    /// <summary>Gets the GL file this extraction stages when GL goes in several (null: the first, or the only one).</summary>
    public GlFile? File { get; init; }

    /// <summary>
    /// Gets a value indicating whether this GL extraction is speculative: <c>AlignmentBlob</c> is the Sage side of
    /// alignment (every item the run loads into the lists counted as existing in Anaplan), and the manifest is recorded
    /// under <see cref="StepKeys.Provisional"/> until the alignment confirms it (<see cref="GlSpeculation"/>).
    /// </summary>
    public bool Provisional { get; init; }
}

/// <summary>
/// One dataset of a run, as a person reads it in the summary. <c>SageTotals</c> are what was read from Sage;
/// <c>Reconciliation</c> holds what was read back from Anaplan after the load (or says it was not reconciled);
/// <c>Resent</c> lists rows sent again for earlier runs, <c>PendingForNextRun</c> the rows this run's load did not get into
/// Anaplan, which the next run sends again. <c>Files</c> is how many files the dataset was staged and imported in (GL
/// when it is large: <c>Actuals:GlRowsPerFile</c>); <c>ImportTaskId</c> then lists every file's task, in order.
/// </summary>
public sealed record DatasetSummary(
    string Dataset,
    string Status,
    long Read,
    long Rejected,
    long Staged,
    int Parts,
    long UncompressedBytes,
    long CompressedBytes,
    long Accepted,
    long Failed,
    long Ignored,
    string? ImportTaskId,
    string? Sha256,
    IReadOnlyList<PeriodTotals> SageTotals,
    Reconciliation? Reconciliation,
    string? RejectionsBlob,
    string? Message,
    long Unchanged = 0,
    IReadOnlyList<ResentRows>? Resent = null,
    long PendingForNextRun = 0,
    int Files = 1);

/// <summary>The result of an actuals run: its output, its audit summary.</summary>
public sealed record ActualsRunSummary(
    string RunId,
    string ConnectionId,
    string Status,
    string Trigger,
    IReadOnlyList<string> Periods,
    AlignmentResult? Alignment,
    IReadOnlyList<DatasetSummary> Datasets,
    DateTime StartedAt,
    DateTime FinishedAt);

/// <summary>Dataset statuses.</summary>
public static class DatasetStatuses
{
    public const string Loaded = "Loaded";
    public const string LoadedWithFailures = "LoadedWithFailures";
    public const string NoChanges = "NoChanges";
    public const string Failed = "Failed";
}
