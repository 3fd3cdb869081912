using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows.Anaplan;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Dimensions;

/// <summary>
/// Input of <see cref="DimensionAlignmentOrchestrator"/>: the run, the connection's settings as the run started, its
/// import layouts, what earlier attempts of the run recorded (for a resumed run), the imports and files the run's
/// model check found (null: each list load checks its own), and the Sage side when the parent read it (null: the
/// sub-orchestration reads it). The parent reads it itself so that it can stage GL against it while the lists load; it
/// passes the Sage step in <c>Steps</c> only when it took it as an earlier attempt recorded it. When
/// <c>NotifyWhenListsLoaded</c> names an orchestration (the parent), it is sent <see cref="DimensionAlignmentOrchestrator.ListsLoadedEvent"/>
/// once the lists are loaded, before they are read back: what needs the lists' items only need not wait for the alignment.
/// </summary>
public sealed record DimensionAlignmentInput(
    RunRef Run,
    ConnectionOptions Connection,
    ModelFit.ImportLayouts? Layouts = null,
    IReadOnlyDictionary<string, Storage.RecordedStep>? Steps = null,
    IReadOnlyList<ImportTarget>? Targets = null,
    SageDimensions? Sage = null,
    string? NotifyWhenListsLoaded = null);

/// <summary>Outcome of alignment, with the list loads that made it (no cost-centre load when the model has no cost-centre list).</summary>
public sealed record DimensionAlignmentResult(AlignmentResult Alignment, SageDimensions Sage, LoadDatasetResult Accounts, LoadDatasetResult? CostCenters);

/// <summary>
/// Aligns the chart of accounts and the cost centres before any data is loaded: takes them as the parent read and parsed
/// them from Sage (or reads them), loads
/// the Accounts and Cost Centers lists through their import actions (each inside the model lock), reads back from
/// Anaplan which items exist (the Integration API's list read; a list export only when that read is refused and one is
/// set), and keeps the members valid on both sides for the rest of the run. In a resumed run, each of these steps an
/// earlier attempt finished is taken as recorded; once one is done again, the steps that depend on it are done again too.
/// </summary>
public sealed class DimensionAlignmentOrchestrator : TaskOrchestrator<DimensionAlignmentInput, DimensionAlignmentResult>
{
    /// <summary>The export steps of the list read-backs (when a list read is refused and its fallback export runs).</summary>
    internal const string AccountItems = "accounts", CostCenterItems = "cost-centers";

    /// <summary>The event sent to <see cref="DimensionAlignmentInput.NotifyWhenListsLoaded"/> once the lists are loaded (or taken as an earlier attempt loaded them).</summary>
    public const string ListsLoadedEvent = "dimension-lists-loaded";

    public override async Task<DimensionAlignmentResult> RunAsync(TaskOrchestrationContext context, DimensionAlignmentInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        RunRef run = input.Run;
        ConnectionOptions connection = input.Connection;
        ActualsFlowOptions actuals = connection.Actuals;
        var steps = new RecordedSteps(input.Steps);
        ModelFit.ImportLayouts layouts = input.Layouts ?? new ModelFit.ImportLayouts([]);
        bool costCenterList = !string.IsNullOrWhiteSpace(actuals.Imports.CostCenters);

        SageDimensions? sage = steps.Get<SageDimensions>(StepKeys.SageDimensions);
        bool redone = sage is null;
        sage ??= input.Sage ?? await ReadSageAsync(context, run, connection, layouts);
        RecordedSteps after = redone ? RecordedSteps.None : steps;

        (LoadDatasetResult accounts, bool accountsRedone) = await LoadDatasetOrchestrator.LoadOrResumeAsync(
            context,
            connection,
            new LoadDatasetInput(
                run, Datasets.Accounts, actuals.Imports.Accounts, sage.AccountsCsv!, Layout: layouts.For(Datasets.Accounts), Target: ImportTarget.Of(input.Targets, Datasets.Accounts)),
            after,
            SubOptions(context, Datasets.Accounts));
        (LoadDatasetResult? costCenters, bool costCentersRedone) = costCenterList
            ? await LoadDatasetOrchestrator.LoadOrResumeAsync(
                context,
                connection,
                new LoadDatasetInput(
                    run, Datasets.CostCenters, actuals.Imports.CostCenters!, sage.CostCentersCsv!, Layout: layouts.For(Datasets.CostCenters), Target: ImportTarget.Of(input.Targets, Datasets.CostCenters)),
                after,
                SubOptions(context, Datasets.CostCenters))
            : (null, false);
        after = redone || accountsRedone || costCentersRedone ? RecordedSteps.None : steps;
        if (input.NotifyWhenListsLoaded is { } parent)
        {
            context.SendEvent(parent, ListsLoadedEvent, true);
        }

        AlignmentResult alignment = after.Get<AlignmentResult>(StepKeys.Alignment) ?? await AlignAsync(context, run, connection, sage, costCenterList, after);
        return new DimensionAlignmentResult(alignment, sage, accounts, costCenters);
    }

