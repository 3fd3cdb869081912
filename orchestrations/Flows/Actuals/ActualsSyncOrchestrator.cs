using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows.Anaplan;
using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.Scheduling;
using Connector.Orchestrations.Storage;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Actuals;

/// <summary>
/// The main flow, Sage 100 → Anaplan: align dimensions, extract GL balances (current and prior periods), AP invoice
/// totals and vendors (incrementally) from the agent into Blob staging in parallel, then load each dataset into Anaplan
/// inside the per-model lock, one after another, and audit every step. Only references (blob names, counts, totals)
/// pass through its history.
/// </summary>
public sealed class ActualsSyncOrchestrator : TaskOrchestrator<ActualsRunInput, ActualsRunSummary>
{
    public override async Task<ActualsRunSummary> RunAsync(TaskOrchestrationContext context, ActualsRunInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var run = new RunRef(input.ConnectionId, context.InstanceId);
        DateTime startedAt = context.CurrentUtcDateTime;

        context.SetCustomStatus(new RunProgress("starting", null, null));
        ConnectionOptions connection = await context.CallActivityAsync<ConnectionOptions>(
            nameof(BeginRunActivity), new BeginRunInput(run, ScheduleEvaluator.Flows.Actuals, input.Trigger, startedAt), AnaplanPolling.Retry);

        context.SetCustomStatus(new RunProgress("aligning dimensions", null, "accounts and cost centres"));
        DimensionAlignmentResult dimensions = await context.CallSubOrchestratorAsync<DimensionAlignmentResult>(
            nameof(DimensionAlignmentOrchestrator),
            new DimensionAlignmentInput(run, connection),
            DimensionAlignmentOrchestrator.SubOptions(context, "dimensions"));
        AlignmentResult alignment = dimensions.Alignment;

        ResolvedPeriods periods = await context.CallActivityAsync<ResolvedPeriods>(
            nameof(ResolvePeriodsActivity),
            new ResolvePeriodsInput(run, input.FiscalYear, input.FromPeriod, input.ToPeriod, connection.Actuals.PriorPeriods),
            AnaplanPolling.Retry);

        // Fan out: the three extractions read the agent and write Blob staging independently.
        context.SetCustomStatus(new RunProgress("extracting", null, $"{periods.Periods.Count} period(s), AP and vendors changed since the last load"));
        var extract = new ExtractInput(run, alignment.AlignmentBlob, periods.Periods, input.FullResync);
        Task<DatasetManifest> gl = context.CallActivityAsync<DatasetManifest>(nameof(ExtractGlActualsActivity), extract, AnaplanPolling.Retry);
        Task<DatasetManifest> ap = context.CallActivityAsync<DatasetManifest>(nameof(ExtractApActualsActivity), extract, AnaplanPolling.Retry);
        Task<DatasetManifest> vendors = context.CallActivityAsync<DatasetManifest>(nameof(ExtractVendorsActivity), extract, AnaplanPolling.Retry);
        await Task.WhenAll(gl, ap, vendors);

        var summaries = new List<DatasetSummary>
        {
            ListSummary(Datasets.Accounts, dimensions.Sage.AccountsCsv, dimensions.Sage.SageAccounts, dimensions.Sage.Rejected, dimensions.Accounts),
            ListSummary(Datasets.CostCenters, dimensions.Sage.CostCentersCsv, dimensions.Sage.CostCenterItems, 0, dimensions.CostCenters),
        };

        // Vendors before AP (AP rows reference vendor items); each load takes and releases the model lock.
        foreach ((DatasetManifest manifest, string importName, bool incremental) in new[]
        {
            (await vendors, connection.Actuals.Imports.Vendors, true),
            (await gl, connection.Actuals.Imports.GlActuals, false),
            (await ap, connection.Actuals.Imports.ApActuals, true),
        })
        {
            DatasetSummary summary = await this.LoadAsync(context, run, connection, manifest, importName, incremental, periods);
            summaries.Add(summary);
            await context.CallActivityAsync<bool>(nameof(RecordDatasetActivity), ToAudit(run, summary), AnaplanPolling.Retry);
        }

        string status = summaries.Any(s => s.Status is DatasetStatuses.Failed or DatasetStatuses.LoadedWithFailures || s.Reconciliation?.Status == ReconciliationStatuses.Failed)
            ? RunStatuses.CompletedWithFailures
            : summaries.Any(s => s.Reconciliation?.Status == ReconciliationStatuses.Differences)
                ? RunStatuses.CompletedWithDifferences
                : summaries.Any(s => s.Rejected > 0) || alignment.InvalidAccounts > 0
                    ? RunStatuses.CompletedWithRejections
                    : RunStatuses.Completed;
        DateTime finishedAt = context.CurrentUtcDateTime;
        var result = new ActualsRunSummary(
            run.RunId,
            run.ConnectionId,
            status,
            input.Trigger,
            [.. periods.Periods.Select(p => PeriodCodes.Format(connection.PeriodFormat, p.FiscalYear, p.Period))],
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

    private static RecordDatasetInput ToAudit(RunRef run, DatasetSummary s)
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
            },
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
    private async Task<DatasetSummary> LoadAsync(
        TaskOrchestrationContext context, RunRef run, ConnectionOptions connection, DatasetManifest manifest, string importName, bool incremental, ResolvedPeriods periods)
    {
        IReadOnlyList<ResentRows> resent = incremental ? manifest.Resent ?? [] : ResentPeriods(periods, manifest);
        if (incremental && manifest.Staged.Rows == 0)
        {
            // Nothing changed in Sage since the last load: nothing is uploaded, and the model is not locked for nothing.
            await this.CommitAsync(context, run, connection, manifest, periods, LoadOutcomes.Loaded, null, null, []);
            return Summary(manifest, DatasetStatuses.NoChanges, null, null) with { Resent = resent };
        }

        ReadBackRequest? readBack = ReadBackFor(connection, run, manifest.Dataset);
        context.SetCustomStatus(new RunProgress("loading", manifest.Dataset, $"{manifest.Staged.Rows} row(s) in {manifest.Staged.Parts.Count} chunk(s)"));
        LoadDatasetResult? load = null;
        string? failure = null;
        try
        {
            load = await context.CallSubOrchestratorAsync<LoadDatasetResult>(
                nameof(LoadDatasetOrchestrator),
                LoadDatasetOrchestrator.For(connection, new LoadDatasetInput(run, manifest.Dataset, importName, manifest.Staged, readBack)),
                DimensionAlignmentOrchestrator.SubOptions(context, manifest.Dataset));
        }
        catch (TaskFailedException ex)
        {
            // A dataset that cannot be loaded does not stop the others; the run ends "completed with failures" and every
            // row it staged is owed to the next run.
            failure = ex.FailureDetails.ErrorMessage;
        }

        (string outcome, string? reason, string status) = load switch
        {
            null => (LoadOutcomes.Failed, $"the {manifest.Dataset} load of run {run.RunId} failed: {failure}", DatasetStatuses.Failed),
            { State: not "COMPLETE" } => (LoadOutcomes.Failed, $"the {importName} import of run {run.RunId} ended {load.State}", DatasetStatuses.Failed),
            { Successful: false } => (LoadOutcomes.Failed, $"the {importName} import of run {run.RunId} ended unsuccessful: {load.Message}", DatasetStatuses.Failed),
            { Failed: > 0, RefusedRowsNamed: true } => (LoadOutcomes.Refused, null, DatasetStatuses.LoadedWithFailures),
            { Failed: > 0 } => (LoadOutcomes.Failed, $"the {importName} import of run {run.RunId} refused {load.Failed} row(s) its failure dump does not name", DatasetStatuses.LoadedWithFailures),
            _ => (LoadOutcomes.Loaded, null, DatasetStatuses.Loaded),
        };
        CommitResult committed = await this.CommitAsync(context, run, connection, manifest, periods, outcome, reason, load?.RefusedKeysBlob, load?.FailedTotals ?? []);

        Reconciliation? reconciliation = manifest.Dataset is Datasets.GlActuals or Datasets.ApActuals
            ? await ReconcileAsync(context, run, connection, manifest, periods, readBack, load)
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

        return Summary(manifest, status, load, reconciliation) with { Message = message.Trim(), Resent = resent, PendingForNextRun = committed.PendingRows };
    }

    private async Task<CommitResult> CommitAsync(
        TaskOrchestrationContext context,
        RunRef run,
        ConnectionOptions connection,
        DatasetManifest manifest,
        ResolvedPeriods periods,
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
                .Select(p => (Ref: p, Code: PeriodCodes.Format(connection.PeriodFormat, p.FiscalYear, p.Period)))
                .Where(p => outcome == LoadOutcomes.Failed || (outcome == LoadOutcomes.Refused && refusedPeriods.Contains(p.Code)))
                .Select(p => new PendingPeriod(
                    p.Ref.FiscalYear, p.Ref.Period, p.Code, run.RunId, reason ?? $"{LoadOutcomes.RefusedPrefix}s of the GL import of run {run.RunId} (see its audit)"))];
            input = new CommitWatermarkInput(
                run, manifest.Dataset, null, context.CurrentUtcDateTime,
                SentPeriods: [.. periods.Periods.Select(p => PeriodCodes.Format(connection.PeriodFormat, p.FiscalYear, p.Period))],
                PendingPeriods: pending);
        }
        else if (manifest.NextWatermark is { } watermark)
        {
            input = new CommitWatermarkInput(
                run, manifest.Dataset, watermark, context.CurrentUtcDateTime, manifest.SentRowsBlob, outcome, reason, manifest.Staged, refusedKeysBlob);
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

    private static ReadBackRequest? ReadBackFor(ConnectionOptions connection, RunRef run, string dataset)
    {
        ReadBackOptions options = connection.Actuals.ReadBack;
        return dataset switch
        {
            Datasets.GlActuals when !string.IsNullOrWhiteSpace(options.GlExport)
                => new ReadBackRequest(options.GlExport, "Actuals:ReadBack:GlExport", options.GlColumns.All(), Datasets.RunBlob(run, "gl-actuals-readback.csv")),
            Datasets.ApActuals when !string.IsNullOrWhiteSpace(options.ApExport)
                => new ReadBackRequest(options.ApExport, "Actuals:ReadBack:ApExport", options.ApColumns.All(), Datasets.RunBlob(run, "ap-actuals-readback.csv")),
            _ => null,
        };
    }

    private static async Task<Reconciliation> ReconcileAsync(
        TaskOrchestrationContext context, RunRef run, ConnectionOptions connection, DatasetManifest manifest, ResolvedPeriods periods, ReadBackRequest? readBack, LoadDatasetResult? load)
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
        IReadOnlyList<string> runPeriods = manifest.Dataset == Datasets.GlActuals
            ? [.. periods.Periods.Select(p => PeriodCodes.Format(connection.PeriodFormat, p.FiscalYear, p.Period))]
            : [];
        return await context.CallActivityAsync<Reconciliation>(
            nameof(ReconcileDatasetActivity),
            new ReconcileInput(run, manifest.Dataset, readBack.ExportName, manifest.Staged, blob, readBack.Columns, runPeriods),
            AnaplanPolling.Retry);
    }

    private static DatasetSummary Summary(DatasetManifest m, string status, LoadDatasetResult? load, Reconciliation? reconciliation)
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
            m.Unchanged);
}
