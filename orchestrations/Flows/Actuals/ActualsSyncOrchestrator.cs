using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows.Anaplan;
using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.ModelFit;
using Connector.Orchestrations.Scheduling;
using Connector.Orchestrations.Storage;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Actuals;

/// <summary>
/// The main flow, Sage 100 → Anaplan: map the connector's fields onto each import's header names (read from Anaplan),
/// read the Sage side of the dimensions, then align them (load the lists, read them back) while GL balances (current and
/// prior periods, staged speculatively against the Sage side until the alignment confirms them), AP invoice totals and
/// vendors (incrementally) are extracted from the agent into Blob staging in parallel, each in its import's layout; load
/// each dataset into Anaplan inside the per-model lock, one after another: vendors as soon as they are staged (the
/// Vendors list depends on nothing the alignment decides), then, once the lists are loaded, AP (staged against the Sage
/// side, it needs their items, not the alignment read back from them), then, once aligned, GL, in several files when it is
/// large, the extraction running ahead of the loads
/// (<see cref="GlFiles"/>); and audit every step. Only references (blob names, counts, totals, the small
/// import layouts) pass through its history. A rewound run (attempt 2 and later) takes the recorded result of every step an earlier
/// attempt finished (<see cref="RecordedSteps"/>), the import layouts included (what it staged is loaded in the layout
/// it was staged in): nothing extracted again, no dataset Anaplan took uploaded or imported
/// again, a started import polled rather than started again.
/// </summary>
public sealed class ActualsSyncOrchestrator : TaskOrchestrator<ActualsRunInput, ActualsRunSummary>
{
    public override async Task<ActualsRunSummary> RunAsync(TaskOrchestrationContext context, ActualsRunInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var run = new RunRef(input.ConnectionId, context.InstanceId, input.Attempt);
        DateTime startedAt = context.CurrentUtcDateTime;

        context.SetCustomStatus(new RunProgress("starting", null, input.Attempt > 1 ? $"attempt {input.Attempt}" : null));
        RunStart start = await context.CallActivityAsync<RunStart>(
            nameof(BeginRunActivity), new BeginRunInput(run, ScheduleEvaluator.Flows.Actuals, input.Trigger, startedAt), AnaplanPolling.Retry);
        ConnectionOptions connection = start.Connection;
        var steps = new RecordedSteps(start.Steps);

        // The model decides the files: each import's header names, with the connector's fields mapped onto them (or as an
        // earlier attempt staged them). Every import, its file and every read-back export are checked here, once per
        // attempt, before anything is read or uploaded; the loads then go by the ids found (never kept across attempts).
        ModelTargets model = await context.CallActivityAsync<ModelTargets>(
            nameof(CheckAnaplanModelActivity), new CheckModelInput(run, steps.Get<ImportLayouts>(StepKeys.Layouts)), AnaplanPolling.Retry);
        ImportLayouts layouts = model.Layouts;

        // The Sage side of alignment (and the periods) first: GL is staged against it while the lists are loaded and read
        // back (speculatively: GlFiles), and AP, which uses only the Sage side, is staged meanwhile too. Vendors use
        // neither the chart nor the periods: they are staged at once, and loaded as soon as they are (below).
        context.SetCustomStatus(new RunProgress("reading Sage dimensions", null, "account structure, accounts, cost centres; vendors"));
        Task<DatasetManifest> vendors = Extract(context, steps, nameof(ExtractVendorsActivity), Datasets.Vendors, new ExtractInput(run, string.Empty, [], input.FullResync, layouts));
        Task<SageDimensions> readingSage = steps.Get<SageDimensions>(StepKeys.SageDimensions) is { } recordedSage
            ? Task.FromResult(recordedSage)
            : DimensionAlignmentOrchestrator.ReadSageAsync(context, run, connection, layouts);
        Task<ResolvedPeriods> resolving = steps.Get<ResolvedPeriods>(StepKeys.Periods) is { } recordedPeriods
            ? Task.FromResult(recordedPeriods)
            : context.CallActivityAsync<ResolvedPeriods>(
                nameof(ResolvePeriodsActivity),
                new ResolvePeriodsInput(run, input.FiscalYear, input.FromPeriod, input.ToPeriod, connection.Actuals.PriorPeriods),
                AnaplanPolling.Retry);
        ResolvedPeriods periods;
        try
        {
            periods = await resolving;
        }
        catch (TaskFailedException)
        {
            await Settle(readingSage);
            await GlFiles.DrainAsync(vendors);
            throw;
        }

        // Vendors as soon as they are staged: the Vendors list depends on nothing the chart's alignment decides, and its
        // load takes the model lock while it would otherwise stand idle (during the Sage read).
        Task<DatasetSummary> vendorsLoaded = LoadAndAuditAsync(context, run, connection, periods, steps, layouts, model, vendors);
        SageDimensions sage;
        try
        {
            sage = await readingSage;
        }
        catch (TaskFailedException)
        {
            await Settle(vendorsLoaded); // the run fails once the vendors' load under way has ended
            throw;
        }

        context.SetCustomStatus(new RunProgress("aligning dimensions", null, $"accounts and cost centres; extracting {periods.Periods.Count} period(s), AP and vendors changed since the last load"));
        Task listsLoaded = context.WaitForExternalEvent<bool>(DimensionAlignmentOrchestrator.ListsLoadedEvent);
        Task<DimensionAlignmentResult> aligning = context.CallSubOrchestratorAsync<DimensionAlignmentResult>(
            nameof(DimensionAlignmentOrchestrator),
            new DimensionAlignmentInput(run, connection, layouts, Targets: model.Imports, Sage: sage, Steps: steps.Subset(
                StepKeys.SageDimensions, StepKeys.Alignment, StepKeys.Load(Datasets.Accounts), StepKeys.Load(Datasets.CostCenters),
                StepKeys.Task(Datasets.Accounts), StepKeys.Task(Datasets.CostCenters), StepKeys.Export(string.Empty), StepKeys.Task("export:")),
                NotifyWhenListsLoaded: context.InstanceId),
            DimensionAlignmentOrchestrator.SubOptions(context, "dimensions"));

        // Fan out: the extractions read the agent and write Blob staging independently (each only once per run).
        var extract = new ExtractInput(run, sage.SnapshotBlob, periods.Periods, input.FullResync, layouts);
        Task<DatasetManifest> ap = Extract(context, steps, nameof(ExtractApActualsActivity), Datasets.ApActuals, extract);

        // AP once the lists are loaded and vendors loaded (AP rows reference vendor and cost-centre items; AP is staged
        // against the Sage side, so it needs the lists' items, not the alignment read back from them), while GL is still
        // being extracted; GL's loads follow, once aligned, file by file, while the next files are extracted (GlFiles).
        // Each load takes and releases the model lock.
        Task<DatasetSummary[]> vendorsThenAp = LoadInTurnAsync(context, run, connection, periods, steps, layouts, model, aligning, listsLoaded, vendorsLoaded, ap);
        Task<DatasetSummary> gl = GlFiles.ExtractAndLoadAsync(context, run, connection, steps, extract, AlignmentOf(aligning), periods, layouts, model, vendorsThenAp, start.RefusedLastRun);
        await Task.WhenAll(vendorsThenAp, gl);
        DimensionAlignmentResult dimensions = await aligning;
        AlignmentResult alignment = dimensions.Alignment;

        var summaries = new List<DatasetSummary>
        {
            ListSummary(Datasets.Accounts, dimensions.Sage.AccountsCsv!, dimensions.Sage.SageAccounts, dimensions.Sage.Rejected, dimensions.Accounts),
        };
        if (dimensions.CostCenters is { } costCenters)
        {
            summaries.Add(ListSummary(Datasets.CostCenters, dimensions.Sage.CostCentersCsv!, dimensions.Sage.CostCenterItems, 0, costCenters));
        }

        DatasetSummary[] lists = await vendorsThenAp;
        summaries.AddRange([lists[0], await gl, lists[1]]);
        await context.CallActivityAsync<bool>(nameof(RecordDatasetActivity), DatasetLoads.ToAudit(run, await gl), AnaplanPolling.Retry);

        string status = DatasetLoads.RunStatus(summaries, alignment.InvalidAccounts);
        DateTime finishedAt = context.CurrentUtcDateTime;
        var result = new ActualsRunSummary(
            run.RunId,
            run.ConnectionId,
            status,
            input.Trigger,
            periods.DistinctCodes(connection.PeriodFormat),
            alignment,
            summaries,
            startedAt,
            finishedAt);
        await context.CallActivityAsync<bool>(
            nameof(CompleteRunActivity),
            new CompleteRunInput(run, ScheduleEvaluator.Flows.Actuals, input.Trigger, status, startedAt, finishedAt, SummaryJson.Serialize(result)),
            AnaplanPolling.Retry);
        context.SetCustomStatus(new RunProgress("done", null, status));
        return result;
    }

