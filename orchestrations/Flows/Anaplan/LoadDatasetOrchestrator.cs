using Connector.Orchestrations.Anaplan;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Durable;
using Connector.Orchestrations.ModelFit;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Anaplan;

/// <summary>
/// Input with the connection's Anaplan settings the sub-orchestration needs (read once by the parent). <c>Started</c> is
/// the import task an earlier attempt of the run started and never saw end: it is polled, not started again.
/// <c>Imported</c> is the result of an import an earlier attempt completed without its read-back: only the read-back is
/// taken.
/// </summary>
public sealed record LoadDatasetRequest(
    LoadDatasetInput Load, string WorkspaceId, string ModelId, TimeSpan PollInterval, TimeSpan TaskTimeout, TaskStatus? Started = null, LoadDatasetResult? Imported = null);

/// <summary>
/// Loads one staged dataset into Anaplan inside the model's lock: check the import's header, upload the staged parts
/// as chunks (a few to an activity; each retried alone by the client), run the import, poll it with durable timers to a final state, and record the rows
/// Anaplan refused. When the load has a read-back export, it runs right after the import, still inside the lock (so
/// nothing else changes the cells in between), and its file is staged for reconciliation. The lock is released when
/// the section ends, so other flows on the model get their turn between datasets; then the load's result is recorded
/// for the run (<see cref="StepKeys.Load"/>), so a resumed run does not load the dataset a second time.
/// </summary>
public sealed class LoadDatasetOrchestrator : TaskOrchestrator<LoadDatasetRequest, LoadDatasetResult>
{
    /// <summary>
    /// Chunks uploaded by one activity. Each activity is a durable round trip taken while the section holds the model
    /// lock; a worker lost in the middle of a batch sends at most this many chunks again (each is a PUT of the same bytes).
    /// </summary>
    internal const int ChunksPerUpload = 4;

    public override async Task<LoadDatasetResult> RunAsync(TaskOrchestrationContext context, LoadDatasetRequest request)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        LoadDatasetInput input = request.Load;
        RunRef run = input.Run;

        LoadDatasetResult result;
        await using (await context.LockModelAsync(request.WorkspaceId, request.ModelId, $"{input.ImportName} ({run.RunId})"))
        {
            result = request.Imported is { } imported
                ? await ReadBackOnlyAsync(context, run, imported, request)
                : await ImportAsync(context, run, input, request);
        }

