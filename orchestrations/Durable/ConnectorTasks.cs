using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Flows.Anaplan;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.Flows.Recovery;
using Connector.Orchestrations.Telemetry;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace Connector.Orchestrations.Durable;

/// <summary>
/// The one list of every orchestrator, activity and entity of the connector. The local Durable Task host registers
/// from it; the Functions app has one thin trigger adapter per entry (a test checks the two agree).
/// </summary>
public static class ConnectorTasks
{
    /// <summary>Gets the orchestrator types.</summary>
    public static IReadOnlyList<Type> Orchestrators { get; } =
    [
        typeof(SelfTestOrchestrator),
        typeof(ActualsSyncOrchestrator),
        typeof(DimensionAlignmentOrchestrator),
        typeof(LoadDatasetOrchestrator),
        typeof(RunExportOrchestrator),
        typeof(BudgetSyncOrchestrator),
        typeof(DatasetRecoveryOrchestrator),
    ];

    /// <summary>Gets the activity types.</summary>
    public static IReadOnlyList<Type> Activities { get; } =
    [
        typeof(SelfTestActivity),
        typeof(BeginRunActivity),
        typeof(CompleteRunActivity),
        typeof(FailRunActivity),
        typeof(RecordStepActivity),
        typeof(RecordDatasetActivity),
        typeof(CommitWatermarkActivity),
        typeof(CheckAnaplanModelActivity),
        typeof(ReadSageDimensionsActivity),
        typeof(ReadAnaplanListsActivity),
        typeof(BuildAlignmentActivity),
        typeof(ResolvePeriodsActivity),
        typeof(ExtractGlActualsActivity),
        typeof(DiscardProvisionalGlActivity),
        typeof(ExtractApActualsActivity),
        typeof(ExtractVendorsActivity),
        typeof(UploadAnaplanChunksActivity),
        typeof(StartAnaplanTaskActivity),
        typeof(GetAnaplanTaskStatusActivity),
        typeof(CancelAnaplanTaskActivity),
        typeof(RecordImportFailuresActivity),
        typeof(DownloadAnaplanExportActivity),
        typeof(ReconcileDatasetActivity),
        typeof(PlanBudgetEntriesActivity),
        typeof(PostJournalBatchActivity),
        typeof(CollectBudgetResultsActivity),
        typeof(PrepareRecoveryActivity),
    ];

    /// <summary>Gets the entity types.</summary>
    public static IReadOnlyList<Type> Entities { get; } =
    [
        typeof(ModelLock),
    ];

    /// <summary>
    /// Registers every task with a Durable Task registry (task name = class name), with the connector's telemetry
    /// around each: a span per activity, the failure of a flow's run reported (<see cref="ConnectorTelemetry"/>).
    /// </summary>
    public static DurableTaskRegistry AddConnectorTasks(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        foreach (Type type in Orchestrators)
        {
            registry.AddOrchestrator(new TaskName(type.Name), () => ConnectorTelemetry.Observed((ITaskOrchestrator)Activator.CreateInstance(type)!));
        }

        foreach (Type type in Activities)
        {
            registry.AddActivity(new TaskName(type.Name), sp => ConnectorTelemetry.Traced(type.Name, (ITaskActivity)ActivatorUtilities.CreateInstance(sp, type)));
        }

        foreach (Type type in Entities)
        {
            registry.AddEntity(type);
        }

        return registry;
    }
}
