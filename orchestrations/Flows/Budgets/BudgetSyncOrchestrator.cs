using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Flows.Anaplan;
using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.Scheduling;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Budgets;

/// <summary>
/// The return flow, Anaplan → Sage 100: export the approved values (inside the model lock), plan balanced journal
/// entries on accounts and cost centres that exist in Sage, then post each one exactly once (natural-key lookup
/// before every create) in batches (<c>Budgets:PostBatchSize</c> entries an activity, <c>Budgets:MaxParallelPosts</c>
/// batches in flight), so the history grows by batches, not by entries; the per-entry results go to blobs and the
/// output carries counts, the first problem entries and the results blob's name. A dry run stops after planning. A
/// rewound run takes the Sage dimensions, the export and the plan an earlier attempt recorded, skips the batches an
/// earlier attempt recorded without a problem entry, and posts again only the entries that were not posted (an entry
/// this run posted is taken from the journal record, Sage is not asked again).
/// </summary>
public sealed class BudgetSyncOrchestrator : TaskOrchestrator<BudgetRunInput, BudgetRunSummary>
{
    /// <summary>
    /// Durable retries for posting: Sage locked or unavailable longer than the client's own retries. 6 attempts, the first
    /// retry after <see cref="DurableRetry.FirstInterval"/> (<c>Durable:RetryFirstInterval</c>, 5 s by default: 5+10+20+40+80 s),
    /// each wait twice the last, at most 2 minutes. Fixed for the life of the process (see <see cref="DurableRetry"/>).
    /// </summary>
    internal static TaskOptions PostRetry => DurableRetry.Posting;

    /// <summary>The step of the approved-values export (<see cref="StepKeys.Export"/>).</summary>
    internal const string ExportStep = "budget";

    public override async Task<BudgetRunSummary> RunAsync(TaskOrchestrationContext context, BudgetRunInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var run = new RunRef(input.ConnectionId, context.InstanceId, input.Attempt);
        DateTime startedAt = context.CurrentUtcDateTime;

        context.SetCustomStatus(new RunProgress("starting", null, input.DryRun ? "dry run" : input.Attempt > 1 ? $"attempt {input.Attempt}" : null));
        RunStart begun = await context.CallActivityAsync<RunStart>(
            nameof(BeginRunActivity), new BeginRunInput(run, ScheduleEvaluator.Flows.Budgets, input.Trigger, startedAt), AnaplanPolling.Retry);
        ConnectionOptions connection = begun.Connection;
        var steps = new RecordedSteps(begun.Steps);
        string version = input.Version ?? connection.Budgets.Version;

        context.SetCustomStatus(new RunProgress("reading Sage dimensions", null, "account structure, accounts, cost centres"));
        SageDimensions? sage = steps.Get<SageDimensions>(StepKeys.SageDimensions);
        bool replan = sage is null;
        sage ??= await context.CallActivityAsync<SageDimensions>(nameof(ReadSageDimensionsActivity), new SageDimensionsInput(run), AnaplanPolling.Retry);

        context.SetCustomStatus(new RunProgress("exporting", Datasets.Budget, connection.Budgets.Export));
        (ExportResult export, bool exported) = await RunExportOrchestrator.ExportOrResumeAsync(
            context,
            connection,
            new RunExportInput(run, connection.Budgets.Export, Datasets.RunBlob(run, "budget/export.csv")),
            ExportStep,
            steps,
            DimensionAlignmentOrchestrator.SubOptions(context, "export-budget"));
        if (export.BlobName is null)
        {
            throw new InvalidOperationException($"The export '{connection.Budgets.Export}' ended {export.State}; nothing was posted.");
        }

        context.SetCustomStatus(new RunProgress("planning entries", Datasets.Budget, $"version {version}, grouping {connection.Budgets.Grouping}"));
        BudgetPlan? recordedPlan = replan || exported ? null : steps.Get<BudgetPlan>(StepKeys.Plan);
        BudgetPlan plan = recordedPlan ?? await context.CallActivityAsync<BudgetPlan>(
            nameof(PlanBudgetEntriesActivity),
            new PlanBudgetInput(run, export.BlobName, sage.SnapshotBlob, version, input.FiscalYear, input.FromPeriod, input.ToPeriod),
            AnaplanPolling.Retry);

        int batchSize = connection.Budgets.PostBatchSize;
        IReadOnlyList<FailedBatch> failed = input.DryRun
            ? []
            : await PostAsync(context, run, plan, batchSize, connection.Budgets.MaxParallelPosts, recordedPlan is null ? RecordedSteps.None : steps);

        context.SetCustomStatus(new RunProgress("collecting results", Datasets.Budget, $"{plan.EntryCount} entries"));
        BudgetResultsDigest digest = await context.CallActivityAsync<BudgetResultsDigest>(
            nameof(CollectBudgetResultsActivity), new CollectResultsInput(run, plan, batchSize, input.DryRun, failed), AnaplanPolling.Retry);
        int Count(string s) => digest.ByStatus.TryGetValue(s, out int n) ? n : 0;
        string status = input.DryRun
            ? RunStatuses.DryRun
            : Count(Storage.JournalStatuses.Failed) + Count(Storage.JournalStatuses.NeedsReview) > 0
                ? RunStatuses.CompletedWithFailures
                : plan.LinesRejected > 0 || Count(Storage.JournalStatuses.Rejected) > 0
                    ? RunStatuses.CompletedWithRejections
                    : RunStatuses.Completed;
        DateTime finishedAt = context.CurrentUtcDateTime;
        var summary = new BudgetRunSummary(
            run.RunId, run.ConnectionId, status, input.Trigger, input.DryRun, version, export.TaskId, plan, digest.ByStatus, digest.FirstProblems, digest.ResultsBlob, startedAt, finishedAt);
        await context.CallActivityAsync<bool>(
            nameof(CompleteRunActivity),
            new CompleteRunInput(run, ScheduleEvaluator.Flows.Budgets, input.Trigger, status, startedAt, finishedAt, SummaryJson.Serialize(summary)),
            AnaplanPolling.Retry);
        context.SetCustomStatus(new RunProgress("done", null, status));
        return summary;
    }

