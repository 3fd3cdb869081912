using System.Globalization;
using Connector.Orchestrations.Anaplan;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.ModelFit;
using Connector.Orchestrations.Storage;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Connector.Orchestrations.Flows.Anaplan;

/// <summary>
/// Input of <see cref="CheckAnaplanModelActivity"/>. <c>Layouts</c>: the layouts the run's files are staged in, as an
/// earlier attempt of the run (or the source run of a recovery) recorded them; null makes the check map them from the
/// imports' headers and record them for the run. <c>Datasets</c>: the datasets to check (every import the connection
/// names when null).
/// </summary>
public sealed record CheckModelInput(RunRef Run, ImportLayouts? Layouts = null, IReadOnlyList<string>? Datasets = null);

/// <summary>
/// What a run's model check found: the import layouts and, per dataset, the import, file and read-back export it loads
/// through. Never recorded as a step: every attempt of a run checks the model again.
/// </summary>
public sealed record ModelTargets(ImportLayouts Layouts, IReadOnlyList<ImportTarget> Imports)
{
    /// <summary>The target of a dataset, or null when the connection names no import for it.</summary>
    public ImportTarget? For(string dataset) => ImportTarget.Of(this.Imports, dataset);
}

/// <summary>
/// Input of <see cref="UploadAnaplanChunksActivity"/>: staged parts (blob names, in order) that become the chunks
/// <c>From</c>, <c>From + 1</c>, ... of the checked import's file, as they are (gzip). The batch that starts at chunk 0
/// first announces the file's <c>ChunkCount</c>.
/// </summary>
public sealed record UploadChunksInput(RunRef Run, string Dataset, ImportTarget Target, int ChunkCount, string Container, IReadOnlyList<string> Parts, int From);

/// <summary>
/// Input of <see cref="StartAnaplanTaskActivity"/>: the action by id, or by name (resolved first). With <c>Step</c>, the
/// started task is recorded for the run under <see cref="StepKeys.Task"/>, so a resumed run polls it instead of starting
/// the action a second time. <c>Setting</c> names the setting behind the action, for the error when an action the run's
/// model check found by id is gone.
/// </summary>
public sealed record StartTaskInput(RunRef Run, string ActionType, string? ActionId, string? ActionName, string? Step = null, string? Setting = null)
{
    /// <summary>Gets the rows the import reads (the rows uploaded); null for an export. The first check's wait scales with them.</summary>
    public long? Rows { get; init; }
}

/// <summary>
/// A started or polled task. A started one also says when it was started (the starting worker's clock) and when to check
/// it first (<see cref="FirstCheckEstimator"/>): what earlier tasks of the action taught.
/// </summary>
public sealed record TaskStatus(
    string ActionId,
    string TaskId,
    string State,
    bool IsFinal,
    bool Successful,
    bool FailureDumpAvailable,
    long Success,
    long Failed,
    long Ignored,
    long Total,
    string? Message)
{
    /// <summary>Gets the moment the start was asked for (UTC), for a task this run started; null for a polled status.</summary>
    public DateTime? StartedAt { get; init; }

    /// <summary>Gets the wait before the task's first status check, learned per action; null: <see cref="AnaplanPolling.FirstCheckWait"/>.</summary>
    public TimeSpan? FirstCheck { get; init; }

    /// <summary>Gets the task's progress (0 to 1) when Anaplan gave one.</summary>
    public double? Progress { get; init; }
}

/// <summary>
/// Input of <see cref="GetAnaplanTaskStatusActivity"/> and <see cref="CancelAnaplanTaskActivity"/>. <c>NotBefore</c> (status
/// checks only) is the moment before which the status must not be read: the orchestration's schedule, which a durable
/// timer can only approach to the second (<see cref="AnaplanPolling"/>). <c>StartedAt</c> and <c>Rows</c> (the first check
/// of a task this run started): what the check finds is learned for the action's next tasks (<see cref="FirstCheckEstimator"/>).
/// </summary>
public sealed record TaskRef(RunRef Run, string ActionType, string ActionId, string TaskId, DateTime? NotBefore = null)
{
    /// <summary>Gets the moment the task was started, on the first check of a task this run started (null: nothing is learned).</summary>
    public DateTime? StartedAt { get; init; }

