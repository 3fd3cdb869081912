using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows.Anaplan;
using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.ModelFit;
using Connector.Orchestrations.Scheduling;
using Connector.Orchestrations.Storage;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Actuals;

/// <summary>
/// Loading one staged dataset the way every actuals run does (the sync, and the recovery runs that replay a dataset or
/// retry rejected rows): the load inside the model lock (or what an earlier attempt recorded of it), what is remembered as
/// sent, the reconciliation against the read-back, and the dataset's summary and audit row. Orchestrator code:
/// deterministic, only activities and sub-orchestrations do I/O.
/// </summary>
internal static class DatasetLoads
{
    /// <summary>A run's status from its datasets: failures first, then differences, then rejections.</summary>
    internal static string RunStatus(IReadOnlyList<DatasetSummary> summaries, long invalidAccounts)
        => summaries.Any(s => s.Status is DatasetStatuses.Failed or DatasetStatuses.LoadedWithFailures || s.Reconciliation?.Status == ReconciliationStatuses.Failed)
            ? RunStatuses.CompletedWithFailures
            : summaries.Any(s => s.Reconciliation?.Status == ReconciliationStatuses.Differences)
                ? RunStatuses.CompletedWithDifferences
                : summaries.Any(s => s.Rejected > 0) || invalidAccounts > 0
                    ? RunStatuses.CompletedWithRejections
                    : RunStatuses.Completed;

    internal static RecordDatasetInput ToAudit(RunRef run, DatasetSummary s)
        => new(
            run,
            s.Dataset,
            s.Status,
            new Dictionary<string, long>
            {
                ["read"] = s.Read,
                ["rejected"] = s.Rejected,
                ["staged"] = s.Staged,
                ["uploadedParts"] = s.Parts,
                ["uploadedBytes"] = s.CompressedBytes,
                ["accepted"] = s.Accepted,
                ["failed"] = s.Failed,
                ["ignored"] = s.Ignored,
                ["unchanged"] = s.Unchanged,
                ["resent"] = s.Resent?.Sum(r => r.Rows) ?? 0,
                ["pendingForNextRun"] = s.PendingForNextRun,
                ["differences"] = s.Reconciliation?.Differences ?? 0,
            }.Concat(s.Files > 1 ? [KeyValuePair.Create("files", (long)s.Files)] : []).ToDictionary(),
            new Dictionary<string, string>
            {
                ["ImportTaskId"] = s.ImportTaskId ?? string.Empty,
                ["Sha256"] = s.Sha256 ?? string.Empty,
                ["SageTotals"] = SummaryJson.Serialize(s.SageTotals),
                ["Reconciliation"] = s.Reconciliation is null ? string.Empty : SummaryJson.Serialize(s.Reconciliation),
                ["Resent"] = SummaryJson.Serialize(s.Resent ?? []),
                ["RejectionsBlob"] = s.RejectionsBlob ?? string.Empty,
                ["Message"] = s.Message ?? string.Empty,
            });