        await RecordStepActivity.RecordAsync(context, run, StepKeys.Load(input.StepName), result);
        return result;
    }

    /// <summary>
    /// Loads <paramref name="input"/> in a sub-run unless an earlier attempt of the run already did: a recorded import that
    /// went through is taken as it is (only its read-back is taken again when it is missing); a task an earlier attempt
    /// started and never saw end is polled rather than started again. Returns the load's result and whether anything was
    /// sent to or read from Anaplan in this attempt (what follows from it must then be done again too). With
    /// <paramref name="readBackAgain"/> (earlier files of the dataset were loaded again in this attempt), the read-back of an
    /// import taken as recorded is taken again, so it shows them.
    /// </summary>
    internal static async Task<(LoadDatasetResult Result, bool Redone)> LoadOrResumeAsync(
        TaskOrchestrationContext context, ConnectionOptions connection, LoadDatasetInput input, RecordedSteps steps, TaskOptions options, bool readBackAgain = false)
    {
        string loadKey = StepKeys.Load(input.StepName), taskKey = StepKeys.Task(input.StepName);
        LoadDatasetRequest request = For(connection, input);
        if (steps.Get<LoadDatasetResult>(loadKey) is { } recorded && IsImported(recorded) && steps.AttemptOf(taskKey) <= steps.AttemptOf(loadKey))
        {
            if (input.ReadBack is null || (recorded.ReadBackBlob is not null && !readBackAgain))
            {
                return (recorded, false);
            }

            return (await context.CallSubOrchestratorAsync<LoadDatasetResult>(nameof(LoadDatasetOrchestrator), request with { Imported = recorded }, options), true);
        }

        TaskStatus? started = steps.AttemptOf(taskKey) > steps.AttemptOf(loadKey) ? steps.Get<TaskStatus>(taskKey) : null;
        return (await context.CallSubOrchestratorAsync<LoadDatasetResult>(nameof(LoadDatasetOrchestrator), request with { Started = started }, options), true);
    }

    /// <summary>Whether a load got every row into Anaplan (nothing about it needs doing again).</summary>
    internal static bool IsImported(LoadDatasetResult result) => result is { State: "COMPLETE", Successful: true, Failed: 0 };

    private static async Task<LoadDatasetResult> ImportAsync(TaskOrchestrationContext context, RunRef run, LoadDatasetInput input, LoadDatasetRequest request)
    {
        TaskStatus? started = request.Started is { } resumed ? await ResumeAsync(context, run, resumed) : null;
        ReadBackRequest? readBack = input.ReadBack;
        if (started is null)
        {
            // The import, its header, its file and the read-back export, as the run's model check found them (a load
            // started without one, e.g. a recovery run's, checks them here, once).
            ImportTarget target = input.Target ?? await CheckAsync(context, run, input);
            readBack = readBack?.Checked(target);
            // At least one activity, even for a file without parts: the first announces the chunk count.
            IReadOnlyList<string> parts = [.. input.Staged.Parts.Select(p => p.BlobName)];
            for (int from = 0; from == 0 || from < parts.Count; from += ChunksPerUpload)
            {
                await context.CallActivityAsync<long>(
                    nameof(UploadAnaplanChunksActivity),
                    new UploadChunksInput(run, input.Dataset, target, parts.Count, input.Staged.Container, [.. parts.Skip(from).Take(ChunksPerUpload)], from),
                    AnaplanPolling.Retry);
            }

            started = await context.CallActivityAsync<TaskStatus>(
                nameof(StartAnaplanTaskActivity),
                new StartTaskInput(run, AnaplanNames.Import, target.ImportId, target.ImportName, input.StepName, ImportFields.ImportSetting(input.Dataset)) { Rows = input.Staged.Rows },
                AnaplanPolling.Retry);
        }

        TaskStatus done = await AnaplanPolling.WaitAsync(context, run, AnaplanNames.Import, started, request.PollInterval, request.TaskTimeout, input.Staged.Rows);

        ImportFailures failures = new(0, []);
        if (done.State == "COMPLETE" && (done.Failed > 0 || done.FailureDumpAvailable))
        {
            failures = await context.CallActivityAsync<ImportFailures>(
                nameof(RecordImportFailuresActivity),
                new ImportFailuresInput(run, input.Dataset, done.ActionId, done.TaskId, input.Layout) { Step = input.StepName, FailedBefore = input.FailedBefore },
                AnaplanPolling.Retry);
        }

        (string? readBackBlob, string? readBackError) = (null, null);
        if (readBack is not null && done.State == "COMPLETE" && done.Successful)
        {
            (readBackBlob, readBackError) = await ReadBackAsync(context, run, readBack, request);
        }

        return new LoadDatasetResult(
            input.Dataset,
            input.ImportName,
            done.TaskId,
            done.State,
            done.State == "COMPLETE" && done.Successful,
            done.Success,
            Math.Max(done.Failed, failures.Rows),
            done.Ignored,
            done.Total,
            failures.Totals,
            done.Message,
            failures.RefusedKeysBlob,
            failures.Rows >= done.Failed,
            readBackBlob,
            readBackError);
    }

    /// <summary>The import and file of a load that came without the run's model check: this dataset alone is checked.</summary>
    private static async Task<ImportTarget> CheckAsync(TaskOrchestrationContext context, RunRef run, LoadDatasetInput input)
    {
        ModelTargets checkedModel = await context.CallActivityAsync<ModelTargets>(
            nameof(CheckAnaplanModelActivity),
            new CheckModelInput(run, new ImportLayouts([input.Layout ?? DatasetLayout.Default(input.Dataset)]), [input.Dataset]),
            AnaplanPolling.Retry);
        return checkedModel.For(input.Dataset)
            ?? throw new AnaplanActionException($"No import is configured for dataset '{input.Dataset}' ({ImportFields.ImportSetting(input.Dataset)}); there is nothing to load it with.");
    }

    /// <summary>
    /// The state of a task an earlier attempt started, read once; null when Anaplan no longer knows it (its task history
    /// is kept for a limited time), in which case the dataset is loaded afresh.
    /// </summary>
    private static async Task<TaskStatus?> ResumeAsync(TaskOrchestrationContext context, RunRef run, TaskStatus started)
    {
        try
        {
            return await context.CallActivityAsync<TaskStatus>(
                nameof(GetAnaplanTaskStatusActivity), new TaskRef(run, AnaplanNames.Import, started.ActionId, started.TaskId), AnaplanPolling.Retry);
        }
        catch (TaskFailedException ex) when (ex.FailureDetails.IsCausedBy<AnaplanNotFoundException>())
        {
            return null;
        }
    }

    /// <summary>Takes the read-back of an import an earlier attempt completed (inside the lock, like after an import).</summary>
    private static async Task<LoadDatasetResult> ReadBackOnlyAsync(TaskOrchestrationContext context, RunRef run, LoadDatasetResult imported, LoadDatasetRequest request)
    {
        if (request.Load.ReadBack is not { } readBack)
        {
            return imported;
        }

        (string? blob, string? error) = await ReadBackAsync(context, run, readBack, request);
        return imported with { ReadBackBlob = blob, ReadBackError = error };
    }

    /// <summary>Runs the read-back export and stages its file; a failure is reported, never thrown (the import is done).</summary>
    private static async Task<(string? Blob, string? Error)> ReadBackAsync(TaskOrchestrationContext context, RunRef run, ReadBackRequest readBack, LoadDatasetRequest request)
    {
        try
        {
            TaskStatus started = await context.CallActivityAsync<TaskStatus>(
                nameof(StartAnaplanTaskActivity),
                new StartTaskInput(run, AnaplanNames.Export, readBack.ExportId, readBack.ExportName, Setting: readBack.Setting),
                AnaplanPolling.Retry);
            TaskStatus done = await AnaplanPolling.WaitAsync(context, run, AnaplanNames.Export, started, request.PollInterval, request.TaskTimeout);
            if (done.State != "COMPLETE" || !done.Successful)
            {
                return (null, $"the read-back export '{readBack.ExportName}' ended {done.State}{(done.Successful ? string.Empty : " unsuccessful")}{(done.Message is null ? string.Empty : ": " + done.Message)}");
            }

            await context.CallActivityAsync<long>(
                nameof(DownloadAnaplanExportActivity),
                new DownloadExportInput(run, done.ActionId, readBack.BlobName),
                AnaplanPolling.Retry);
            return (readBack.BlobName, null);
        }
        catch (Exception ex) when (ex is TaskFailedException or TimeoutException)
        {
            string message = ex is TaskFailedException failed ? failed.FailureDetails.ErrorMessage : ex.Message;
            return (null, $"the read-back export '{readBack.ExportName}' failed: {message}");
        }
    }

    /// <summary>Builds the request from a connection's settings.</summary>
    public static LoadDatasetRequest For(ConnectionOptions connection, LoadDatasetInput input)
        => new(input, connection.Anaplan.WorkspaceId, connection.Anaplan.ModelId, connection.Anaplan.PollInterval, connection.Anaplan.TaskTimeout);
}

