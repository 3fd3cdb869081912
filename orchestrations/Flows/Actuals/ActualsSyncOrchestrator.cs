using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows.Anaplan;
using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.Scheduling;
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
            DatasetSummary summary = await this.LoadAsync(context, run, connection, manifest, importName, incremental);
            summaries.Add(summary);
            await context.CallActivityAsync<bool>(nameof(RecordDatasetActivity), ToAudit(run, summary), AnaplanPolling.Retry);
        }

        string status = summaries.Any(s => s.Status is DatasetStatuses.Failed or DatasetStatuses.LoadedWithFailures)
            ? RunStatuses.CompletedWithFailures
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
            [],
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
            },
            new Dictionary<string, string>
            {
                ["ImportTaskId"] = s.ImportTaskId ?? string.Empty,
                ["Sha256"] = s.Sha256 ?? string.Empty,
                ["SageTotals"] = SummaryJson.Serialize(s.SageTotals),
                ["AcceptedTotals"] = SummaryJson.Serialize(s.AcceptedTotals),
                ["RejectionsBlob"] = s.RejectionsBlob ?? string.Empty,
                ["Message"] = s.Message ?? string.Empty,
            });

    private async Task<DatasetSummary> LoadAsync(
        TaskOrchestrationContext context, RunRef run, ConnectionOptions connection, DatasetManifest manifest, string importName, bool incremental)
    {
        if (incremental && manifest.Staged.Rows == 0)
        {
            // Nothing changed in Sage since the last load: nothing is uploaded, and the model is not locked for nothing.
            await this.CommitAsync(context, run, manifest);
            return Summary(manifest, DatasetStatuses.NoChanges, null, []);
        }

        context.SetCustomStatus(new RunProgress("loading", manifest.Dataset, $"{manifest.Staged.Rows} row(s) in {manifest.Staged.Parts.Count} chunk(s)"));
        try
        {
            LoadDatasetResult load = await context.CallSubOrchestratorAsync<LoadDatasetResult>(
                nameof(LoadDatasetOrchestrator),
                LoadDatasetOrchestrator.For(connection, new LoadDatasetInput(run, manifest.Dataset, importName, manifest.Staged)),
                DimensionAlignmentOrchestrator.SubOptions(context, manifest.Dataset));
            if (load.State == "COMPLETE")
            {
                await this.CommitAsync(context, run, manifest);
            }

            string status = load.State != "COMPLETE"
                ? DatasetStatuses.Failed
                : load.Failed > 0 || !load.Successful ? DatasetStatuses.LoadedWithFailures : DatasetStatuses.Loaded;
            return Summary(manifest, status, load, PeriodTotals.Difference(manifest.StagedTotals, load.FailedTotals)) with
            {
                Message = load.State == "COMPLETE" ? load.Message : $"the import ended {load.State}",
            };
        }
        catch (TaskFailedException ex)
        {
            // A dataset that cannot be loaded does not stop the others; the run ends "completed with failures" and the
            // watermark stays, so the next run sends these rows again.
            return Summary(manifest, DatasetStatuses.Failed, null, []) with { Message = ex.FailureDetails.ErrorMessage };
        }
    }

    private async Task CommitAsync(TaskOrchestrationContext context, RunRef run, DatasetManifest manifest)
    {
        if (manifest.NextWatermark is { } watermark)
        {
            await context.CallActivityAsync<bool>(
                nameof(CommitWatermarkActivity),
                new CommitWatermarkInput(run, manifest.Dataset, watermark, context.CurrentUtcDateTime, manifest.SentRowsBlob),
                AnaplanPolling.Retry);
        }
    }

    private static DatasetSummary Summary(DatasetManifest m, string status, LoadDatasetResult? load, IReadOnlyList<PeriodTotals> accepted)
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
            accepted,
            m.RejectionsBlob,
            null,
            m.Unchanged);
}