    /// <summary>
    /// Loads one extracted dataset, then records what Anaplan took (<see cref="CommitWatermarkActivity"/>) however the
    /// load ended: a row is remembered as sent only once Anaplan accepted it; what it did not take is owed to the next
    /// run. GL and AP are then reconciled against the read-back export, when one is configured.
    /// </summary>
    /// <param name="context">The orchestration.</param>
    /// <param name="run">The run.</param>
    /// <param name="connection">The connection's settings as the run started.</param>
    /// <param name="manifest">What was staged.</param>
    /// <param name="importName">The import action that loads the dataset.</param>
    /// <param name="incremental">Whether the dataset is pulled incrementally (AP, vendors).</param>
    /// <param name="periods">The periods the run sends.</param>
    /// <param name="steps">What earlier attempts of the run recorded.</param>
    /// <param name="layout">The import's file as the dataset was staged in it.</param>
    /// <param name="partial">True when the staged rows are only some cells of the periods (rejected rows sent again): nothing
    /// is committed as sent by period, and only the cells sent are reconciled.</param>
    /// <param name="target">The import, file and read-back export the run's model check found (null: the load checks them).</param>
    internal static async Task<DatasetSummary> LoadAsync(
        TaskOrchestrationContext context,
        RunRef run,
        ConnectionOptions connection,
        DatasetManifest manifest,
        string importName,
        bool incremental,
        ResolvedPeriods periods,
        RecordedSteps steps,
        DatasetLayout layout,
        bool partial = false,
        ImportTarget? target = null)
    {
        IReadOnlyList<ResentRows> resent = incremental ? manifest.Resent ?? [] : ResentPeriods(periods, manifest);
        if (incremental && manifest.Staged.Rows == 0)
        {
            // Nothing changed in Sage since the last load: nothing is uploaded, and the model is not locked for nothing.
            if (steps.Get<CommitResult>(StepKeys.Commit(manifest.Dataset)) is null)
            {
                await CommitAsync(context, run, connection, manifest, periods, layout, LoadOutcomes.Loaded, null, null, []);
            }

            return Summary(manifest, DatasetStatuses.NoChanges, null, null) with { Resent = resent };
        }

        ReadBackRequest? readBack = ReadBackFor(connection, run, manifest.Dataset, layout)?.Checked(target);
        context.SetCustomStatus(new RunProgress("loading", manifest.Dataset, $"{manifest.Staged.Rows} row(s) in {manifest.Staged.Parts.Count} chunk(s)"));
        FileLoad loaded = await LoadFileAsync(
            context, connection, new LoadDatasetInput(run, manifest.Dataset, importName, manifest.Staged, readBack, layout, target), steps, manifest.Dataset);
        return await FinishAsync(context, run, connection, manifest, importName, incremental, periods, steps, layout, partial, readBack, loaded);
    }

    /// <summary>
    /// How one file's load ended: its result (null when it failed outright, with the reason), and whether it was done in
    /// this attempt. <c>Chunks</c>: the chunks uploaded, when not every staged part was one (GL files in one import leave
    /// out the later files' header parts).
    /// </summary>
    internal sealed record FileLoad(LoadDatasetResult? Result, string? Failure, bool Redone, int? Chunks = null);

    /// <summary>Loads one staged file (or takes what an earlier attempt recorded of its load); a load that fails is reported, not thrown.</summary>
    internal static async Task<FileLoad> LoadFileAsync(
        TaskOrchestrationContext context, ConnectionOptions connection, LoadDatasetInput input, RecordedSteps steps, string subRun, bool readBackAgain = false)
    {
        try
        {
            (LoadDatasetResult load, bool redone) = await LoadDatasetOrchestrator.LoadOrResumeAsync(
                context, connection, input, steps, DimensionAlignmentOrchestrator.SubOptions(context, subRun), readBackAgain);
            return new FileLoad(load, null, redone);
        }
        catch (TaskFailedException ex)
        {
            // A dataset that cannot be loaded does not stop the others; the run ends "completed with failures" and every
            // row it staged is owed to the next run.
            return new FileLoad(null, ex.FailureDetails.ErrorMessage, true);
        }
    }