/// <summary>
/// Input of <see cref="RunExportOrchestrator"/>. With <c>Step</c>, the started task and the result are recorded for the
/// run (<see cref="StepKeys.Task"/> <c>export:{step}</c>, <see cref="StepKeys.Export"/>); <c>Started</c> is the task an
/// earlier attempt started and never saw end, polled rather than started again.
/// </summary>
public sealed record RunExportRequest(
    RunExportInput Export, string WorkspaceId, string ModelId, TimeSpan PollInterval, TimeSpan TaskTimeout, string? Step = null, TaskStatus? Started = null)
{
    public static RunExportRequest For(ConnectionOptions connection, RunExportInput export, string? step = null)
        => new(export, connection.Anaplan.WorkspaceId, connection.Anaplan.ModelId, connection.Anaplan.PollInterval, connection.Anaplan.TaskTimeout, step);

    /// <summary>The task key of an export step.</summary>
    internal static string TaskStep(string step) => $"export:{step}";
}

/// <summary>
/// Runs an export action inside the model's lock, polls it to a final state and stages its file in Blob storage before
/// releasing the lock (another run of the same export would overwrite the file).
/// </summary>
public sealed class RunExportOrchestrator : TaskOrchestrator<RunExportRequest, ExportResult>
{
    public override async Task<ExportResult> RunAsync(TaskOrchestrationContext context, RunExportRequest request)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        RunExportInput input = request.Export;
        ExportResult result;
        await using (await context.LockModelAsync(request.WorkspaceId, request.ModelId, $"{input.ExportName} ({input.Run.RunId})"))
        {
            result = await ExportAsync(context, request);
        }