    /// <summary>Gets the rows the import reads (null for an export).</summary>
    public long? Rows { get; init; }
}

/// <summary>Input of <see cref="RecordImportFailuresActivity"/>: <c>Layout</c> says which dump columns hold which fields.</summary>
public sealed record ImportFailuresInput(RunRef Run, string Dataset, string ImportId, string TaskId, DatasetLayout? Layout = null)
{
    /// <summary>Gets the load's step name (one file of a dataset staged in several: its refused rows are kept apart).</summary>
    public string? Step { get; init; }

    /// <summary>Gets the audit sequence after which the refused rows are numbered (earlier files' refused rows come first).</summary>
    public long FailedBefore { get; init; }
}

/// <summary>What Anaplan refused: how many rows, the control totals of those rows, and the refused rows by key (key → error).</summary>
public sealed record ImportFailures(long Rows, IReadOnlyList<PeriodTotals> Totals, string? RefusedKeysBlob = null);

/// <summary>Input of <see cref="DownloadAnaplanExportActivity"/>.</summary>
public sealed record DownloadExportInput(RunRef Run, string ExportId, string BlobName);

/// <summary>
/// Checks the model once for a run, before anything is extracted or uploaded, with one read of each list: the imports
/// (each configured import exists; on a first attempt its header names are read and the connection's fields mapped onto
/// them, so the run stages every file in its import's own layout; on a later attempt, or a recovery, its header is still
/// the layout the files were staged in), the files (each import's source file exists: Anaplan would otherwise silently
/// create a private file nobody imports from) and, when a read-back is configured, the exports (each exists and shows the
/// configured columns). A problem fails the run at once, naming the import or export, the column and the setting. The
/// layouts a first attempt mapped are recorded for the run (<see cref="StepKeys.Layouts"/>): a resumed run, and a replay
/// of what the run staged, load the files in the layout they were staged in. The ids found are returned, not recorded.
/// </summary>
public sealed class CheckAnaplanModelActivity(ConnectionClients clients, StepResultStore steps) : TaskActivity<CheckModelInput, ModelTargets>
{
    public override async Task<ModelTargets> RunAsync(TaskActivityContext context, CheckModelInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ConnectionOptions connection = clients.Connection(input.Run.ConnectionId);
        AnaplanClient anaplan = clients.Anaplan(input.Run.ConnectionId);
        var problems = new List<string>();
        ImportLayouts layouts;
        IReadOnlyList<(string Dataset, AnaplanImport Import)> imports;
        if (input.Layouts is null)
        {
            IReadOnlyList<ImportLayoutResult> results = await ImportLayoutResolver.ResolveAsync(connection, anaplan);
            layouts = ImportLayoutResolver.LayoutsOrThrow(connection, results);
            imports = [.. results.Select(r => (r.Dataset, r.Import!))];
        }
        else
        {
            layouts = input.Layouts;
            imports = await StagedImportsAsync(connection, anaplan, layouts, input.Datasets, problems);
        }

        IReadOnlyList<AnaplanFile> files = await anaplan.ListFilesAsync();
        var targets = new List<ImportTarget>();
        foreach ((string dataset, AnaplanImport import) in imports)
        {
            string named = $"Import '{import.Name}' ({ImportFields.Describe(dataset)}, {ImportFields.ImportSetting(dataset)})";
            if (import.ImportDataSourceId is not { Length: > 0 } fileId)
            {
                problems.Add($"{named} reads no file in model {anaplan.Options.ModelId}: there is nothing to upload to.");
            }
            else if (!files.Any(f => string.Equals(f.Id, fileId, StringComparison.Ordinal)))
            {
                problems.Add($"{named} reads file {fileId}, which does not exist in model {anaplan.Options.ModelId}; the connector does not upload to it (Anaplan would create a private file the import does not read).");
            }
            else
            {
                targets.Add(new ImportTarget(dataset, import.Name, import.Id, fileId));
            }
        }

        IReadOnlyList<AnaplanExport>? exports = null;
        for (int i = 0; i < targets.Count; i++)
        {
            if (DatasetLoads.ReadBackFor(connection, input.Run, targets[i].Dataset, layouts.For(targets[i].Dataset)) is { } readBack)
            {
                exports ??= await anaplan.ListExportsAsync();
                if (await CheckReadBackAsync(anaplan, exports, readBack, problems) is { } export)
                {
                    targets[i] = targets[i] with { ReadBackExport = export.Name, ReadBackExportId = export.Id };
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new ConnectorConfigurationException(
                $"{string.Join(" ", problems)} (connection '{connection.Id}': the model does not fit its settings; the run stopped before loading anything.)");
        }

        if (input.Layouts is null)
        {
            await steps.RecordAsync(input.Run, StepKeys.Layouts, layouts);
        }

        return new ModelTargets(layouts, targets);
    }

    /// <summary>
    /// The imports of the datasets the run staged (or will stage) in recorded layouts: each must still exist and still
    /// have the header its file is staged in (an import changed since is refused before anything is uploaded).
    /// </summary>
    private static async Task<IReadOnlyList<(string Dataset, AnaplanImport Import)>> StagedImportsAsync(
        ConnectionOptions connection, AnaplanClient anaplan, ImportLayouts layouts, IReadOnlyList<string>? only, List<string> problems)
    {
        IReadOnlyList<AnaplanImport> all = await anaplan.ListImportsAsync();
        var found = new List<(string, AnaplanImport)>();
        foreach (string dataset in ImportLayoutResolver.Datasets.Where(d => only is null || only.Contains(d)))
        {
            string name = ColumnMapper.ImportNameOf(connection, dataset);
            if (string.IsNullOrWhiteSpace(name))
            {
                continue;
            }

            if (ImportLayoutResolver.Find(all, name) is not { } import)
            {
                problems.Add(ImportFields.MissingImport(name, dataset, anaplan.Options.ModelId, all.Select(i => i.Name)));
                continue;
            }

            IReadOnlyList<string> header = (await anaplan.GetImportMetadataAsync(import.Id)).HeaderNames;
            IReadOnlyList<string> staged = layouts.For(dataset).Header;
            if (!AnaplanClient.HeadersMatch(header, staged))
            {
                problems.Add(
                    $"Import '{import.Name}' ({ImportFields.Describe(dataset)}, {ImportFields.ImportSetting(dataset)}) has the columns {Quoted(header)} now, "
                    + $"but this run staged its file with the columns {Quoted(staged)}: the import changed since the run mapped it; a new run maps it again.");
                continue;
            }

            found.Add((dataset, import));
        }

        return found;
    }

    /// <summary>The read-back export, when it exists and shows the configured columns; otherwise the problem is added.</summary>
    private static async Task<AnaplanExport?> CheckReadBackAsync(AnaplanClient anaplan, IReadOnlyList<AnaplanExport> exports, ReadBackRequest readBack, List<string> problems)
    {
        AnaplanExport? export = exports.FirstOrDefault(e => string.Equals(e.Name, readBack.ExportName, StringComparison.OrdinalIgnoreCase));
        if (export is null)
        {
            problems.Add($"{readBack.Setting}: the read-back export '{readBack.ExportName}' does not exist in model {anaplan.Options.ModelId}; the model has: {Quoted(exports.Select(e => e.Name))}.");
            return null;
        }

        IReadOnlyList<string> header = (await anaplan.GetExportMetadataAsync(export.Id)).HeaderNames;
        string[] missing = [.. readBack.Columns.Where(c => c.Length > 0 && !header.Any(h => string.Equals(h.Trim(), c, StringComparison.OrdinalIgnoreCase)))];
        if (missing.Length > 0)
        {
            problems.Add(
                $"{readBack.Setting}: the read-back export '{readBack.ExportName}' has no column {Quoted(missing)} (its columns are {Quoted(header)}); set the column names under {readBack.Setting.Replace("Export", "Columns", StringComparison.Ordinal)}.");
            return null;
        }

        return export;
    }

    private static string Quoted(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"'{n}'"));
}

/// <summary>
/// Uploads a batch of a load's staged gzip parts as chunks, each streamed from Blob storage without re-compression and
/// each retried alone by the client on a transient failure; the batch that starts at chunk 0 first announces the chunk
/// count of the file the run's model check found (the import, its header, its source file and the read-back export were
/// checked once for the run, before the first upload: <see cref="CheckAnaplanModelActivity"/>). One activity for several
/// chunks: each activity costs the load section a durable round trip while it holds the model lock. Returns the bytes sent.
/// </summary>
public sealed class UploadAnaplanChunksActivity(ConnectionClients clients, ConnectorStorage storage) : TaskActivity<UploadChunksInput, long>
{
    public override async Task<long> RunAsync(TaskActivityContext context, UploadChunksInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        AnaplanClient anaplan = clients.Anaplan(input.Run.ConnectionId);
        string fileId = input.Target.FileId;
        if (input.From == 0)
        {
            try
            {
                await anaplan.DeclareChunkCountAsync(fileId, input.ChunkCount);
            }
            catch (AnaplanNotFoundException ex)
            {
                throw new AnaplanActionException(AnaplanNames.ModelChanged(anaplan, "file", fileId, $"the source file of import '{input.Target.ImportName}'", ImportFields.ImportSetting(input.Dataset)), ex);
            }
        }

        BlobContainerClient container = storage.Blobs.GetBlobContainerClient(input.Container);
        long bytes = 0;
        for (int i = 0; i < input.Parts.Count; i++)
        {
            // One GET of the part, read into a buffer of its length (a blob read stream would first ask for the blob's
            // properties, and fill a 4 MB buffer of its own).
            Response<BlobDownloadStreamingResult> part = await container.GetBlobClient(input.Parts[i]).DownloadStreamingAsync();
            await using (Stream content = part.Value.Content)
            {
                await anaplan.UploadChunkAsync(fileId, input.From + i, content, compressed: true, length: part.Value.Details.ContentLength);
            }

            bytes += part.Value.Details.ContentLength;
        }

        return bytes;
    }
}

/// <summary>
/// Starts an import or export task (resolving the action's id from its name when needed), and says when to check it first:
/// what earlier tasks of the action on the model taught (<see cref="FirstCheckEstimator"/>, <see cref="TaskDurationStore"/>).
/// </summary>
public sealed class StartAnaplanTaskActivity(
    ConnectionClients clients, StepResultStore steps, TaskDurationStore durations, TimeProvider time, ILogger<StartAnaplanTaskActivity> logger)
    : TaskActivity<StartTaskInput, TaskStatus>
{
    public override async Task<TaskStatus> RunAsync(TaskActivityContext context, StartTaskInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        AnaplanClient anaplan = clients.Anaplan(input.Run.ConnectionId);
        AnaplanActionType type = AnaplanNames.ActionType(input.ActionType);
        string actionId = input.ActionId ?? type switch
        {
            AnaplanActionType.Export => (await AnaplanNames.FindExportAsync(anaplan, input.ActionName!)).Id,
            _ => (await AnaplanNames.FindImportAsync(anaplan, input.ActionName!)).Id,
        };
        // Read before the start, so the task's clock starts with the request that starts it.
        LearnedTaskDuration? learned = null;
        try
        {
            learned = await durations.GetAsync(anaplan.Options.WorkspaceId, anaplan.Options.ModelId, input.ActionType, actionId);
        }
        catch (Exception ex) when (StorageFailure.Is(ex))
        {
            // Only the first check's timing depends on it: the task is checked after the default wait.
            Logs.TaskDurationUnavailable(logger, ex, input.ActionType, actionId, StorageFailure.Status(ex));
        }

        DateTime startedAt = time.GetUtcNow().UtcDateTime;
        AnaplanTaskInfo task;
        try
        {
            task = await anaplan.StartTaskAsync(type, actionId);
        }
        catch (AnaplanNotFoundException ex) when (input.ActionId is not null)
        {
            // The id came from the run's model check: the action was deleted or replaced since.
            throw new AnaplanActionException(AnaplanNames.ModelChanged(anaplan, input.ActionType, actionId, $"{input.ActionType} '{input.ActionName}'", input.Setting), ex);
        }

        TaskStatus started = AnaplanNames.ToStatus(actionId, task) with
        {
            StartedAt = startedAt,
            FirstCheck = FirstCheckEstimator.Wait(learned, input.Rows, clients.Connection(input.Run.ConnectionId).Anaplan.PollInterval),
        };
        return input.Step is { } step ? await steps.RecordAsync(input.Run, StepKeys.Task(step), started) : started;
    }
}

/// <summary>
/// Reads a task's state once (the orchestration decides when to ask again, on a durable timer). When it runs before the
/// scheduled moment (<see cref="TaskRef.NotBefore"/>: a timer that fired early, or a first check scheduled without one),
/// it waits for that moment first, never longer than <see cref="AnaplanPolling.LongestTopUp"/>, so no check comes sooner
/// than the schedule says and none waits a whole extra second for the backend's rounding. The first check of a task the
/// run started (<see cref="TaskRef.StartedAt"/>) records what it found for the action's next tasks
/// (<see cref="FirstCheckEstimator.Learn"/>).
/// </summary>
public sealed class GetAnaplanTaskStatusActivity(
    ConnectionClients clients, TimeProvider time, TaskDurationStore durations, ILogger<GetAnaplanTaskStatusActivity> logger) : TaskActivity<TaskRef, TaskStatus>
{
    public override async Task<TaskStatus> RunAsync(TaskActivityContext context, TaskRef input)
    {
        if (input.NotBefore is { } notBefore)
        {
            TimeSpan early = notBefore - time.GetUtcNow().UtcDateTime;
            if (early > TimeSpan.Zero)
            {
                await Task.Delay(early < AnaplanPolling.LongestTopUp ? early : AnaplanPolling.LongestTopUp, time);
            }
        }

        AnaplanClient anaplan = clients.Anaplan(input.Run.ConnectionId);
        DateTime asked = time.GetUtcNow().UtcDateTime;
        AnaplanTaskInfo task = await anaplan.GetTaskStatusAsync(AnaplanNames.ActionType(input.ActionType), input.ActionId, input.TaskId);
        TaskStatus status = AnaplanNames.ToStatus(input.ActionId, task);
        if (input.StartedAt is { } startedAt)
        {
            await this.LearnAsync(anaplan, input, asked - startedAt, status);
        }

        return status;
    }

    private async Task LearnAsync(AnaplanClient anaplan, TaskRef input, TimeSpan elapsed, TaskStatus status)
    {
        // A task cancelled or in a state this client does not know teaches nothing about the action's length.
        bool done = status.State == AnaplanTaskState.Complete.Value;
        if (!done && status.State != AnaplanTaskState.InProgress.Value && status.State != AnaplanTaskState.NotStarted.Value)
        {
            return;
        }

        (string workspace, string model) = (anaplan.Options.WorkspaceId, anaplan.Options.ModelId);
        try
        {
            LearnedTaskDuration? learned = await durations.GetAsync(workspace, model, input.ActionType, input.ActionId);
            await durations.SetAsync(
                workspace, model, input.ActionType, input.ActionId, FirstCheckEstimator.Learn(learned, input.Rows, elapsed, done, status.Progress, input.Run.RunId), time.GetUtcNow());
        }
        catch (Exception ex) when (StorageFailure.Is(ex))
        {
            // The check itself went through; only what it taught is lost (the next task is checked as this one was).
            Logs.TaskDurationUnavailable(logger, ex, input.ActionType, input.ActionId, StorageFailure.Status(ex));
        }
    }
}

/// <summary>Cancels a task the run gave up waiting for, so the model is not left busy.</summary>
public sealed class CancelAnaplanTaskActivity(ConnectionClients clients) : TaskActivity<TaskRef, TaskStatus>
{
    public override async Task<TaskStatus> RunAsync(TaskActivityContext context, TaskRef input)
    {
        AnaplanTaskInfo task = await clients.Anaplan(input.Run.ConnectionId)
            .CancelTaskAsync(AnaplanNames.ActionType(input.ActionType), input.ActionId, input.TaskId);
        return AnaplanNames.ToStatus(input.ActionId, task);
    }
}

/// <summary>
/// Downloads an import's failure dump and records every failed row in the audit with Anaplan's error; returns the
/// count and the control totals of the failed rows, and writes the refused rows by key (dataset key → Anaplan's error)
/// so the commit after the load knows exactly which rows Anaplan did not take.
/// </summary>
public sealed class RecordImportFailuresActivity(ConnectionClients clients, ConnectorStorage storage, AuditStore audit) : TaskActivity<ImportFailuresInput, ImportFailures>
{
    public override async Task<ImportFailures> RunAsync(TaskActivityContext context, ImportFailuresInput input)
    {
        AnaplanFailureDump? dump = await clients.Anaplan(input.Run.ConnectionId).GetImportFailuresAsync(input.ImportId, input.TaskId);
        if (dump is null || dump.Rows.Count == 0)
        {
            return new ImportFailures(0, []);
        }

        var records = new List<RecordAudit>(dump.Rows.Count);
        var totals = new Dictionary<string, PeriodTotals>(StringComparer.Ordinal);
        var refused = new Dictionary<string, string>(StringComparer.Ordinal);
        DatasetLayout layout = input.Layout ?? DatasetLayout.Default(input.Dataset);
        long sequence = input.FailedBefore;
        foreach (AnaplanFailedRow row in dump.Rows)
        {
            records.Add(new RecordAudit(input.Dataset, RecordKinds.Failed, ++sequence, layout.Describe(row.Values), null, row.Error, row.Line));
            refused[layout.Key(row.Values)] = row.Error;
            if (DatasetRecords.Amounts(layout, row.Values) is { } amounts)
            {
                PeriodTotals current = totals.GetValueOrDefault(amounts.Period) ?? PeriodTotals.Empty(amounts.Period);
                totals[amounts.Period] = current.Add(amounts.Debit, amounts.Credit, amounts.Amount, amounts.Count);
            }
        }

        await audit.WriteRecordsAsync(input.Run.RunId, records);
        string? refusedBlob = await SentRows.WriteAsync(storage.StagingContainer, Datasets.RunBlob(input.Run, $"{(input.Step ?? input.Dataset).Replace(':', '-')}-refused.json"), refused);
        return new ImportFailures(dump.Rows.Count, [.. totals.Values.OrderBy(t => t.Period, StringComparer.Ordinal)], refusedBlob);
    }
}

/// <summary>Streams an export's file (all chunks) into a staging blob.</summary>
public sealed class DownloadAnaplanExportActivity(ConnectionClients clients, ConnectorStorage storage) : TaskActivity<DownloadExportInput, long>
{
    public override async Task<long> RunAsync(TaskActivityContext context, DownloadExportInput input)
    {
        await using Stream file = await clients.Anaplan(input.Run.ConnectionId).OpenFileDownloadAsync(input.ExportId);
        var blob = storage.StagingContainer.GetBlobClient(input.BlobName);
        await blob.UploadAsync(file, overwrite: true);
        return (await blob.GetPropertiesAsync()).Value.ContentLength;
    }
}

/// <summary>An Anaplan action named in configuration does not exist, or cannot be used as configured.</summary>
public sealed class AnaplanActionException : Exception
{
    public AnaplanActionException(string message)
        : base(message)
    {
    }