    /// <summary>
    /// Reads the Sage side of alignment (structure, accounts, cost centres, mapping overrides) and stages the lists for
    /// their imports. Orchestrator code.
    /// </summary>
    internal static Task<SageDimensions> ReadSageAsync(TaskOrchestrationContext context, RunRef run, ConnectionOptions connection, ModelFit.ImportLayouts layouts)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(connection);
        return context.CallActivityAsync<SageDimensions>(
            nameof(ReadSageDimensionsActivity),
            new SageDimensionsInput(run, StageLists: true, layouts, !string.IsNullOrWhiteSpace(connection.Actuals.Imports.CostCenters)),
            AnaplanPolling.Retry);
    }

    /// <summary>
    /// Which members exist in Anaplan now, read from the lists (a list whose read Anaplan refuses is read through its
    /// fallback export, or an export an earlier attempt recorded), then the alignment built from both sides.
    /// </summary>
    private static async Task<AlignmentResult> AlignAsync(
        TaskOrchestrationContext context, RunRef run, ConnectionOptions connection, SageDimensions sage, bool costCenterList, RecordedSteps steps)
    {
        (string[] blobs, IReadOnlyList<string> readThrough) = await ReadMembersAsync(context, run, connection, costCenterList, steps);
        return await context.CallActivityAsync<AlignmentResult>(
            nameof(BuildAlignmentActivity),
            new BuildAlignmentInput(run, sage.SnapshotBlob, blobs[0], costCenterList ? blobs[1] : null, costCenterList, readThrough),
            AnaplanPolling.Retry);
    }

    /// <summary>
    /// The blobs of the members Anaplan holds now (accounts, then cost centres when the model has that list), read through
    /// the Integration API's list read, or the list's fallback export when that read is refused; and how each was read.
    /// Used by alignment and by a recovery run that checks rejected rows against Anaplan's current members.
    /// </summary>
    internal static async Task<(string[] Blobs, IReadOnlyList<string> ReadThrough)> ReadMembersAsync(
        TaskOrchestrationContext context, RunRef run, ConnectionOptions connection, bool costCenterList, RecordedSteps steps)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(connection);
        ActualsFlowOptions actuals = connection.Actuals;
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

            string step = members.Dimension == "accounts" ? AccountItems : CostCenterItems;
            (ExportResult export, _) = await RunExportOrchestrator.ExportOrResumeAsync(
                context,
                connection,
                new RunExportInput(run, members.FallbackExport!, Datasets.RunBlob(run, $"anaplan-{step}-export.csv")),
                step,
                steps,
                SubOptions(context, "export-" + step));
            if (export.BlobName is null)
            {
                throw new InvalidOperationException(
                    $"Anaplan did not export the {members.Dimension} list ('{members.FallbackExport}' ended {export.State}), read instead of the list because {members.FallbackReason}; alignment cannot tell which members exist.");
            }

            blobs.Add(export.BlobName);
            readThrough.Add($"{members.Dimension}: export '{members.FallbackExport}' ({members.FallbackReason})");
        }

        return ([.. blobs], readThrough);
    }

    /// <summary>Sub-orchestration ids derived from the parent's, so a replayed parent finds its children.</summary>
    internal static TaskOptions SubOptions(TaskOrchestrationContext context, string step)
        => new SubOrchestrationOptions { InstanceId = Operations.RunIds.SubRun(context.InstanceId, step) };
}
