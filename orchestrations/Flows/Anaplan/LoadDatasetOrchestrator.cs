using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Durable;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Anaplan;

/// <summary>Input with the connection's Anaplan settings the sub-orchestration needs (read once by the parent).</summary>
public sealed record LoadDatasetRequest(LoadDatasetInput Load, string WorkspaceId, string ModelId, TimeSpan PollInterval, TimeSpan TaskTimeout);

/// <summary>
/// Loads one staged dataset into Anaplan inside the model's lock: check the import's header, upload the staged parts
/// as chunks (each retried alone), run the import, poll it with durable timers to a final state, and record the rows
/// Anaplan refused. When the load has a read-back export, it runs right after the import, still inside the lock (so
/// nothing else changes the cells in between), and its file is staged for reconciliation. The lock is released when
/// this returns, so other flows on the model get their turn between datasets.
/// </summary>
public sealed class LoadDatasetOrchestrator : TaskOrchestrator<LoadDatasetRequest, LoadDatasetResult>
{
    public override async Task<LoadDatasetResult> RunAsync(TaskOrchestrationContext context, LoadDatasetRequest request)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        LoadDatasetInput input = request.Load;
        RunRef run = input.Run;

        await using (await context.LockModelAsync(request.WorkspaceId, request.ModelId, $"{input.ImportName} ({run.RunId})"))
        {
            PreparedImport prepared = await context.CallActivityAsync<PreparedImport>(
                nameof(PrepareAnaplanImportActivity),
                new PrepareImportInput(run, input.Dataset, input.ImportName, input.Staged.Parts.Count, input.ReadBack),
                AnaplanPolling.Retry);

            for (int i = 0; i < input.Staged.Parts.Count; i++)
            {
                await context.CallActivityAsync<long>(
                    nameof(UploadAnaplanChunkActivity),
                    new UploadChunkInput(run, prepared.FileId, i, input.Staged.Container, input.Staged.Parts[i].BlobName),
                    AnaplanPolling.Retry);
            }

            TaskStatus started = await context.CallActivityAsync<TaskStatus>(
                nameof(StartAnaplanTaskActivity),
                new StartTaskInput(run, AnaplanNames.Import, prepared.ImportId, null),
                AnaplanPolling.Retry);
            TaskStatus done = await AnaplanPolling.WaitAsync(context, run, AnaplanNames.Import, started, request.PollInterval, request.TaskTimeout);

            ImportFailures failures = new(0, []);
            if (done.State == "COMPLETE" && (done.Failed > 0 || done.FailureDumpAvailable))
            {
                failures = await context.CallActivityAsync<ImportFailures>(
                    nameof(RecordImportFailuresActivity),
                    new ImportFailuresInput(run, input.Dataset, prepared.ImportId, done.TaskId),
                    AnaplanPolling.Retry);
            }

            (string? readBackBlob, string? readBackError) = (null, null);
            if (input.ReadBack is { } readBack && done.State == "COMPLETE" && done.Successful)
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
    }

    /// <summary>Runs the read-back export and stages its file; a failure is reported, never thrown (the import is done).</summary>
    private static async Task<(string? Blob, string? Error)> ReadBackAsync(TaskOrchestrationContext context, RunRef run, ReadBackRequest readBack, LoadDatasetRequest request)
    {
        try
        {
            TaskStatus started = await context.CallActivityAsync<TaskStatus>(
                nameof(StartAnaplanTaskActivity),
                new StartTaskInput(run, AnaplanNames.Export, null, readBack.ExportName),
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

/// <summary>Input of <see cref="RunExportOrchestrator"/>.</summary>
public sealed record RunExportRequest(RunExportInput Export, string WorkspaceId, string ModelId, TimeSpan PollInterval, TimeSpan TaskTimeout)
{
    public static RunExportRequest For(ConnectionOptions connection, RunExportInput export)
        => new(export, connection.Anaplan.WorkspaceId, connection.Anaplan.ModelId, connection.Anaplan.PollInterval, connection.Anaplan.TaskTimeout);
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
        await using (await context.LockModelAsync(request.WorkspaceId, request.ModelId, $"{input.ExportName} ({input.Run.RunId})"))
        {
            TaskStatus started = await context.CallActivityAsync<TaskStatus>(
                nameof(StartAnaplanTaskActivity),
                new StartTaskInput(input.Run, AnaplanNames.Export, null, input.ExportName),
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
}
