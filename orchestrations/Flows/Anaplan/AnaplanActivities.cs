using System.Globalization;
using Connector.Orchestrations.Anaplan;
using Connector.Orchestrations.ModelFit;
using Connector.Orchestrations.Storage;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Anaplan;

/// <summary>
/// Input of <see cref="PrepareAnaplanImportActivity"/>; <c>ReadBack</c> is checked too when the load has one, and
/// <c>Layout</c> is the file the run staged (the shipped model's when null).
/// </summary>
public sealed record PrepareImportInput(RunRef Run, string Dataset, string ImportName, int ChunkCount, ReadBackRequest? ReadBack = null, DatasetLayout? Layout = null);

/// <summary>The import and the file it reads, ready for the chunks.</summary>
public sealed record PreparedImport(string ImportId, string FileId);

/// <summary>Input of <see cref="UploadAnaplanChunkActivity"/>: one staged part becomes one chunk, as it is (gzip).</summary>
public sealed record UploadChunkInput(RunRef Run, string FileId, int Index, string Container, string BlobName);

/// <summary>
/// Input of <see cref="StartAnaplanTaskActivity"/>: the action by id, or by name (resolved first). With <c>Step</c>, the
/// started task is recorded for the run under <see cref="StepKeys.Task"/>, so a resumed run polls it instead of starting
/// the action a second time.
/// </summary>
public sealed record StartTaskInput(RunRef Run, string ActionType, string? ActionId, string? ActionName, string? Step = null);

/// <summary>A started or polled task.</summary>
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
    string? Message);

/// <summary>
/// Input of <see cref="GetAnaplanTaskStatusActivity"/> and <see cref="CancelAnaplanTaskActivity"/>. <c>NotBefore</c> (status
/// checks only) is the moment before which the status must not be read: the orchestration's schedule, which a durable
/// timer can only approach to the second (<see cref="AnaplanPolling"/>).
/// </summary>
public sealed record TaskRef(RunRef Run, string ActionType, string ActionId, string TaskId, DateTime? NotBefore = null);

/// <summary>Input of <see cref="RecordImportFailuresActivity"/>: <c>Layout</c> says which dump columns hold which fields.</summary>
public sealed record ImportFailuresInput(RunRef Run, string Dataset, string ImportId, string TaskId, DatasetLayout? Layout = null);

/// <summary>What Anaplan refused: how many rows, the control totals of those rows, and the refused rows by key (key → error).</summary>
public sealed record ImportFailures(long Rows, IReadOnlyList<PeriodTotals> Totals, string? RefusedKeysBlob = null);

/// <summary>Input of <see cref="DownloadAnaplanExportActivity"/>.</summary>
public sealed record DownloadExportInput(RunRef Run, string ExportId, string BlobName);

/// <summary>
/// Reads each configured import's header names from Anaplan and maps the connection's fields onto them, before anything
/// is extracted: the run then stages every file in its import's own layout, and an import that does not fit fails the
/// run at once, naming the import, the column and the fields that could fill it. The layouts are recorded for the run
/// (<see cref="StepKeys.Layouts"/>): a resumed run, and a replay of what the run staged, load the files in the layout
/// they were staged in.
/// </summary>
public sealed class ResolveImportLayoutsActivity(ConnectionClients clients, StepResultStore steps) : TaskActivity<RunRef, ImportLayouts>
{
    public override async Task<ImportLayouts> RunAsync(TaskActivityContext context, RunRef input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ImportLayouts layouts = await ImportLayoutResolver.ResolveOrThrowAsync(clients.Connection(input.ConnectionId), clients.Anaplan(input.ConnectionId));
        return await steps.RecordAsync(input, StepKeys.Layouts, layouts);
    }
}

/// <summary>
/// Resolves an import by name, checks that its header names are the header of the staged file (so an import changed
/// since the run mapped it is refused before anything is uploaded), checks that its source file exists (Anaplan would
/// otherwise silently create a new private file), checks the read-back export the load will run after it (it exists
/// and shows the configured columns) and announces the chunk count.
/// </summary>
public sealed class PrepareAnaplanImportActivity(ConnectionClients clients) : TaskActivity<PrepareImportInput, PreparedImport>
{
    public override async Task<PreparedImport> RunAsync(TaskActivityContext context, PrepareImportInput input)
    {
        AnaplanClient anaplan = clients.Anaplan(input.Run.ConnectionId);
        AnaplanImport import = await AnaplanNames.FindImportAsync(anaplan, input.ImportName, input.Dataset);
        await anaplan.CheckCsvHeaderAsync(import.Id, input.Layout?.Header ?? Datasets.Header(input.Dataset));
        if (input.ReadBack is { } readBack)
        {
            await CheckReadBackAsync(anaplan, readBack);
        }

        string fileId = import.ImportDataSourceId
            ?? throw new AnaplanActionException($"Import '{input.ImportName}' ({import.Id}) has no source file to upload to.");
        await anaplan.SetFileChunkCountAsync(fileId, input.ChunkCount);
        return new PreparedImport(import.Id, fileId);
    }

