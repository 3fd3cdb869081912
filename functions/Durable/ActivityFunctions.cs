using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Flows.Anaplan;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.Flows.Recovery;
using Connector.Orchestrations.Telemetry;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace Connector.Functions.Durable;

/// <summary>
/// Activity triggers: one thin adapter per activity in <see cref="ConnectorTasks.Activities"/>; the activity class is
/// created from the invocation's services and run with the input the orchestration passed.
/// </summary>
public static class ActivityFunctions
{
    [Function(nameof(SelfTestActivity))]
    public static Task<string> SelfTest([ActivityTrigger] string input, FunctionContext context)
        => Run<SelfTestActivity, string, string>(context, input);

    [Function(nameof(BeginRunActivity))]
    public static Task<RunStart> BeginRun([ActivityTrigger] BeginRunInput input, FunctionContext context)
        => Run<BeginRunActivity, BeginRunInput, RunStart>(context, input);

    [Function(nameof(CompleteRunActivity))]
    public static Task<bool> CompleteRun([ActivityTrigger] CompleteRunInput input, FunctionContext context)
        => Run<CompleteRunActivity, CompleteRunInput, bool>(context, input);

    [Function(nameof(FailRunActivity))]
    public static Task<bool> FailRun([ActivityTrigger] FailRunInput input, FunctionContext context)
        => Run<FailRunActivity, FailRunInput, bool>(context, input);

    [Function(nameof(RecordStepActivity))]
    public static Task<bool> RecordStep([ActivityTrigger] RecordStepInput input, FunctionContext context)
        => Run<RecordStepActivity, RecordStepInput, bool>(context, input);

    [Function(nameof(RecordDatasetActivity))]
    public static Task<bool> RecordDataset([ActivityTrigger] RecordDatasetInput input, FunctionContext context)
        => Run<RecordDatasetActivity, RecordDatasetInput, bool>(context, input);

    [Function(nameof(CommitWatermarkActivity))]
    public static Task<CommitResult> CommitWatermark([ActivityTrigger] CommitWatermarkInput input, FunctionContext context)
        => Run<CommitWatermarkActivity, CommitWatermarkInput, CommitResult>(context, input);

    [Function(nameof(CheckAnaplanModelActivity))]
    public static Task<ModelTargets> CheckAnaplanModel([ActivityTrigger] CheckModelInput input, FunctionContext context)
        => Run<CheckAnaplanModelActivity, CheckModelInput, ModelTargets>(context, input);

    [Function(nameof(ReadSageDimensionsActivity))]
    public static Task<SageDimensions> ReadSageDimensions([ActivityTrigger] SageDimensionsInput input, FunctionContext context)
        => Run<ReadSageDimensionsActivity, SageDimensionsInput, SageDimensions>(context, input);

    [Function(nameof(ReadAnaplanListsActivity))]
    public static Task<ListReadResult> ReadAnaplanLists([ActivityTrigger] ReadListsInput input, FunctionContext context)
        => Run<ReadAnaplanListsActivity, ReadListsInput, ListReadResult>(context, input);

    [Function(nameof(BuildAlignmentActivity))]
    public static Task<AlignmentResult> BuildAlignment([ActivityTrigger] BuildAlignmentInput input, FunctionContext context)
        => Run<BuildAlignmentActivity, BuildAlignmentInput, AlignmentResult>(context, input);

    [Function(nameof(ResolvePeriodsActivity))]
    public static Task<ResolvedPeriods> ResolvePeriods([ActivityTrigger] ResolvePeriodsInput input, FunctionContext context)
        => Run<ResolvePeriodsActivity, ResolvePeriodsInput, ResolvedPeriods>(context, input);

    [Function(nameof(DiscardProvisionalGlActivity))]
    public static Task<GlSpeculation> DiscardProvisionalGl([ActivityTrigger] DiscardGlInput input, FunctionContext context)
        => Run<DiscardProvisionalGlActivity, DiscardGlInput, GlSpeculation>(context, input);

    [Function(nameof(ExtractGlActualsActivity))]
    public static Task<DatasetManifest> ExtractGlActuals([ActivityTrigger] ExtractInput input, FunctionContext context)
        => Run<ExtractGlActualsActivity, ExtractInput, DatasetManifest>(context, input);

    [Function(nameof(ExtractApActualsActivity))]
    public static Task<DatasetManifest> ExtractApActuals([ActivityTrigger] ExtractInput input, FunctionContext context)
        => Run<ExtractApActualsActivity, ExtractInput, DatasetManifest>(context, input);