    /// <summary>
    /// Takes the vendors' load (started as soon as they were staged), then loads AP once the lists are loaded (the
    /// alignment's sub-run says so, <paramref name="listsLoaded"/>, before it reads them back; or its end, whichever comes
    /// first), and audits it. When a step fails, the run fails once what it started has ended (no extraction or sub-run
    /// left behind).
    /// </summary>
    private static async Task<DatasetSummary[]> LoadInTurnAsync(
        TaskOrchestrationContext context,
        RunRef run,
        ConnectionOptions connection,
        ResolvedPeriods periods,
        RecordedSteps steps,
        ImportLayouts layouts,
        ModelTargets model,
        Task aligning,
        Task listsLoaded,
        Task<DatasetSummary> vendorsLoaded,
        Task<DatasetManifest> ap)
    {
        DatasetSummary vendors;
        try
        {
            vendors = await vendorsLoaded;
        }
        catch (TaskFailedException)
        {
            await Settle(aligning);
            await GlFiles.DrainAsync(ap);
            throw;
        }

        try
        {
            if (await Task.WhenAny(listsLoaded, aligning) == aligning)
            {
                await aligning;
            }
        }
        catch (TaskFailedException)
        {
            await GlFiles.DrainAsync(ap); // the alignment's failure is the one the run reports
            throw;
        }

        return [vendors, await LoadAndAuditAsync(context, run, connection, periods, steps, layouts, model, ap)];
    }