    /// <summary>
    /// What follows a dataset's load (all its files'): what is remembered as sent, the reconciliation against the
    /// read-back, and the dataset's summary.
    /// </summary>
    internal static async Task<DatasetSummary> FinishAsync(
        TaskOrchestrationContext context,
        RunRef run,
        ConnectionOptions connection,
        DatasetManifest manifest,
        string importName,
        bool incremental,
        ResolvedPeriods periods,
        RecordedSteps steps,
        DatasetLayout layout,
        bool partial,
        ReadBackRequest? readBack,
        FileLoad loaded)
    {
        IReadOnlyList<ResentRows> resent = incremental ? manifest.Resent ?? [] : ResentPeriods(periods, manifest);
        (LoadDatasetResult? load, string? failure, bool redone) = (loaded.Result, loaded.Failure, loaded.Redone);
        (string outcome, string? reason, string status) = load switch
        {
            null => (LoadOutcomes.Failed, $"the {manifest.Dataset} load of run {run.RunId} failed: {failure}", DatasetStatuses.Failed),
            { State: not "COMPLETE" } => (LoadOutcomes.Failed, $"the {importName} import of run {run.RunId} ended {load.State}", DatasetStatuses.Failed),
            { Successful: false } => (LoadOutcomes.Failed, $"the {importName} import of run {run.RunId} ended unsuccessful: {load.Message}", DatasetStatuses.Failed),
            { Failed: > 0, RefusedRowsNamed: true } => (LoadOutcomes.Refused, null, DatasetStatuses.LoadedWithFailures),
            { Failed: > 0 } => (LoadOutcomes.Failed, $"the {importName} import of run {run.RunId} refused {load.Failed} row(s) its failure dump does not name", DatasetStatuses.LoadedWithFailures),
            _ => (LoadOutcomes.Loaded, null, DatasetStatuses.Loaded),
        };
        // What follows a load is done again only when the load (or its read-back) was done again in this attempt.
        RecordedSteps recorded = redone ? RecordedSteps.None : steps;
        CommitResult committed = partial
            ? new CommitResult(0, 0)
            : recorded.Get<CommitResult>(StepKeys.Commit(manifest.Dataset))
                ?? await CommitAsync(context, run, connection, manifest, periods, layout, outcome, reason, load?.RefusedKeysBlob, load?.FailedTotals ?? []);

        Reconciliation? reconciliation = manifest.Dataset is Datasets.GlActuals or Datasets.ApActuals
            ? recorded.Get<Reconciliation>(StepKeys.Reconcile(manifest.Dataset)) ?? await ReconcileAsync(context, run, connection, manifest, periods, readBack, load, layout, partial)
            : null;
        string message = load is null ? failure ?? "the load failed"
            : load.State != "COMPLETE" ? $"the import ended {load.State}"
            : !load.Successful ? $"the import ended unsuccessful: {load.Message}"
            : load.Message ?? string.Empty;
        if (committed.PendingRows > 0 || committed.PendingPeriods > 0)
        {
            message += committed.PendingRows > 0
                ? $" ({committed.PendingRows} row(s) Anaplan did not take will be sent again by the next run)"
                : $" ({committed.PendingPeriods} period(s) will be sent again by the next run)";
        }

        return Summary(manifest, status, load, reconciliation) with
        {
            Message = message.Trim(), Resent = resent, PendingForNextRun = committed.PendingRows, Parts = load is null ? 0 : loaded.Chunks ?? manifest.Staged.Parts.Count,
        };
    }

    private static async Task<CommitResult> CommitAsync(
        TaskOrchestrationContext context,
        RunRef run,
        ConnectionOptions connection,
        DatasetManifest manifest,
        ResolvedPeriods periods,
        DatasetLayout layout,
        string outcome,
        string? reason,
        string? refusedKeysBlob,
        IReadOnlyList<PeriodTotals> refusedTotals)
    {
        CommitWatermarkInput input;
        if (manifest.Dataset == Datasets.GlActuals)
        {
            // GL is sent by period: a period whose load did not fully go through is sent again by the next run.
            var refusedPeriods = refusedTotals.Select(t => t.Period).ToHashSet(StringComparer.OrdinalIgnoreCase);
            List<PendingPeriod> pending = [.. periods.Periods
                .Select(p => (Ref: p, Code: periods.CodeOf(p, connection.PeriodFormat)))
                .Where(p => outcome == LoadOutcomes.Failed || (outcome == LoadOutcomes.Refused && refusedPeriods.Contains(p.Code)))
                .Select(p => new PendingPeriod(
                    p.Ref.FiscalYear, p.Ref.Period, p.Code, run.RunId, reason ?? $"{LoadOutcomes.RefusedPrefix}s of the GL import of run {run.RunId} (see its audit)"))];
            input = new CommitWatermarkInput(
                run, manifest.Dataset, null, context.CurrentUtcDateTime,
                SentPeriods: periods.DistinctCodes(connection.PeriodFormat),
                PendingPeriods: pending,
                Layout: layout);
        }
        else if (manifest.NextWatermark is { } watermark)
        {
            input = new CommitWatermarkInput(
                run, manifest.Dataset, watermark, context.CurrentUtcDateTime, manifest.SentRowsBlob, outcome, reason, manifest.Staged, refusedKeysBlob, Layout: layout);
        }
        else
        {
            return new CommitResult(0, 0);
        }

        return await context.CallActivityAsync<CommitResult>(nameof(CommitWatermarkActivity), input, AnaplanPolling.Retry);
    }

