using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows.Anaplan;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Dimensions;

/// <summary>
/// Input of <see cref="DimensionAlignmentOrchestrator"/>: the run, the connection's settings as the run started, and what
/// earlier attempts of the run recorded (for a resumed run).
/// </summary>
public sealed record DimensionAlignmentInput(RunRef Run, ConnectionOptions Connection, IReadOnlyDictionary<string, Storage.RecordedStep>? Steps = null);

/// <summary>Outcome of alignment, with the list loads that made it.</summary>
public sealed record DimensionAlignmentResult(AlignmentResult Alignment, SageDimensions Sage, LoadDatasetResult Accounts, LoadDatasetResult CostCenters);

/// <summary>
/// Aligns the chart of accounts and the cost centres before any data moves: reads and parses them from Sage, loads
/// the Accounts and Cost Centers lists through their import actions (each inside the model lock), reads back from
/// Anaplan which items exist, and keeps the members valid on both sides for the rest of the run. In a resumed run, each
/// of these steps an earlier attempt finished is taken as recorded; once one is done again, the steps that depend on it
/// are done again too.
/// </summary>
public sealed class DimensionAlignmentOrchestrator : TaskOrchestrator<DimensionAlignmentInput, DimensionAlignmentResult>
{
    /// <summary>The export steps of the list read-backs.</summary>
    internal const string AccountItems = "accounts", CostCenterItems = "cost-centers";

    public override async Task<DimensionAlignmentResult> RunAsync(TaskOrchestrationContext context, DimensionAlignmentInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        RunRef run = input.Run;
        ConnectionOptions connection = input.Connection;
        ActualsFlowOptions actuals = connection.Actuals;
        var steps = new RecordedSteps(input.Steps);

        SageDimensions? sage = steps.Get<SageDimensions>(StepKeys.SageDimensions);
        bool redone = sage is null;
        sage ??= await context.CallActivityAsync<SageDimensions>(nameof(ReadSageDimensionsActivity), run, AnaplanPolling.Retry);
        RecordedSteps after = redone ? RecordedSteps.None : steps;

        (LoadDatasetResult accounts, bool accountsRedone) = await LoadDatasetOrchestrator.LoadOrResumeAsync(
            context, connection, new LoadDatasetInput(run, Datasets.Accounts, actuals.Imports.Accounts, sage.AccountsCsv), after, SubOptions(context, Datasets.Accounts));
        (LoadDatasetResult costCenters, bool costCentersRedone) = await LoadDatasetOrchestrator.LoadOrResumeAsync(
            context, connection, new LoadDatasetInput(run, Datasets.CostCenters, actuals.Imports.CostCenters, sage.CostCentersCsv), after, SubOptions(context, Datasets.CostCenters));
        after = redone || accountsRedone || costCentersRedone ? RecordedSteps.None : steps;

        (ExportResult accountItems, bool accountItemsRedone) = await RunExportOrchestrator.ExportOrResumeAsync(
            context, connection, new RunExportInput(run, actuals.Exports.Accounts, Datasets.RunBlob(run, "anaplan-accounts.csv")), AccountItems, after, SubOptions(context, "export-accounts"));
        (ExportResult costCenterItems, bool costCenterItemsRedone) = await RunExportOrchestrator.ExportOrResumeAsync(
            context, connection, new RunExportInput(run, actuals.Exports.CostCenters, Datasets.RunBlob(run, "anaplan-cost-centers.csv")), CostCenterItems, after, SubOptions(context, "export-cost-centers"));
        if (accountItems.BlobName is null || costCenterItems.BlobName is null)
        {
            throw new InvalidOperationException(
                $"Anaplan did not export its list items (Accounts: {accountItems.State}, Cost Centers: {costCenterItems.State}); alignment cannot tell which members exist.");
        }

        AlignmentResult? alignment = accountItemsRedone || costCenterItemsRedone ? null : after.Get<AlignmentResult>(StepKeys.Alignment);
        alignment ??= await context.CallActivityAsync<AlignmentResult>(
            nameof(BuildAlignmentActivity),
            new BuildAlignmentInput(run, sage.SnapshotBlob, accountItems.BlobName, costCenterItems.BlobName),
            AnaplanPolling.Retry);
        return new DimensionAlignmentResult(alignment, sage, accounts, costCenters);
    }

    /// <summary>Sub-orchestration ids derived from the parent's, so a replayed parent finds its children.</summary>
    internal static TaskOptions SubOptions(TaskOrchestrationContext context, string step)
        => new SubOrchestrationOptions { InstanceId = Operations.RunIds.SubRun(context.InstanceId, step) };
}
