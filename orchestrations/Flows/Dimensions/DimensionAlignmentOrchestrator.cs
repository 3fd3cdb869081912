using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows.Anaplan;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Dimensions;

/// <summary>Input of <see cref="DimensionAlignmentOrchestrator"/>: the run and the connection's settings as the run started.</summary>
public sealed record DimensionAlignmentInput(RunRef Run, ConnectionOptions Connection);

/// <summary>Outcome of alignment, with the list loads that made it.</summary>
public sealed record DimensionAlignmentResult(AlignmentResult Alignment, SageDimensions Sage, LoadDatasetResult Accounts, LoadDatasetResult CostCenters);

/// <summary>
/// Aligns the chart of accounts and the cost centres before any data moves: reads and parses them from Sage, loads
/// the Accounts and Cost Centers lists through their import actions (each inside the model lock), reads back from
/// Anaplan which items exist, and keeps the members valid on both sides for the rest of the run.
/// </summary>
public sealed class DimensionAlignmentOrchestrator : TaskOrchestrator<DimensionAlignmentInput, DimensionAlignmentResult>
{
    public override async Task<DimensionAlignmentResult> RunAsync(TaskOrchestrationContext context, DimensionAlignmentInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        RunRef run = input.Run;
        ConnectionOptions connection = input.Connection;
        ActualsFlowOptions actuals = connection.Actuals;

        SageDimensions sage = await context.CallActivityAsync<SageDimensions>(nameof(ReadSageDimensionsActivity), run, AnaplanPolling.Retry);

        LoadDatasetResult accounts = await context.CallSubOrchestratorAsync<LoadDatasetResult>(
            nameof(LoadDatasetOrchestrator),
            LoadDatasetOrchestrator.For(connection, new LoadDatasetInput(run, Datasets.Accounts, actuals.Imports.Accounts, sage.AccountsCsv)),
            SubOptions(context, Datasets.Accounts));
        LoadDatasetResult costCenters = await context.CallSubOrchestratorAsync<LoadDatasetResult>(
            nameof(LoadDatasetOrchestrator),
            LoadDatasetOrchestrator.For(connection, new LoadDatasetInput(run, Datasets.CostCenters, actuals.Imports.CostCenters, sage.CostCentersCsv)),
            SubOptions(context, Datasets.CostCenters));

        ExportResult accountItems = await context.CallSubOrchestratorAsync<ExportResult>(
            nameof(RunExportOrchestrator),
            RunExportRequest.For(connection, new RunExportInput(run, actuals.Exports.Accounts, Datasets.RunBlob(run, "anaplan-accounts.csv"))),
            SubOptions(context, "export-accounts"));
        ExportResult costCenterItems = await context.CallSubOrchestratorAsync<ExportResult>(
            nameof(RunExportOrchestrator),
            RunExportRequest.For(connection, new RunExportInput(run, actuals.Exports.CostCenters, Datasets.RunBlob(run, "anaplan-cost-centers.csv"))),
            SubOptions(context, "export-cost-centers"));
        if (accountItems.BlobName is null || costCenterItems.BlobName is null)
        {
            throw new InvalidOperationException(
                $"Anaplan did not export its list items (Accounts: {accountItems.State}, Cost Centers: {costCenterItems.State}); alignment cannot tell which members exist.");
        }

        AlignmentResult alignment = await context.CallActivityAsync<AlignmentResult>(
            nameof(BuildAlignmentActivity),
            new BuildAlignmentInput(run, sage.SnapshotBlob, accountItems.BlobName, costCenterItems.BlobName),
            AnaplanPolling.Retry);
        return new DimensionAlignmentResult(alignment, sage, accounts, costCenters);
    }

    /// <summary>Sub-orchestration ids derived from the parent's, so a replayed parent finds its children.</summary>
    internal static TaskOptions SubOptions(TaskOrchestrationContext context, string step)
        => new SubOrchestrationOptions { InstanceId = Operations.RunIds.SubRun(context.InstanceId, step) };
}