    public AnaplanActionException()
    {
    }

    public AnaplanActionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Finding actions by the names configured, and shaping task results for orchestration history.</summary>
internal static class AnaplanNames
{
    public const string Import = "import";
    public const string Export = "export";

    public static AnaplanActionType ActionType(string type) => type switch
    {
        Import => AnaplanActionType.Import,
        Export => AnaplanActionType.Export,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Use import or export."),
    };

    /// <summary>Finds an import by name; a missing one is named with its dataset and setting when <paramref name="dataset"/> is an uploaded dataset.</summary>
    public static async Task<AnaplanImport> FindImportAsync(AnaplanClient anaplan, string name, string? dataset = null)
    {
        ArgumentNullException.ThrowIfNull(anaplan);
        IReadOnlyList<AnaplanImport> imports = await anaplan.ListImportsAsync();
        return ImportLayoutResolver.Find(imports, name)
            ?? throw new AnaplanActionException(ImportFields.MissingImport(
                name, dataset is not null && ImportLayoutResolver.Datasets.Contains(dataset) ? dataset : null, anaplan.Options.ModelId, imports.Select(i => i.Name)));
    }

    public static async Task<AnaplanExport> FindExportAsync(AnaplanClient anaplan, string name)
    {
        IReadOnlyList<AnaplanExport> exports = await anaplan.ListExportsAsync();
        return exports.FirstOrDefault(e => e.Name == name)
            ?? exports.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new AnaplanActionException(
                $"Export '{name}' does not exist in model {anaplan.Options.ModelId}; the model has: {string.Join(", ", exports.Select(e => $"'{e.Name}'"))}.");
    }

