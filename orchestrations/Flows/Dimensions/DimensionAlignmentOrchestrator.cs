using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows.Anaplan;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Dimensions;

/// <summary>Input of <see cref="DimensionAlignmentOrchestrator"/>: the run, the connection's settings as the run started, and its import layouts.</summary>
public sealed record DimensionAlignmentInput(RunRef Run, ConnectionOptions Connection, ModelFit.ImportLayouts? Layouts = null);

/// <summary>Outcome of alignment, with the list loads that made it (no cost-centre load when the model has no cost-centre list).</summary>
public sealed record DimensionAlignmentResult(AlignmentResult Alignment, SageDimensions Sage, LoadDatasetResult Accounts, LoadDatasetResult? CostCenters);

/// <summary>
/// Aligns the chart of accounts and the cost centres before any data moves: reads and parses them from Sage, loads
/// the Accounts and Cost Centers lists through their import actions (each inside the model lock), reads back from
/// Anaplan which items exist (the Integration API's list read; a list export only when that read is refused and one is
/// set), and keeps the members valid on both sides for the rest of the run.
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

        ModelFit.ImportLayouts layouts = input.Layouts ?? new ModelFit.ImportLayouts([]);
        bool costCenterList = !string.IsNullOrWhiteSpace(actuals.Imports.CostCenters);
        SageDimensions sage = await context.CallActivityAsync<SageDimensions>(
            nameof(ReadSageDimensionsActivity), new SageDimensionsInput(run, StageLists: true, layouts, costCenterList), AnaplanPolling.Retry);

        LoadDatasetResult accounts = await context.CallSubOrchestratorAsync<LoadDatasetResult>(
            nameof(LoadDatasetOrchestrator),
            LoadDatasetOrchestrator.For(connection, new LoadDatasetInput(run, Datasets.Accounts, actuals.Imports.Accounts, sage.AccountsCsv!, Layout: layouts.For(Datasets.Accounts))),
            SubOptions(context, Datasets.Accounts));
        LoadDatasetResult? costCenters = costCenterList
            ? await context.CallSubOrchestratorAsync<LoadDatasetResult>(
                nameof(LoadDatasetOrchestrator),
                LoadDatasetOrchestrator.For(connection, new LoadDatasetInput(run, Datasets.CostCenters, actuals.Imports.CostCenters!, sage.CostCentersCsv!, Layout: layouts.For(Datasets.CostCenters))),
                SubOptions(context, Datasets.CostCenters))
            : null;

        // Which members exist in Anaplan now: read from the lists; a list whose read Anaplan refuses is read through its
        // fallback export (the activity fails the run, naming the fix, when none is set).
        var lists = new List<ListToRead>
        {
            new("accounts", actuals.Lists.Accounts, "Actuals:Lists:Accounts", actuals.Exports.Accounts, "Actuals:Exports:Accounts"),
        };
        if (costCenterList)
        {
            lists.Add(new("cost centres", actuals.Lists.CostCenters!, "Actuals:Lists:CostCenters", actuals.Exports.CostCenters, "Actuals:Exports:CostCenters"));
        }

        ListReadResult read = await context.CallActivityAsync<ListReadResult>(nameof(ReadAnaplanListsActivity), new ReadListsInput(run, lists), AnaplanPolling.Retry);
        var blobs = new List<string>();
        var readThrough = new List<string>();
        foreach (ListMembers members in read.Lists)
        {
            if (members.Blob is not null)
            {
                blobs.Add(members.Blob);
                readThrough.Add($"{members.Dimension}: list '{members.ListName}' ({members.Count} item(s))");
                continue;
            }

            ExportResult export = await context.CallSubOrchestratorAsync<ExportResult>(
                nameof(RunExportOrchestrator),
                RunExportRequest.For(connection, new RunExportInput(run, members.FallbackExport!, Datasets.RunBlob(run, $"anaplan-{Datasets.BlobSafeName(members.Dimension)}-export.csv"))),
                SubOptions(context, "export-" + Datasets.BlobSafeName(members.Dimension)));
            if (export.BlobName is null)
            {
                throw new InvalidOperationException(
                    $"Anaplan did not export the {members.Dimension} list ('{members.FallbackExport}' ended {export.State}), read instead of the list because {members.FallbackReason}; alignment cannot tell which members exist.");
            }

            blobs.Add(export.BlobName);
            readThrough.Add($"{members.Dimension}: export '{members.FallbackExport}' ({members.FallbackReason})");
        }

        AlignmentResult alignment = await context.CallActivityAsync<AlignmentResult>(
            nameof(BuildAlignmentActivity),
            new BuildAlignmentInput(run, sage.SnapshotBlob, blobs[0], costCenterList ? blobs[1] : null, costCenterList),
            AnaplanPolling.Retry);
        return new DimensionAlignmentResult(alignment with { ReadThrough = readThrough }, sage, accounts, costCenters);
    }

    /// <summary>Sub-orchestration ids derived from the parent's, so a replayed parent finds its children.</summary>
    internal static TaskOptions SubOptions(TaskOrchestrationContext context, string step)
        => new SubOrchestrationOptions { InstanceId = Operations.RunIds.SubRun(context.InstanceId, step) };
}
