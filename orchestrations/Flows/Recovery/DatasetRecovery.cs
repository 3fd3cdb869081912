using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Flows.Anaplan;
using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.ModelFit;
using Connector.Orchestrations.Sage100;
using Connector.Orchestrations.Storage;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Recovery;

/// <summary>What a recovery run does with a finished run's dataset.</summary>
public static class RecoveryModes
{
    /// <summary>Load the dataset again from the files the run staged, without reading Sage again.</summary>
    public const string Replay = "replay";

    /// <summary>Map the rows the run rejected again with the current mappings, check them against Anaplan's current members, and send those that now fit.</summary>
    public const string RetryRejected = "retry-rejected";
}

/// <summary>
/// Input of <see cref="DatasetRecoveryOrchestrator"/>: the connection, the finished run (<c>SourceRunId</c>) and its
/// dataset, and what to do with it (<see cref="RecoveryModes"/>).
/// </summary>
public sealed record DatasetRecoveryInput(string ConnectionId, string SourceRunId, string Dataset, string Mode, string Trigger, int Attempt = 1);

/// <summary>
/// Input of <see cref="PrepareRecoveryActivity"/>; the blobs list Anaplan's current members (retry only; no cost-centre
/// blob when the model has no cost-centre list).
/// </summary>
public sealed record PrepareRecoveryInput(RunRef Run, string SourceRunId, string Dataset, string Mode, string? AccountItemsBlob = null, string? CostCenterItemsBlob = null);

/// <summary>
/// What a recovery run loads: the staged dataset, the periods it covers, the import, whether it is incremental, and the
/// layout the file is in (the source run's, as it recorded it).
/// </summary>
public sealed record RecoveryPlan(DatasetManifest Manifest, ResolvedPeriods Periods, string ImportName, bool Incremental, DatasetLayout? Layout = null);

/// <summary>
/// A recovery run of one dataset of a finished actuals run, itself a run of the connection (flow <c>recovery</c>, its own
/// id, audit and summary): <see cref="RecoveryModes.Replay"/> loads the files the source run staged again, without reading
/// Sage; <see cref="RecoveryModes.RetryRejected"/> maps the GL rows the source run rejected again with the current
/// mappings, keeps those whose account and cost-centre items Anaplan has now (read from its lists, or the lists' fallback
/// exports inside the model lock), and sends them in the layout the source run staged GL in (a cell that also holds rows the source run sent gets their sum). Each load goes the way a
/// sync's does: inside the model lock, remembered as sent, reconciled against the read-back.
/// </summary>
public sealed class DatasetRecoveryOrchestrator : TaskOrchestrator<DatasetRecoveryInput, ActualsRunSummary>
{
    /// <summary>The flow name of recovery runs (audit, telemetry, run lists).</summary>
    public const string Flow = "recovery";