    /// <summary>
    /// The error when an action or file the run's model check found is gone from the model: it names the thing and its
    /// setting, and says that the next run, or a rewind, checks the model again (no id is kept across attempts).
    /// </summary>
    public static string ModelChanged(AnaplanClient anaplan, string kind, string id, string what, string? setting)
        => $"The {what} ({kind} {id}{(setting is null ? string.Empty : ", " + setting)}) no longer exists in model {anaplan.Options.ModelId}: the model changed "
            + "after this run checked it, and nothing was imported from it. The next run, or a rewind of this one, checks the model again.";

    public static TaskStatus ToStatus(string actionId, AnaplanTaskInfo task)
    {
        AnaplanRowCounts counts = task.Result?.Counts ?? new AnaplanRowCounts(0, 0, 0, 0);
        string? message = task.Result?.Details.Select(d => d.LocalMessageText).FirstOrDefault(m => !string.IsNullOrWhiteSpace(m));
        return new TaskStatus(
            actionId,
            task.TaskId,
            task.State.Value,
            task.State.IsFinal,
            task.Result?.Successful ?? false,
            task.Result?.FailureDumpAvailable ?? false,
            counts.SuccessRowCount,
            counts.FailedCount,
            counts.IgnoredCount,
            counts.TotalRowCount,
            message)
        {
            Progress = task.Progress,
        };
    }
}

/// <summary>Which of a dataset's columns are control amounts.</summary>
public static class DatasetRecords
{
    /// <summary>The control amounts of a row read by header (null for list datasets; an amount that does not parse counts 0).</summary>
    public static (string Period, decimal Debit, decimal Credit, decimal Amount, decimal Count)? Amounts(DatasetLayout layout, IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(layout);
        decimal Parse(string field)
            => decimal.TryParse(layout.Value(values, field), NumberStyles.Number, CultureInfo.InvariantCulture, out decimal d) ? d : 0m;

        string period = layout.Value(values, ImportFields.Period) ?? string.Empty;
        return layout.Dataset switch
        {
            Datasets.GlActuals => (period, Parse(ImportFields.Debit), Parse(ImportFields.Credit), Parse(ImportFields.Net), 0m),
            Datasets.ApActuals => (period, 0m, 0m, Parse(ImportFields.InvoiceAmount), Parse(ImportFields.InvoiceCount)),
            _ => null,
        };
    }
}