    /// <summary>The GL periods this run sends again for earlier runs, with the rows staged for them.</summary>
    private static IReadOnlyList<ResentRows> ResentPeriods(ResolvedPeriods periods, DatasetManifest manifest)
        => [.. (periods.Resent ?? []).Select(r => r with
        {
            Rows = manifest.StagedTotals.Where(t => r.Periods?.Contains(t.Period, StringComparer.OrdinalIgnoreCase) == true).Sum(t => t.Rows),
        })];

    /// <summary>The read-back of a dataset: its export and, per field of the dataset, the column compared (only fields the import sends).</summary>
    internal static ReadBackRequest? ReadBackFor(ConnectionOptions connection, RunRef run, string dataset, DatasetLayout layout)
    {
        ReadBackOptions options = connection.Actuals.ReadBack;
        (string? export, string setting, IReadOnlyList<string> names) = dataset switch
        {
            Datasets.GlActuals => (options.GlExport, "Actuals:ReadBack:GlExport", options.GlColumns.All()),
            Datasets.ApActuals => (options.ApExport, "Actuals:ReadBack:ApExport", options.ApColumns.All()),
            _ => (null, string.Empty, []),
        };
        if (string.IsNullOrWhiteSpace(export))
        {
            return null;
        }

        IReadOnlyList<string> fields = ImportFields.Of(dataset);
        string[] columns = [.. fields.Select((f, i) => layout.Has(f) ? names[i] : string.Empty)];
        return new ReadBackRequest(export, setting, columns, Datasets.RunBlob(run, $"{dataset}-readback.csv"));
    }

    private static async Task<Reconciliation> ReconcileAsync(
        TaskOrchestrationContext context,
        RunRef run,
        ConnectionOptions connection,
        DatasetManifest manifest,
        ResolvedPeriods periods,
        ReadBackRequest? readBack,
        LoadDatasetResult? load,
        DatasetLayout layout,
        bool sentCellsOnly)
    {
        if (readBack is null)
        {
            string setting = manifest.Dataset == Datasets.GlActuals ? "Actuals:ReadBack:GlExport" : "Actuals:ReadBack:ApExport";
            return Reconciliation.Not(ReconciliationStatuses.NotReconciled, $"not reconciled: no read-back export is configured ({setting})");
        }

        if (load is not { State: "COMPLETE", Successful: true })
        {
            return Reconciliation.Not(ReconciliationStatuses.NotReconciled, "not reconciled: the import did not complete", readBack.ExportName);
        }

        if (load.ReadBackBlob is not { } blob)
        {
            return Reconciliation.Not(ReconciliationStatuses.Failed, $"not reconciled: {load.ReadBackError}", readBack.ExportName);
        }

        context.SetCustomStatus(new RunProgress("reconciling", manifest.Dataset, readBack.ExportName));
        IReadOnlyList<string> runPeriods = manifest.Dataset == Datasets.GlActuals ? periods.DistinctCodes(connection.PeriodFormat) : [];
        return await context.CallActivityAsync<Reconciliation>(
            nameof(ReconcileDatasetActivity),
            new ReconcileInput(run, manifest.Dataset, readBack.ExportName, manifest.Staged, blob, readBack.Columns, runPeriods, layout) { SentCellsOnly = sentCellsOnly },
            AnaplanPolling.Retry);
    }

    internal static DatasetSummary Summary(DatasetManifest m, string status, LoadDatasetResult? load, Reconciliation? reconciliation)
        => new(
            m.Dataset,
            status,
            m.Read,
            m.Rejected,
            m.Staged.Rows,
            load is null ? 0 : m.Staged.Parts.Count,
            m.Staged.UncompressedBytes,
            load is null ? 0 : m.Staged.CompressedBytes,
            load?.Success ?? 0,
            load?.Failed ?? 0,
            load?.Ignored ?? 0,
            load?.TaskId,
            m.Staged.Sha256,
            m.SageTotals,
            reconciliation,
            m.RejectionsBlob,
            null,
            m.Unchanged,
            Files: m.Files?.Count ?? 1);
}
