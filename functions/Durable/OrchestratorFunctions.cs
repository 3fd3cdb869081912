using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Flows.Anaplan;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.Flows.Recovery;
using Connector.Orchestrations.Telemetry;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace Connector.Functions.Durable;

/// <summary>
/// Orchestration triggers: one thin adapter per orchestrator in <see cref="ConnectorTasks.Orchestrators"/>; each reads
/// its input and delegates to the class in orchestrations/. Function name = class name = the name runs are started with.
/// </summary>
public static class OrchestratorFunctions
{
    [Function(nameof(SelfTestOrchestrator))]
    public static Task<SelfTestResult> SelfTest([OrchestrationTrigger] TaskOrchestrationContext context)
        => Run<SelfTestOrchestrator, SelfTestInput, SelfTestResult>(context);

    [Function(nameof(ActualsSyncOrchestrator))]
    public static Task<ActualsRunSummary> ActualsSync([OrchestrationTrigger] TaskOrchestrationContext context)
        => Run<ActualsSyncOrchestrator, ActualsRunInput, ActualsRunSummary>(context);

    [Function(nameof(DimensionAlignmentOrchestrator))]
    public static Task<DimensionAlignmentResult> DimensionAlignment([OrchestrationTrigger] TaskOrchestrationContext context)
        => Run<DimensionAlignmentOrchestrator, DimensionAlignmentInput, DimensionAlignmentResult>(context);

    [Function(nameof(LoadDatasetOrchestrator))]
    public static Task<Orchestrations.Flows.LoadDatasetResult> LoadDataset([OrchestrationTrigger] TaskOrchestrationContext context)
        => Run<LoadDatasetOrchestrator, LoadDatasetRequest, Orchestrations.Flows.LoadDatasetResult>(context);

    [Function(nameof(RunExportOrchestrator))]
    public static Task<Orchestrations.Flows.ExportResult> RunExport([OrchestrationTrigger] TaskOrchestrationContext context)
        => Run<RunExportOrchestrator, RunExportRequest, Orchestrations.Flows.ExportResult>(context);

    [Function(nameof(BudgetSyncOrchestrator))]
    public static Task<BudgetRunSummary> BudgetSync([OrchestrationTrigger] TaskOrchestrationContext context)
        => Run<BudgetSyncOrchestrator, BudgetRunInput, BudgetRunSummary>(context);

    [Function(nameof(DatasetRecoveryOrchestrator))]
    public static Task<ActualsRunSummary> DatasetRecovery([OrchestrationTrigger] TaskOrchestrationContext context)
        => Run<DatasetRecoveryOrchestrator, DatasetRecoveryInput, ActualsRunSummary>(context);

    private static Task<TOutput> Run<TOrchestrator, TInput, TOutput>(TaskOrchestrationContext context)
        where TOrchestrator : TaskOrchestrator<TInput, TOutput>, new()
    {
        ArgumentNullException.ThrowIfNull(context);
        TInput input = context.GetInput<TInput>()
            ?? throw new InvalidOperationException($"{typeof(TOrchestrator).Name} was started without input.");
        return ConnectorTelemetry.ObserveRunAsync(context, typeof(TOrchestrator), input, () => new TOrchestrator().RunAsync(context, input));
    }
}