    public override async Task<ActualsRunSummary> RunAsync(TaskOrchestrationContext context, DatasetRecoveryInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var run = new RunRef(input.ConnectionId, context.InstanceId, input.Attempt);
        DateTime startedAt = context.CurrentUtcDateTime;

        context.SetCustomStatus(new RunProgress("starting", input.Dataset, $"{input.Mode} of run {input.SourceRunId}"));
        RunStart begun = await context.CallActivityAsync<RunStart>(
            nameof(BeginRunActivity), new BeginRunInput(run, Flow, input.Trigger, startedAt), AnaplanPolling.Retry);
        ConnectionOptions connection = begun.Connection;
        var steps = new RecordedSteps(begun.Steps);

        RecoveryPlan? plan = steps.Get<RecoveryPlan>(StepKeys.Recovery);
        if (plan is null && input.Mode == RecoveryModes.RetryRejected)
        {
            context.SetCustomStatus(new RunProgress("reading Anaplan's members", input.Dataset, "Accounts and Cost Centers lists"));
            bool costCenterList = !string.IsNullOrWhiteSpace(connection.Actuals.Imports.CostCenters);
            (string[] members, _) = await DimensionAlignmentOrchestrator.ReadMembersAsync(context, run, connection, costCenterList, steps);
            plan = await context.CallActivityAsync<RecoveryPlan>(
                nameof(PrepareRecoveryActivity),
                new PrepareRecoveryInput(run, input.SourceRunId, input.Dataset, input.Mode, members[0], costCenterList ? members[1] : null),
                AnaplanPolling.Retry);
        }

        plan ??= await context.CallActivityAsync<RecoveryPlan>(
            nameof(PrepareRecoveryActivity), new PrepareRecoveryInput(run, input.SourceRunId, input.Dataset, input.Mode), AnaplanPolling.Retry);

        DatasetManifest manifest = plan.Manifest;
        DatasetSummary summary = manifest.Staged.Rows == 0
            ? DatasetLoads.Summary(manifest, DatasetStatuses.NoChanges, null, null) with { Message = "nothing to send" }
            : manifest.Files is { Count: > 1 }
            ? await GlFiles.LoadAsync(context, run, connection, manifest, plan.ImportName, plan.Periods, steps, plan.Layout ?? DatasetLayout.Default(manifest.Dataset))
            : await DatasetLoads.LoadAsync(
                context,
                run,
                connection,
                manifest,
                plan.ImportName,
                plan.Incremental,
                plan.Periods,
                steps,
                plan.Layout ?? DatasetLayout.Default(manifest.Dataset),
                partial: input.Mode == RecoveryModes.RetryRejected);
        await context.CallActivityAsync<bool>(nameof(RecordDatasetActivity), DatasetLoads.ToAudit(run, summary), AnaplanPolling.Retry);

        string status = DatasetLoads.RunStatus([summary], 0);
        DateTime finishedAt = context.CurrentUtcDateTime;
        var result = new ActualsRunSummary(
            run.RunId,
            run.ConnectionId,
            status,
            input.Trigger,
            plan.Periods.DistinctCodes(connection.PeriodFormat),
            null,
            [summary],
            startedAt,
            finishedAt);
        await context.CallActivityAsync<bool>(
            nameof(CompleteRunActivity),
            new CompleteRunInput(run, Flow, input.Trigger, status, startedAt, finishedAt, SummaryJson.Serialize(result)),
            AnaplanPolling.Retry);
        context.SetCustomStatus(new RunProgress("done", input.Dataset, status));
        return result;
    }
}