    [Function(nameof(ExtractVendorsActivity))]
    public static Task<DatasetManifest> ExtractVendors([ActivityTrigger] ExtractInput input, FunctionContext context)
        => Run<ExtractVendorsActivity, ExtractInput, DatasetManifest>(context, input);

    [Function(nameof(UploadAnaplanChunksActivity))]
    public static Task<long> UploadAnaplanChunks([ActivityTrigger] UploadChunksInput input, FunctionContext context)
        => Run<UploadAnaplanChunksActivity, UploadChunksInput, long>(context, input);

    [Function(nameof(StartAnaplanTaskActivity))]
    public static Task<Orchestrations.Flows.Anaplan.TaskStatus> StartAnaplanTask([ActivityTrigger] StartTaskInput input, FunctionContext context)
        => Run<StartAnaplanTaskActivity, StartTaskInput, Orchestrations.Flows.Anaplan.TaskStatus>(context, input);

    [Function(nameof(GetAnaplanTaskStatusActivity))]
    public static Task<Orchestrations.Flows.Anaplan.TaskStatus> GetAnaplanTaskStatus([ActivityTrigger] TaskRef input, FunctionContext context)
        => Run<GetAnaplanTaskStatusActivity, TaskRef, Orchestrations.Flows.Anaplan.TaskStatus>(context, input);

    [Function(nameof(CancelAnaplanTaskActivity))]
    public static Task<Orchestrations.Flows.Anaplan.TaskStatus> CancelAnaplanTask([ActivityTrigger] TaskRef input, FunctionContext context)
        => Run<CancelAnaplanTaskActivity, TaskRef, Orchestrations.Flows.Anaplan.TaskStatus>(context, input);

    [Function(nameof(RecordImportFailuresActivity))]
    public static Task<ImportFailures> RecordImportFailures([ActivityTrigger] ImportFailuresInput input, FunctionContext context)
        => Run<RecordImportFailuresActivity, ImportFailuresInput, ImportFailures>(context, input);

    [Function(nameof(DownloadAnaplanExportActivity))]
    public static Task<long> DownloadAnaplanExport([ActivityTrigger] DownloadExportInput input, FunctionContext context)
        => Run<DownloadAnaplanExportActivity, DownloadExportInput, long>(context, input);

    [Function(nameof(ReconcileDatasetActivity))]
    public static Task<Reconciliation> ReconcileDataset([ActivityTrigger] ReconcileInput input, FunctionContext context)
        => Run<ReconcileDatasetActivity, ReconcileInput, Reconciliation>(context, input);

    [Function(nameof(PlanBudgetEntriesActivity))]
    public static Task<BudgetPlan> PlanBudgetEntries([ActivityTrigger] PlanBudgetInput input, FunctionContext context)
        => Run<PlanBudgetEntriesActivity, PlanBudgetInput, BudgetPlan>(context, input);

    [Function(nameof(PostJournalBatchActivity))]
    public static Task<PostBatchResult> PostJournalBatch([ActivityTrigger] PostBatchInput input, FunctionContext context)
        => Run<PostJournalBatchActivity, PostBatchInput, PostBatchResult>(context, input);

    [Function(nameof(CollectBudgetResultsActivity))]
    public static Task<BudgetResultsDigest> CollectBudgetResults([ActivityTrigger] CollectResultsInput input, FunctionContext context)
        => Run<CollectBudgetResultsActivity, CollectResultsInput, BudgetResultsDigest>(context, input);

    [Function(nameof(PrepareRecoveryActivity))]
    public static Task<RecoveryPlan> PrepareRecovery([ActivityTrigger] PrepareRecoveryInput input, FunctionContext context)
        => Run<PrepareRecoveryActivity, PrepareRecoveryInput, RecoveryPlan>(context, input);

    internal static Task<TOutput> Run<TActivity, TInput, TOutput>(FunctionContext context, TInput input)
        where TActivity : TaskActivity<TInput, TOutput>
    {
        ArgumentNullException.ThrowIfNull(context);
        TActivity activity = ActivatorUtilities.GetServiceOrCreateInstance<TActivity>(context.InstanceServices);
        return ConnectorTelemetry.TraceActivityAsync(typeof(TActivity).Name, input, () => activity.RunAsync(new FunctionActivityContext(context), input));
    }

    /// <summary>The activity context the orchestrations' activities see when Azure Functions runs them.</summary>
    private sealed class FunctionActivityContext(FunctionContext context) : TaskActivityContext
    {
        public override TaskName Name { get; } = new(context.FunctionDefinition.Name);

        public override string InstanceId { get; } =
            context.BindingContext.BindingData.TryGetValue("instanceId", out object? id) ? id?.ToString() ?? string.Empty : string.Empty;
    }
}