        if (request.Step is { } step)
        {
            await RecordStepActivity.RecordAsync(context, input.Run, StepKeys.Export(step), result);
        }

        return result;
    }

    /// <summary>
    /// Runs an export in a sub-run unless an earlier attempt of the run staged its file (then that file is used); a task an
    /// earlier attempt started and never saw end is polled rather than started again.
    /// </summary>
    internal static async Task<(ExportResult Result, bool Redone)> ExportOrResumeAsync(
        TaskOrchestrationContext context, ConnectionOptions connection, RunExportInput export, string step, RecordedSteps steps, TaskOptions options)
    {
        string exportKey = StepKeys.Export(step), taskKey = StepKeys.Task(RunExportRequest.TaskStep(step));
        if (steps.Get<ExportResult>(exportKey) is { BlobName: not null } recorded && steps.AttemptOf(taskKey) <= steps.AttemptOf(exportKey))
        {
            return (recorded, false);
        }

        TaskStatus? started = steps.AttemptOf(taskKey) > steps.AttemptOf(exportKey) ? steps.Get<TaskStatus>(taskKey) : null;
        return (await context.CallSubOrchestratorAsync<ExportResult>(
            nameof(RunExportOrchestrator), RunExportRequest.For(connection, export, step) with { Started = started }, options), true);
    }

    private static async Task<ExportResult> ExportAsync(TaskOrchestrationContext context, RunExportRequest request)
    {
        RunExportInput input = request.Export;
        TaskStatus? started = null;
        if (request.Started is { } resumed)
        {
            try
            {
                started = await context.CallActivityAsync<TaskStatus>(
                    nameof(GetAnaplanTaskStatusActivity), new TaskRef(input.Run, AnaplanNames.Export, resumed.ActionId, resumed.TaskId), AnaplanPolling.Retry);
            }
            catch (TaskFailedException ex) when (ex.FailureDetails.IsCausedBy<AnaplanNotFoundException>())
            {
                started = null; // Anaplan no longer knows the task: run the export afresh
            }
        }

        started ??= await context.CallActivityAsync<TaskStatus>(
            nameof(StartAnaplanTaskActivity),
            new StartTaskInput(input.Run, AnaplanNames.Export, null, input.ExportName, request.Step is { } step ? RunExportRequest.TaskStep(step) : null),
            AnaplanPolling.Retry);
        TaskStatus done = await AnaplanPolling.WaitAsync(context, input.Run, AnaplanNames.Export, started, request.PollInterval, request.TaskTimeout);
        if (done.State != "COMPLETE" || !done.Successful)
        {
            return new ExportResult(input.ExportName, done.TaskId, done.State, null, 0, []);
        }

        long bytes = await context.CallActivityAsync<long>(
            nameof(DownloadAnaplanExportActivity),
            new DownloadExportInput(input.Run, done.ActionId, input.BlobName),
            AnaplanPolling.Retry);
        return new ExportResult(input.ExportName, done.TaskId, done.State, input.BlobName, bytes, []);
    }
}