/// <summary>
/// Decides what a recovery run loads. Replay: the source run's staged files of the dataset (its extraction's manifest,
/// or the list the run staged for accounts and cost centres), as they are. Retry of rejected rows (GL): each row the
/// source run rejected, mapped again with the current mapping overrides and account format, and kept when Anaplan's
/// lists (just read) have its account and cost-centre items; rows that still do not fit are rejected again, with the
/// reason, in this run's audit. Both stage in the layout the source run recorded for the dataset's import, with the
/// period codes it recorded.
/// </summary>
public sealed class PrepareRecoveryActivity(
    ConnectionClients clients, ConnectorStorage storage, StepResultStore steps, MappingStore mappings, AuditStore audit)
    : TaskActivity<PrepareRecoveryInput, RecoveryPlan>
{
    public override async Task<RecoveryPlan> RunAsync(TaskActivityContext context, PrepareRecoveryInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ConnectionOptions connection = clients.Connection(input.Run.ConnectionId);
        var source = new RecordedSteps(await steps.GetAsync(input.SourceRunId));
        RecoveryPlan plan = input.Mode == RecoveryModes.RetryRejected
            ? await this.RetryRejectedAsync(input, connection, source)
            : Replay(input, connection, source);
        return await steps.RecordAsync(input.Run, StepKeys.Recovery, plan);
    }

    /// <summary>The staged dataset a replay loads, as the source run recorded it.</summary>
    /// <exception cref="Operations.RunStateException">The source run staged no such dataset (or its steps were purged).</exception>
    public static DatasetManifest StagedManifest(RecordedSteps source, string sourceRunId, string dataset)
    {
        ArgumentNullException.ThrowIfNull(source);
        DatasetManifest? manifest = dataset switch
        {
            Datasets.Accounts or Datasets.CostCenters when source.Get<SageDimensions>(StepKeys.SageDimensions) is { } sage
                => ListManifest(dataset, dataset == Datasets.Accounts ? sage.AccountsCsv : sage.CostCentersCsv),
            Datasets.Vendors or Datasets.GlActuals or Datasets.ApActuals => source.Get<DatasetManifest>(StepKeys.Extract(dataset)),
            _ => null,
        };
        return manifest ?? throw new Operations.RunStateException(
            $"Run '{sourceRunId}' has no staged files for dataset '{dataset}' (it never staged it, or its staging was purged); the datasets of an actuals run are "
            + $"{string.Join(", ", ReplayableDatasets)}.");
    }

    /// <summary>The datasets a replay can load.</summary>
    public static IReadOnlyList<string> ReplayableDatasets { get; } = [Datasets.Accounts, Datasets.CostCenters, Datasets.Vendors, Datasets.GlActuals, Datasets.ApActuals];

    private static DatasetManifest? ListManifest(string dataset, StagedCsv? staged) => staged is null ? null : new(dataset, staged, staged.Rows, 0, [], [], null, null);

    private static RecoveryPlan Replay(PrepareRecoveryInput input, ConnectionOptions connection, RecordedSteps source)
    {
        DatasetManifest manifest = StagedManifest(source, input.SourceRunId, input.Dataset);
        ResolvedPeriods periods = source.Get<ResolvedPeriods>(StepKeys.Periods) ?? new ResolvedPeriods([], string.Empty, 0);
        return new RecoveryPlan(
            manifest, periods, ImportOf(connection, input.Dataset), input.Dataset is Datasets.Vendors or Datasets.ApActuals, LayoutOf(source, input.Dataset));
    }

    /// <summary>The layout the source run staged a dataset in (the shipped model's when it recorded none).</summary>
    private static DatasetLayout LayoutOf(RecordedSteps source, string dataset)
        => (source.Get<ImportLayouts>(StepKeys.Layouts) ?? new ImportLayouts([])).For(dataset);

    private static string ImportOf(ConnectionOptions connection, string dataset)
    {
        string name = ColumnMapper.ImportNameOf(connection, dataset);
        return string.IsNullOrWhiteSpace(name)
            ? throw new Operations.RunStateException(
                $"Connection '{connection.Id}' names no import for dataset '{dataset}' (its Actuals:Imports:{ImportFields.Setting(dataset)["Actuals:Columns:".Length..]} setting is empty); there is nothing to load it with.")
            : name;
    }

    private async Task<RecoveryPlan> RetryRejectedAsync(PrepareRecoveryInput input, ConnectionOptions connection, RecordedSteps source)
    {
        DatasetManifest original = source.Get<DatasetManifest>(StepKeys.Extract(Datasets.GlActuals))
            ?? throw new Operations.RunStateException($"Run '{input.SourceRunId}' has no GL extraction recorded (its staging was purged, or it never extracted GL).");
        SageDimensions sage = source.Get<SageDimensions>(StepKeys.SageDimensions)
            ?? throw new Operations.RunStateException($"Run '{input.SourceRunId}' has no Sage dimensions recorded.");
        ResolvedPeriods periods = source.Get<ResolvedPeriods>(StepKeys.Periods) ?? new ResolvedPeriods([], string.Empty, 0);
        DatasetLayout layout = LayoutOf(source, Datasets.GlActuals);
        bool byCostCenter = layout.Has(ImportFields.CostCenter);
        bool costCenterList = input.CostCenterItemsBlob is not null;
        var rejected = new List<RejectedGlRow>();
        foreach (string blob in GlFiles.RejectedRowsBlobs(original))
        {
            // Every file's rejected rows, when the run staged GL in several.
            rejected.AddRange((await storage.StagingContainer.GetBlobClient(blob).DownloadContentAsync()).Value.Content.ToObjectFromJson<List<RejectedGlRow>>(RejectedGlRow.Json) ?? []);
        }

        // The company's structure as the source run read it; the mappings and Anaplan's members as they are now.
        AlignmentSnapshot snapshot = await AlignmentSnapshot.LoadAsync(storage.StagingContainer, sage.SnapshotBlob);
        var structure = new AccountStructure(snapshot.Separator, snapshot.SegmentLengths.Select((length, i) => new AccountSegment(i + 1, length, snapshot.SegmentNames[i])));
        Dictionary<string, AccountAlignment> sageAccounts = snapshot.BySageAccount();
        IReadOnlyDictionary<string, string> accountMap = await mappings.GetOverridesAsync(input.Run.ConnectionId, MappingDimensions.Account);
        IReadOnlyDictionary<string, string> costCenterMap = await mappings.GetOverridesAsync(input.Run.ConnectionId, MappingDimensions.CostCenter);
        HashSet<string> anaplanAccounts = await BuildAlignmentActivity.ReadCodesAsync(storage.StagingContainer, input.AccountItemsBlob);
        HashSet<string> anaplanCostCenters = await BuildAlignmentActivity.ReadCodesAsync(storage.StagingContainer, input.CostCenterItemsBlob);

        var sageTotals = new Totals();
        var cells = new SortedDictionary<(string Account, string CostCenter, string Period), (decimal Debit, decimal Credit, decimal Net)>();
        await using var rejections = new RejectionSink(storage, audit, input.Run, Datasets.GlActuals);
        foreach (RejectedGlRow row in rejected)
        {
            string period = periods.CodeOf(new FiscalPeriodRef(row.FiscalYear, row.Period), connection.PeriodFormat);
            sageTotals.Add(period, row.Debit, row.Credit, row.Net, 0m);
            string record = $"{row.Account} / {period}";
            if (sageAccounts.TryGetValue(row.Account, out AccountAlignment? known) && known.Reason == "the account is deleted in Sage")
            {
                await rejections.RejectAsync(record, "Account", known.Reason);
                continue;
            }

            if (!structure.TryParse(row.Account, out ParsedAccount? parsed, out string? problem))
            {
                await rejections.RejectAsync(record, "Account", $"the account key does not fit the company's structure ({problem})");
                continue;
            }

            string sageAccountItem = CostCenters.AccountWithoutCostCenter(structure, parsed, snapshot.CostCenterSegment);
            string sageCostCenter = parsed.Segment(snapshot.CostCenterSegment);
            string costCenter = costCenterMap.GetValueOrDefault(sageCostCenter, sageCostCenter);
            string account = AccountItems.Apply(connection.AccountFormat, accountMap.GetValueOrDefault(sageAccountItem, sageAccountItem), costCenter, parsed.Account);
            if (!anaplanAccounts.Contains(account))
            {
                await rejections.RejectAsync(record, "Account", $"account item '{account}' does not exist in the Anaplan Accounts list");
                continue;
            }

            if (costCenterList && !anaplanCostCenters.Contains(costCenter))
            {
                await rejections.RejectAsync(record, "Cost Center", $"cost centre item '{costCenter}' does not exist in the Anaplan Cost Centers list");
                continue;
            }

            (string, string, string) cell = (account, byCostCenter ? costCenter : string.Empty, period);
            (decimal d, decimal c, decimal n) = cells.GetValueOrDefault(cell);
            cells[cell] = (d + row.Debit, c + row.Credit, n + row.Net);
        }

        // A cell that also holds rows the source run sent gets their sum (the import replaces the cell's value).
        if (cells.Count > 0)
        {
            await foreach (string[] staged in StagedCsvReader.ReadAsync(storage, original.Staged))
            {
                (string, string, string) key = (
                    layout.Value(staged, ImportFields.Account)?.Trim() ?? string.Empty,
                    layout.Value(staged, ImportFields.CostCenter)?.Trim() ?? string.Empty,
                    layout.Value(staged, ImportFields.Period)?.Trim() ?? string.Empty);
                if (cells.TryGetValue(key, out var sum))
                {
                    cells[key] = (
                        sum.Debit + Money(layout.Value(staged, ImportFields.Debit)),
                        sum.Credit + Money(layout.Value(staged, ImportFields.Credit)),
                        sum.Net + Money(layout.Value(staged, ImportFields.Net)));
                }
            }
        }

        var stagedTotals = new Totals();
        await using var writer = new CsvPartWriter(
            storage.StagingContainer, Datasets.StagingPrefix(input.Run, Datasets.GlActuals), Datasets.GlActuals,
            layout.Header, connection.Anaplan.ChunkSizeMb * 1024L * 1024L);
        foreach (((string account, string costCenter, string period), (decimal debit, decimal credit, decimal net)) in cells)
        {
            stagedTotals.Add(period, debit, credit, net, 0m);
            await writer.WriteRowAsync(layout.Row([account, costCenter, period, ExtractGlActualsActivity.Money(debit), ExtractGlActualsActivity.Money(credit), ExtractGlActualsActivity.Money(net)]));
        }

        StagedCsv stagedCsv = await writer.CompleteAsync();
        await rejections.CompleteAsync();
        var manifest = new DatasetManifest(
            Datasets.GlActuals, stagedCsv, rejected.Count, rejections.Count, sageTotals.ToList(), stagedTotals.ToList(), null, rejections.BlobName);
        return new RecoveryPlan(manifest, periods, connection.Actuals.Imports.GlActuals, Incremental: false, layout);
    }

    /// <summary>A staged amount (a column the layout does not carry counts as zero).</summary>
    private static decimal Money(string? text) => string.IsNullOrWhiteSpace(text) ? 0m : ExtractGlActualsActivity.ParseMoney(text);
}