    private static async Task CheckReadBackAsync(AnaplanClient anaplan, ReadBackRequest readBack)
    {
        IReadOnlyList<AnaplanExport> exports = await anaplan.ListExportsAsync();
        AnaplanExport export = exports.FirstOrDefault(e => string.Equals(e.Name, readBack.ExportName, StringComparison.OrdinalIgnoreCase))
            ?? throw new ConnectorConfigurationException(
                $"{readBack.Setting}: the read-back export '{readBack.ExportName}' does not exist in model {anaplan.Options.ModelId}; the model has: {string.Join(", ", exports.Select(e => $"'{e.Name}'"))}.");
        IReadOnlyList<string> header = (await anaplan.GetExportMetadataAsync(export.Id)).HeaderNames;
        string[] missing = [.. readBack.Columns.Where(c => c.Length > 0 && !header.Any(h => string.Equals(h.Trim(), c, StringComparison.OrdinalIgnoreCase)))];
        if (missing.Length > 0)
        {
            throw new ConnectorConfigurationException(
                $"{readBack.Setting}: the read-back export '{readBack.ExportName}' has no column {string.Join(", ", missing.Select(m => $"'{m}'"))} (its columns are {string.Join(", ", header.Select(h => $"'{h}'"))}); set the column names under {readBack.Setting.Replace("Export", "Columns", StringComparison.Ordinal)}.");
        }
    }
}

/// <summary>Uploads one staged gzip part as one chunk, streamed from Blob storage without re-compression.</summary>
public sealed class UploadAnaplanChunkActivity(ConnectionClients clients, ConnectorStorage storage) : TaskActivity<UploadChunkInput, long>
{
    public override async Task<long> RunAsync(TaskActivityContext context, UploadChunkInput input)
    {
        var blob = storage.Blobs.GetBlobContainerClient(input.Container).GetBlobClient(input.BlobName);
        await using Stream part = await blob.OpenReadAsync();
        await clients.Anaplan(input.Run.ConnectionId).UploadChunkAsync(input.FileId, input.Index, part, compressed: true);
        return part.Length;
    }
}

/// <summary>Starts an import or export task (resolving the action's id from its name when needed).</summary>
public sealed class StartAnaplanTaskActivity(ConnectionClients clients, StepResultStore steps) : TaskActivity<StartTaskInput, TaskStatus>
{
    public override async Task<TaskStatus> RunAsync(TaskActivityContext context, StartTaskInput input)
    {
        AnaplanClient anaplan = clients.Anaplan(input.Run.ConnectionId);
        AnaplanActionType type = AnaplanNames.ActionType(input.ActionType);
        string actionId = input.ActionId ?? type switch
        {
            AnaplanActionType.Export => (await AnaplanNames.FindExportAsync(anaplan, input.ActionName!)).Id,
            _ => (await AnaplanNames.FindImportAsync(anaplan, input.ActionName!)).Id,
        };
        AnaplanTaskInfo task = await anaplan.StartTaskAsync(type, actionId);
        TaskStatus started = AnaplanNames.ToStatus(actionId, task);
        return input.Step is { } step ? await steps.RecordAsync(input.Run, StepKeys.Task(step), started) : started;
    }
}

/// <summary>
/// Reads a task's state once (the orchestration decides when to ask again, on a durable timer). When it runs before the
/// scheduled moment (<see cref="TaskRef.NotBefore"/>: a timer that fired early, or a first check scheduled without one),
/// it waits for that moment first, never longer than <see cref="AnaplanPolling.LongestTopUp"/>, so no check comes sooner
/// than the schedule says and none waits a whole extra second for the backend's rounding.
/// </summary>
public sealed class GetAnaplanTaskStatusActivity(ConnectionClients clients, TimeProvider time) : TaskActivity<TaskRef, TaskStatus>
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

        AnaplanTaskInfo task = await clients.Anaplan(input.Run.ConnectionId)
            .GetTaskStatusAsync(AnaplanNames.ActionType(input.ActionType), input.ActionId, input.TaskId);
        return AnaplanNames.ToStatus(input.ActionId, task);
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
        long sequence = 0;
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
        string? refusedBlob = await SentRows.WriteAsync(storage.StagingContainer, Datasets.RunBlob(input.Run, $"{input.Dataset}-refused.json"), refused);
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
        return imports.FirstOrDefault(i => i.Name == name)
            ?? imports.FirstOrDefault(i => string.Equals(i.Name, name, StringComparison.OrdinalIgnoreCase))
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
            message);
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