    /// <summary>
    /// Posts the plan's entries in batches of <paramref name="batchSize"/>, <paramref name="degree"/> batches in flight (a
    /// new one starts as soon as one ends). A batch an earlier attempt of this run recorded without a problem entry is not
    /// posted again (<paramref name="recorded"/> is empty when the plan was made again). Returns the batches that still
    /// failed after the durable retries: their entries are reported, the other batches go on.
    /// </summary>
    private static async Task<IReadOnlyList<FailedBatch>> PostAsync(
        TaskOrchestrationContext context, RunRef run, BudgetPlan plan, int batchSize, int degree, RecordedSteps recorded)
    {
        var failed = new List<FailedBatch>();
        var inFlight = new List<Task<(int Count, FailedBatch? Failure)>>();
        int batches = (plan.EntryCount + batchSize - 1) / batchSize, next = 0, done = 0;
        while (next < batches || inFlight.Count > 0)
        {
            while (next < batches && inFlight.Count < Math.Max(1, degree))
            {
                int batch = next++, start = batch * batchSize, count = Math.Min(batchSize, plan.EntryCount - start);
                if (recorded.Get<PostBatchResult>(StepKeys.PostBatch(batch)) is { Problems: 0 } earlier && earlier.Start == start && earlier.Count == count)
                {
                    done += count;
                    continue;
                }

                inFlight.Add(PostBatchAsync(context, new PostBatchInput(run, plan.EntriesPrefix, plan.EntriesPerPage, batch, start, count)));
            }

            if (inFlight.Count == 0)
            {
                break;
            }

            context.SetCustomStatus(new RunProgress("posting", Datasets.Budget, $"{done} of {plan.EntryCount} entries done, batches of {batchSize}"));
            Task<(int Count, FailedBatch? Failure)> ended = await Task.WhenAny(inFlight);
            inFlight.Remove(ended);
            (int posted, FailedBatch? failure) = await ended;
            done += posted;
            if (failure is not null)
            {
                failed.Add(failure);
            }
        }

        return failed;
    }

    private static async Task<(int Count, FailedBatch? Failure)> PostBatchAsync(TaskOrchestrationContext context, PostBatchInput input)
    {
        try
        {
            await context.CallActivityAsync<PostBatchResult>(nameof(PostJournalBatchActivity), input, PostRetry);
            return (input.Count, null);
        }
        catch (TaskFailedException ex)
        {
            // Still failing after the retries: this batch's entries are reported, the other batches go on. None was
            // half-posted: the next attempt finds in Sage by its external id any create that did land.
            return (input.Count, new FailedBatch(input.Batch, ex.FailureDetails.ErrorMessage));
        }
    }
}
