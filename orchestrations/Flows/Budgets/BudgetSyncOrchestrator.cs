using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows.Anaplan;
using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.Scheduling;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Budgets;

/// <summary>
/// The return flow, Anaplan → Sage 100: export the approved values (inside the model lock), plan balanced journal
/// entries on accounts and cost centres that exist in Sage, then post each one exactly once (natural-key lookup
/// before every create), a few at a time since Sage serializes writes per company. A dry run stops after planning. A
/// rewound run takes the Sage dimensions, the export and the plan an earlier attempt recorded, and posts again only the
/// entries that were not posted (an entry this run posted is taken from the journal record, Sage is not asked again).
/// </summary>
public sealed class BudgetSyncOrchestrator : TaskOrchestrator<BudgetRunInput, BudgetRunSummary>
{
    /// <summary>Durable retries for posting: Sage locked or unavailable longer than the client's own retries.</summary>
    internal static readonly TaskOptions PostRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 6,
        firstRetryInterval: TimeSpan.FromSeconds(5),
        backoffCoefficient: 2.0,
        maxRetryInterval: TimeSpan.FromMinutes(2))
    {
        HandleFailure = failure => failure.IsCausedBy<SageBusyException>() || failure.IsCausedBy<HttpRequestException>() || failure.IsCausedBy<TimeoutException>(),
    });

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
        BudgetPlan plan = (replan || exported ? null : steps.Get<BudgetPlan>(StepKeys.Plan)) ?? await context.CallActivityAsync<BudgetPlan>(
            nameof(PlanBudgetEntriesActivity),
            new PlanBudgetInput(run, export.BlobName, sage.SnapshotBlob, version, input.FiscalYear, input.FromPeriod, input.ToPeriod),
            AnaplanPolling.Retry);

        var results = new List<EntryResult>();
        if (!input.DryRun)
        {
            int degree = Math.Max(1, connection.Budgets.MaxParallelPosts);
            for (int start = 0; start < plan.EntryCount; start += degree)
            {
                context.SetCustomStatus(new RunProgress("posting", Datasets.Budget, $"{start} of {plan.EntryCount} entries done"));
                IEnumerable<Task<EntryResult>> window = Enumerable.Range(start, Math.Min(degree, plan.EntryCount - start))
                    .Select(i => PostAsync(context, run, plan, i));
                results.AddRange(await Task.WhenAll(window));
            }
        }

        string status = input.DryRun
            ? RunStatuses.DryRun
            : results.Any(r => r.Status is Storage.JournalStatuses.Failed or Storage.JournalStatuses.NeedsReview)
                ? RunStatuses.CompletedWithFailures
                : plan.LinesRejected > 0 || results.Any(r => r.Status == Storage.JournalStatuses.Rejected)
                    ? RunStatuses.CompletedWithRejections
                    : RunStatuses.Completed;
        DateTime finishedAt = context.CurrentUtcDateTime;
        var summary = new BudgetRunSummary(run.RunId, run.ConnectionId, status, input.Trigger, input.DryRun, version, export.TaskId, plan, results, startedAt, finishedAt);
        await context.CallActivityAsync<bool>(
            nameof(CompleteRunActivity),
            new CompleteRunInput(run, ScheduleEvaluator.Flows.Budgets, input.Trigger, status, startedAt, finishedAt, SummaryJson.Serialize(summary)),
            AnaplanPolling.Retry);
        context.SetCustomStatus(new RunProgress("done", null, status));
        return summary;
    }

    private static async Task<EntryResult> PostAsync(TaskOrchestrationContext context, RunRef run, BudgetPlan plan, int index)
    {
        try
        {
            return await context.CallActivityAsync<EntryResult>(nameof(PostJournalEntryActivity), new PostEntryInput(run, plan.EntriesPrefix, index), PostRetry);
        }
        catch (TaskFailedException ex)
        {
            // Still failing after the retries: this entry is reported, the others go on. It was never half-posted:
            // the next run finds it in Sage by its external id if the create did land.
            EntrySummary entry = plan.Entries[index];
            return new EntryResult(entry.ExternalId, entry.GroupKey, entry.Period, Storage.JournalStatuses.Failed, null, null, entry.Debit, entry.Credit, ex.FailureDetails.ErrorMessage);
        }
    }
}