    /// <summary>Loads a dataset once it is staged, and audits it.</summary>
    private static async Task<DatasetSummary> LoadAndAuditAsync(
        TaskOrchestrationContext context, RunRef run, ConnectionOptions connection, ResolvedPeriods periods, RecordedSteps steps, ImportLayouts layouts, ModelTargets model, Task<DatasetManifest> staging)
    {
        DatasetManifest manifest = await staging;
        string importName = manifest.Dataset == Datasets.Vendors ? connection.Actuals.Imports.Vendors : connection.Actuals.Imports.ApActuals;
        DatasetSummary summary = await DatasetLoads.LoadAsync(
            context, run, connection, manifest, importName, incremental: true, periods, steps, layouts.For(manifest.Dataset), target: model.For(manifest.Dataset));
        await context.CallActivityAsync<bool>(nameof(RecordDatasetActivity), DatasetLoads.ToAudit(run, summary), AnaplanPolling.Retry);
        return summary;
    }

    /// <summary>Waits for a task to end, whatever its outcome (the failure that ends the run is another's).</summary>
    private static async Task Settle(Task task)
    {
        try
        {
            await task;
        }
        catch (TaskFailedException)
        {
        }
    }

    /// <summary>The alignment, once the dimension sub-orchestration has built it.</summary>
    private static async Task<AlignmentResult> AlignmentOf(Task<DimensionAlignmentResult> aligning) => (await aligning).Alignment;

    /// <summary>An extraction, or what an earlier attempt of the run staged.</summary>
    private static Task<DatasetManifest> Extract(TaskOrchestrationContext context, RecordedSteps steps, string activity, string dataset, ExtractInput input)
        => steps.Get<DatasetManifest>(StepKeys.Extract(dataset)) is { } staged
            ? Task.FromResult(staged)
            : context.CallActivityAsync<DatasetManifest>(activity, input, AnaplanPolling.Retry);

    private static DatasetSummary ListSummary(string dataset, Storage.StagedCsv staged, long read, long rejected, LoadDatasetResult load)
        => new(
            dataset,
            load.Failed > 0 || !load.Successful ? DatasetStatuses.LoadedWithFailures : DatasetStatuses.Loaded,
            read,
            rejected,
            staged.Rows,
            staged.Parts.Count,
            staged.UncompressedBytes,
            staged.CompressedBytes,
            load.Success,
            load.Failed,
            load.Ignored,
            load.TaskId,
            staged.Sha256,
            [],
            null,
            null,
            load.Message);
}
