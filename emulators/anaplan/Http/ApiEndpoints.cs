using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Connector.Emulators.Anaplan.Engine;
using Connector.Emulators.Anaplan.Model;

namespace Connector.Emulators.Anaplan.Http;

/// <summary>The Integration API v2 under <c>/2/0</c>.</summary>
internal static class ApiEndpoints
{
    private const string ModelRoute = "/workspaces/{workspaceId}/models/{modelId}";

    public static void Map(IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/2/0");
        api.MapGet("/workspaces", (HttpContext c, EmulatorState s)
            => Envelope.Page(c, "workspace", "workspaces", [.. s.Workspaces.Select(Workspace)], s.Options.MaxPageSize));
        api.MapGet("/workspaces/{workspaceId}", (HttpContext c, EmulatorState s, string workspaceId)
            => s.Workspaces.FirstOrDefault(w => w.Id == workspaceId) is { } w
                ? Envelope.Ok("workspace", "workspace", Workspace(w))
                : Envelope.Error(c, 404));
        api.MapGet("/models", (HttpContext c, EmulatorState s)
            => Envelope.Page(c, "model", "models", [.. s.Models.Select(m => Model(m, false))], s.Options.MaxPageSize));
        api.MapGet("/workspaces/{workspaceId}/models", (HttpContext c, EmulatorState s, string workspaceId)
            => s.Workspaces.FirstOrDefault(w => w.Id == workspaceId) is { } w
                ? Envelope.Page(c, "model", "models", [.. w.Models.Select(m => Model(m, false))], s.Options.MaxPageSize)
                : Envelope.Error(c, 404));
        api.MapGet("/models/{modelId}", (HttpContext c, EmulatorState s, string modelId) => GetModelAsync(c, s, null, modelId));
        api.MapGet(ModelRoute, (HttpContext c, EmulatorState s, string workspaceId, string modelId) => GetModelAsync(c, s, workspaceId, modelId));
        api.MapGet("/models/{modelId}/status", (HttpContext c, EmulatorState s, string modelId) => StatusAsync(c, s, null, modelId));
        api.MapGet(ModelRoute + "/status", (HttpContext c, EmulatorState s, string workspaceId, string modelId) => StatusAsync(c, s, workspaceId, modelId));
        api.MapPost(ModelRoute + "/open", OpenAsync);

        api.MapGet(ModelRoute + "/files", ListFilesAsync);
        api.MapPost(ModelRoute + "/files/{fileId}", SetChunkCountAsync);
        api.MapPut(ModelRoute + "/files/{fileId}", PutWholeFileAsync);
        api.MapDelete(ModelRoute + "/files/{fileId}", DeleteFileAsync);
        api.MapPost(ModelRoute + "/files/{fileId}/complete", CompleteFileAsync);
        api.MapPut(ModelRoute + "/files/{fileId}/chunks/{chunk}", PutChunkAsync);
        api.MapGet(ModelRoute + "/files/{fileId}/chunks", ListChunksAsync);
        api.MapGet(ModelRoute + "/files/{fileId}/chunks/{chunk}", GetChunkAsync);

        api.MapGet(ModelRoute + "/{actionType}", ListActionsAsync);
        api.MapGet(ModelRoute + "/{actionType}/{actionId}", ActionMetadataAsync);
        api.MapPost(ModelRoute + "/{actionType}/{actionId}/tasks", StartTaskAsync);
        api.MapGet(ModelRoute + "/{actionType}/{actionId}/tasks", ListTasksAsync);
        api.MapGet(ModelRoute + "/{actionType}/{actionId}/tasks/{taskId}", GetTaskAsync);
        api.MapDelete(ModelRoute + "/{actionType}/{actionId}/tasks/{taskId}", CancelTaskAsync);
        api.MapGet(ModelRoute + "/imports/{actionId}/tasks/{taskId}/dump", (HttpContext c, EmulatorState s, string workspaceId, string modelId, string actionId, string taskId)
            => DumpAsync(c, s, workspaceId, modelId, "imports", actionId, taskId, actionId, null));
        api.MapGet(ModelRoute + "/imports/{actionId}/tasks/{taskId}/dump/chunks", (HttpContext c, EmulatorState s, string workspaceId, string modelId, string actionId, string taskId)
            => DumpAsync(c, s, workspaceId, modelId, "imports", actionId, taskId, actionId, "list"));
        api.MapGet(ModelRoute + "/imports/{actionId}/tasks/{taskId}/dump/chunks/{chunk}", (HttpContext c, EmulatorState s, string workspaceId, string modelId, string actionId, string taskId, string chunk)
            => DumpAsync(c, s, workspaceId, modelId, "imports", actionId, taskId, actionId, chunk));
        api.MapGet(ModelRoute + "/processes/{actionId}/tasks/{taskId}/dumps/{objectId}", (HttpContext c, EmulatorState s, string workspaceId, string modelId, string actionId, string taskId, string objectId)
            => DumpAsync(c, s, workspaceId, modelId, "processes", actionId, taskId, objectId, null));
        api.MapGet(ModelRoute + "/processes/{actionId}/tasks/{taskId}/dumps/{objectId}/chunks", (HttpContext c, EmulatorState s, string workspaceId, string modelId, string actionId, string taskId, string objectId)
            => DumpAsync(c, s, workspaceId, modelId, "processes", actionId, taskId, objectId, "list"));
        api.MapGet(ModelRoute + "/processes/{actionId}/tasks/{taskId}/dumps/{objectId}/chunks/{chunk}", (HttpContext c, EmulatorState s, string workspaceId, string modelId, string actionId, string taskId, string objectId, string chunk)
            => DumpAsync(c, s, workspaceId, modelId, "processes", actionId, taskId, objectId, chunk));
    }

    // ------------------------------------------------------------------ workspaces and models

    private static JsonObject Workspace(EmulatedWorkspace w) => new()
    {
        ["id"] = w.Id,
        ["name"] = w.Name,
        ["active"] = true,
        ["sizeAllowance"] = 1_073_741_824L,
        ["currentSize"] = 52_428_800L,
    };

    private static JsonObject Model(EmulatedModel m, bool details)
    {
        var node = new JsonObject
        {
            ["id"] = m.Id,
            ["activeState"] = m.ActiveState,
            ["name"] = m.Name,
            ["currentWorkspaceId"] = m.WorkspaceId,
            ["currentWorkspaceName"] = m.WorkspaceName,
            ["modelUrl"] = $"https://us1a.app.anaplan.com/core/index.html?selectedWorkspaceId={m.WorkspaceId}&selectedModelId={m.Id}",
            ["categoryValues"] = new JsonArray(),
        };
        if (details)
        {
            node["modelTransactionRunning"] = m.IsBusy;
            node["memoryUsage"] = 10_485_760L;
        }

        return node;
    }

    private static async Task<IResult> GetModelAsync(HttpContext context, EmulatorState state, string? workspaceId, string modelId)
    {
        // The model itself answers in any state and while busy: it is where clients look for both.
        (EmulatedModel? model, IResult? error) = await ModelScope.ResolveAsync(context, state, workspaceId, modelId, ModelScope.Busy.Answer, checkState: false);
        if (model is null)
        {
            return error!;
        }

        bool details = string.Equals(context.Request.Query["modelDetails"], "true", StringComparison.OrdinalIgnoreCase);
        return Envelope.Ok("model", "model", Model(model, details));
    }

    private static async Task<IResult> StatusAsync(HttpContext context, EmulatorState state, string? workspaceId, string modelId)
    {
        (EmulatedModel? model, IResult? error) = await ModelScope.ResolveAsync(context, state, workspaceId, modelId, ModelScope.Busy.Answer, checkState: false);
        if (model is null)
        {
            return error!;
        }

        (string step, double progress, string? tooltip) = model.Status();
        var body = new JsonObject
        {
            ["requestStatus"] = new JsonObject
            {
                ["currentStep"] = step,
                ["progress"] = progress,
                ["tooltip"] = tooltip,
                ["creationTime"] = Envelope.EpochMs(state.Time.GetUtcNow()),
            },
        };
        return Envelope.Json(body, 200);
    }

    private static async Task<IResult> OpenAsync(HttpContext context, EmulatorState state, string workspaceId, string modelId)
    {
        (EmulatedModel? model, IResult? error) = await ModelScope.ResolveAsync(context, state, workspaceId, modelId, ModelScope.Busy.Answer);
        return model is null ? error! : Envelope.Ok("model", null, null);
    }

    // ------------------------------------------------------------------ files

    private static JsonObject File(EmulatedFile f) => new()
    {
        ["id"] = f.Id,
        ["name"] = f.Name,
        ["chunkCount"] = f.ChunkCount,
        ["delimiter"] = "\"",
        ["encoding"] = "UTF-8",
        ["firstDataRow"] = 2,
        ["format"] = "txt",
        ["headerRow"] = 1,
        ["separator"] = ",",
    };

    private static async Task<IResult> ListFilesAsync(HttpContext context, EmulatorState state, string workspaceId, string modelId)
    {
        (EmulatedModel? model, IResult? error) = await ModelScope.ResolveAsync(context, state, workspaceId, modelId, ModelScope.Busy.Wait);
        return model is null ? error! : Envelope.Page(context, "file", "files", [.. model.FilesLocked().Select(File)], state.Options.MaxPageSize);
    }

    private static async Task<IResult> SetChunkCountAsync(HttpContext context, EmulatorState state, string workspaceId, string modelId, string fileId)
    {
        (EmulatedModel? model, IResult? error) = await ModelScope.ResolveAsync(context, state, workspaceId, modelId, ModelScope.Busy.Wait);
        if (model is null)
        {
            return error!;
        }

        int chunkCount;
        try
        {
            JsonNode? body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            chunkCount = body?["chunkCount"]?.GetValue<int>() ?? throw new FormatException();
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return Envelope.Error(context, 400, "Body must be {\"chunkCount\": n}");
        }

        if (chunkCount < -1 || chunkCount == 0 || chunkCount > state.Options.MaxChunkCount)
        {
            return Envelope.Error(context, 400, $"chunkCount must be -1 or 1..{state.Options.MaxChunkCount}");
        }

        if (!FileIdOk(fileId))
        {
            return Envelope.Error(context, 400, "Invalid file id");
        }

        return Envelope.Ok("file", "file", File(model.SetChunkCount(fileId, chunkCount)));
    }

    private static async Task<IResult> PutWholeFileAsync(HttpContext context, EmulatorState state, string workspaceId, string modelId, string fileId)
    {
        (EmulatedModel? model, IResult? error) = await ModelScope.ResolveAsync(context, state, workspaceId, modelId, ModelScope.Busy.Wait);
        if (model is null)
        {
            return error!;
        }

        if (IsGzip(context.Request.ContentType))
        {
            return Envelope.Error(context, 415, "A single-shot upload cannot be compressed; upload chunks instead");
        }

        byte[]? body = await ReadBodyAsync(context, state.Options.MaxChunkBytes);
        if (body is null)
        {
            return Envelope.Error(context, 400, "File exceeds the single upload limit");
        }

        if (!FileIdOk(fileId))
        {
            return Envelope.Error(context, 400, "Invalid file id");
        }

        EmulatedFile file = model.SetChunkCount(fileId, 1);
        model.PutChunk(file, 0, new StoredChunk(body, false, body.Length));
        state.Counters.Chunk(body.Length, body.Length);
        return Results.StatusCode(204);
    }

    private static async Task<IResult> DeleteFileAsync(HttpContext context, EmulatorState state, string workspaceId, string modelId, string fileId)
    {
        (EmulatedModel? model, EmulatedFile? file, IResult? error) = await ResolveFileAsync(context, state, workspaceId, modelId, fileId);
        if (file is null)
        {
            return error!;
        }

        model!.SetChunkCount(file.Id, file.ChunkCount);
        return Results.StatusCode(204);
    }

    private static async Task<IResult> CompleteFileAsync(HttpContext context, EmulatorState state, string workspaceId, string modelId, string fileId)
    {
        (EmulatedModel? model, EmulatedFile? file, IResult? error) = await ResolveFileAsync(context, state, workspaceId, modelId, fileId);
        if (file is null)
        {
            return error!;
        }

        model!.CompleteFile(file);
        return Envelope.Ok("file", "file", File(file));
    }

    private static async Task<IResult> PutChunkAsync(HttpContext context, EmulatorState state, string workspaceId, string modelId, string fileId, string chunk)
    {
        (EmulatedModel? model, EmulatedFile? file, IResult? error) = await ResolveFileAsync(context, state, workspaceId, modelId, fileId);
        if (file is null)
        {
            return error!;
        }

        if (!int.TryParse(chunk, NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index >= state.Options.MaxChunkCount)
        {
            return Envelope.Error(context, 400, $"Chunk index must be 0..{state.Options.MaxChunkCount - 1}");
        }

        if (file.ChunkCount > 0 && index >= file.ChunkCount)
        {
            return Envelope.Error(context, 400, $"Chunk index {index} is beyond the file's chunkCount {file.ChunkCount}");
        }

        string? contentType = context.Request.ContentType;
        bool gzip = IsGzip(contentType);
        if (!gzip && contentType is not null && !contentType.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase))
        {
            return Envelope.Error(context, 415);
        }

        long max = state.Options.MaxChunkBytes;
        byte[]? body = await ReadBodyAsync(context, gzip ? max + (max / 100) + 65536 : max);
        if (body is null)
        {
            return Envelope.Error(context, 400, "Chunk exceeds the 50 MB uncompressed limit");
        }

        long uncompressed = body.Length;
        if (gzip)
        {
            try
            {
                uncompressed = await InflatedLengthAsync(body, max, context.RequestAborted);
            }
            catch (InvalidDataException)
            {
                return Envelope.Error(context, 400, "Chunk is not valid gzip data");
            }

            if (uncompressed > max)
            {
                return Envelope.Error(context, 400, "Chunk exceeds the 50 MB uncompressed limit");
            }
        }

        model!.PutChunk(file, index, new StoredChunk(body, gzip, uncompressed));
        state.Counters.Chunk(body.Length, uncompressed);
        return Results.StatusCode(204);
    }

    private static async Task<IResult> ListChunksAsync(HttpContext context, EmulatorState state, string workspaceId, string modelId, string fileId)
    {
        (EmulatedModel? model, EmulatedFile? file, IResult? error) = await ResolveFileAsync(context, state, workspaceId, modelId, fileId);
        if (file is null)
        {
            return error!;
        }

        int count = model!.ChunksOf(file).Chunks.Count;
        return Envelope.Page(context, "chunk", "chunks", [.. Enumerable.Range(0, count).Select(ChunkRef)], state.Options.MaxPageSize);
    }

    private static async Task<IResult> GetChunkAsync(HttpContext context, EmulatorState state, string workspaceId, string modelId, string fileId, string chunk)
    {
        (EmulatedModel? model, IResult? error) = await ModelScope.ResolveAsync(context, state, workspaceId, modelId, ModelScope.Busy.Wait);
        if (model is null)
        {
            return error!;
        }

        if (model.FindFile(fileId) is not { } file || !int.TryParse(chunk, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
        {
            return Envelope.Error(context, 404);
        }

        IReadOnlyList<StoredChunk> chunks = model.ChunksOf(file).Chunks;
        if (index >= chunks.Count)
        {
            return Envelope.Error(context, 404);
        }

        using Stream content = chunks[index].Open();
        using var copy = new MemoryStream();
        await content.CopyToAsync(copy, context.RequestAborted);
        return Results.Bytes(copy.ToArray(), "application/octet-stream");
    }

    private static async Task<(EmulatedModel? Model, EmulatedFile? File, IResult? Error)> ResolveFileAsync(
        HttpContext context, EmulatorState state, string workspaceId, string modelId, string fileId)
    {
        (EmulatedModel? model, IResult? error) = await ModelScope.ResolveAsync(context, state, workspaceId, modelId, ModelScope.Busy.Wait);
        if (model is null)
        {
            return (null, null, error);
        }

        return model.FindFile(fileId) is { } file ? (model, file, null) : (model, null, Envelope.Error(context, 404));
    }

    private static JsonObject ChunkRef(int index) => new()
    {
        ["id"] = index.ToString(CultureInfo.InvariantCulture),
        ["name"] = "Chunk " + index.ToString(CultureInfo.InvariantCulture),
    };

    // ------------------------------------------------------------------ imports, exports, processes

    private static async Task<IResult> ListActionsAsync(HttpContext context, EmulatorState state, string workspaceId, string modelId, string actionType)
    {
        if (!KnownActionType(actionType))
        {
            return Envelope.Error(context, 404);
        }

        (EmulatedModel? model, IResult? error) = await ModelScope.ResolveAsync(context, state, workspaceId, modelId, ModelScope.Busy.Wait);
        if (model is null)
        {
            return error!;
        }

        ModelDefinition d = model.Definition;
        JsonNode[] items = actionType switch
        {
            "imports" => [.. d.Imports.Select(i => new JsonObject
            {
                ["id"] = i.Id,
                ["name"] = i.Name,
                ["importDataSourceId"] = i.ImportDataSourceId,
                ["importType"] = i.ImportType ?? (i.List is not null ? "HIERARCHY_DATA" : "MODULE_DATA"),
            })],
            "exports" => [.. d.Exports.Select(e => new JsonObject
            {
                ["id"] = e.Id,
                ["name"] = e.Name,
                ["exportType"] = e.ExportType,
                ["exportFormat"] = e.ExportFormat,
                ["encoding"] = e.Encoding,
                ["layout"] = e.List is not null ? "GRID_ROWS" : "TABULAR_MULTI_COLUMN",
            })],
            _ => [.. d.Processes.Select(p => new JsonObject { ["id"] = p.Id, ["name"] = p.Name })],
        };
        return Envelope.Page(context, actionType.TrimEnd('s').Replace("processe", "process", StringComparison.Ordinal), actionType, items, state.Options.MaxPageSize);
    }

    private static async Task<IResult> ActionMetadataAsync(HttpContext context, EmulatorState state, string workspaceId, string modelId, string actionType, string actionId)
    {
        if (!KnownActionType(actionType))
        {
            return Envelope.Error(context, 404);
        }

        (EmulatedModel? model, IResult? error) = await ModelScope.ResolveAsync(context, state, workspaceId, modelId, ModelScope.Busy.Wait);
        if (model is null)
        {
            return error!;
        }

        ModelDefinition d = model.Definition;
        switch (actionType)
        {
            case "imports" when d.Imports.FirstOrDefault(i => i.Id == actionId) is { } import:
                var headers = new JsonArray([.. import.Columns.Select(c => (JsonNode)c.Header)]);
                return Envelope.Ok("importMetadata", "importMetadata", new JsonObject
                {
                    ["name"] = import.ImportDataSourceName ?? import.Name + ".csv",
                    ["type"] = "FILE",
                    ["source"] = new JsonObject
                    {
                        ["textEncoding"] = "UTF-8",
                        ["columnSeparator"] = ",",
                        ["textDelimiter"] = "\"",
                        ["headerRow"] = 1,
                        ["firstDataRow"] = 2,
                        ["decimalSeparator"] = ".",
                        ["headerNames"] = headers,
                        ["columnCount"] = headers.Count,
                    },
                });
            case "exports" when d.Exports.FirstOrDefault(e => e.Id == actionId) is { } export:
                IReadOnlyList<string> exportHeader = ActionRunner.ExportHeader(model, export);
                int pivotColumns = exportHeader.Count - export.Columns.Count;
                return Envelope.Ok("exportMetadata", "exportMetadata", new JsonObject
                {
                    ["columnCount"] = exportHeader.Count,
                    ["dataTypes"] = new JsonArray([.. export.Columns.Select(c => (JsonNode)(c.LineItem is not null ? "NUMBER" : c.Value is not null ? "TEXT" : "ENTITY")), .. Enumerable.Range(0, pivotColumns).Select(_ => (JsonNode)"NUMBER")]),
                    ["delimiter"] = "\"",
                    ["encoding"] = export.Encoding,
                    ["exportFormat"] = export.ExportFormat,
                    ["headerNames"] = new JsonArray([.. exportHeader.Select(h => (JsonNode)h)]),
                    ["listNames"] = new JsonArray([.. export.Columns.Select(c => (JsonNode)(c.Dimension ?? string.Empty)), .. Enumerable.Range(0, pivotColumns).Select(_ => (JsonNode)string.Empty)]),
                    ["rowCount"] = ActionRunner.CountExportRows(model, export),
                    ["separator"] = ",",
                });
            case "processes" when d.Processes.FirstOrDefault(p => p.Id == actionId) is { } process:
                return Envelope.Ok("processMetadata", "processMetadata", new JsonObject
                {
                    ["name"] = process.Name,
                    ["actions"] = new JsonArray([.. process.Actions.Select(a => (JsonNode)new JsonObject { ["id"] = a })]),
                });
            default:
                return Envelope.Error(context, 404);
        }
    }

    private static async Task<IResult> StartTaskAsync(HttpContext context, EmulatorState state, string workspaceId, string modelId, string actionType, string actionId)
    {
        if (!KnownActionType(actionType))
        {
            return Envelope.Error(context, 404);
        }

        (EmulatedModel? model, IResult? error) = await ModelScope.ResolveAsync(context, state, workspaceId, modelId, ModelScope.Busy.Answer);
        if (model is null)
        {
            return error!;
        }

        string? name = ActionName(model, actionType, actionId);
        if (name is null)
        {
            return Envelope.Error(context, 404);
        }

        if (context.Request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return Envelope.Error(context, 415);
        }

        try
        {
            JsonNode? body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            if (body?["localeName"]?.GetValue<string>() is not { Length: > 0 })
            {
                return Envelope.Error(context, 400, "localeName is required");
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return Envelope.Error(context, 400, "Body must be {\"localeName\":\"en_US\"}");
        }

        EmulatedTask task = model.StartTask(actionType, actionId, name);
        return Envelope.Ok("task", "task", new JsonObject
        {
            ["taskId"] = task.TaskId,
            ["taskState"] = TaskStates.NotStarted,
            ["creationTime"] = Envelope.EpochMs(task.CreatedAt),
        });
    }

    private static async Task<IResult> ListTasksAsync(HttpContext context, EmulatorState state, string workspaceId, string modelId, string actionType, string actionId)
    {
        (EmulatedModel? model, IResult? error) = await ModelScope.ResolveAsync(context, state, workspaceId, modelId, ModelScope.Busy.Answer);
        if (model is null)
        {
            return error!;
        }

        if (!KnownActionType(actionType) || ActionName(model, actionType, actionId) is null)
        {
            return Envelope.Error(context, 404);
        }

        JsonNode[] tasks = [.. model.TasksOf(actionType, actionId).Select(t => model.ReadTask(t, x => (JsonNode)new JsonObject
        {
            ["taskId"] = x.TaskId,
            ["taskState"] = x.ReportedState ?? x.State,
            ["creationTime"] = Envelope.EpochMs(x.CreatedAt),
        }))];
        return Envelope.Page(context, "task", "tasks", tasks, state.Options.MaxPageSize);
    }

    private static async Task<IResult> GetTaskAsync(HttpContext context, EmulatorState state, string workspaceId, string modelId, string actionType, string actionId, string taskId)
    {
        (EmulatedModel? model, EmulatedTask? task, IResult? error) = await FindTaskAsync(context, state, workspaceId, modelId, actionType, actionId, taskId);
        return task is null ? error! : Envelope.Ok("taskInformation", "task", TaskNode(model!, task));
    }

    private static async Task<IResult> CancelTaskAsync(HttpContext context, EmulatorState state, string workspaceId, string modelId, string actionType, string actionId, string taskId)
    {
        (EmulatedModel? model, EmulatedTask? task, IResult? error) = await FindTaskAsync(context, state, workspaceId, modelId, actionType, actionId, taskId);
        if (task is null)
        {
            return error!;
        }

        model!.Cancel(task);
        return Envelope.Ok("taskInformation", "task", TaskNode(model, task));
    }

    private static JsonObject TaskNode(EmulatedModel model, EmulatedTask task) => model.ReadTask(task, t =>
    {
        var node = new JsonObject
        {
            ["type"] = "taskInformation",
            ["taskId"] = t.TaskId,
            ["currentStep"] = t.CurrentStep,
            ["progress"] = t.Progress,
            ["taskState"] = t.ReportedState ?? t.State,
            ["creationTime"] = Envelope.EpochMs(t.CreatedAt),
        };
        if (t.Result is not null)
        {
            node["result"] = t.Result.DeepClone();
        }

        return node;
    });

    private static async Task<IResult> DumpAsync(
        HttpContext context, EmulatorState state, string workspaceId, string modelId, string actionType, string actionId, string taskId, string objectId, string? chunk)
    {
        (EmulatedModel? model, EmulatedTask? task, IResult? error) = await FindTaskAsync(context, state, workspaceId, modelId, actionType, actionId, taskId);
        if (task is null)
        {
            return error!;
        }

        byte[]? dump = model!.ReadTask(task, t => t.Dumps.GetValueOrDefault(objectId));
        int size = Math.Max(1, state.Options.DownloadChunkSize);
        int chunks = dump is null ? 0 : (dump.Length + size - 1) / size;
        if (chunk is null)
        {
            return dump is null ? Results.StatusCode(204) : Results.Bytes(dump, "text/csv");
        }

        if (chunk == "list")
        {
            return Envelope.Page(context, "chunk", "chunks", [.. Enumerable.Range(0, chunks).Select(ChunkRef)], state.Options.MaxPageSize);
        }

        if (dump is null || !int.TryParse(chunk, NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index >= chunks)
        {
            return Envelope.Error(context, 404);
        }

        int offset = index * size;
        return Results.Bytes(dump.AsMemory(offset, Math.Min(size, dump.Length - offset)).ToArray(), "text/csv");
    }

    private static async Task<(EmulatedModel? Model, EmulatedTask? Task, IResult? Error)> FindTaskAsync(
        HttpContext context, EmulatorState state, string workspaceId, string modelId, string actionType, string actionId, string taskId)
    {
        (EmulatedModel? model, IResult? error) = await ModelScope.ResolveAsync(context, state, workspaceId, modelId, ModelScope.Busy.Answer);
        if (model is null)
        {
            return (null, null, error);
        }

        EmulatedTask? task = KnownActionType(actionType) ? model.FindTask(actionType, actionId, taskId) : null;
        return task is null ? (model, null, Envelope.Error(context, 404)) : (model, task, null);
    }

    private static string? ActionName(EmulatedModel model, string actionType, string actionId) => actionType switch
    {
        "imports" => model.Definition.Imports.FirstOrDefault(i => i.Id == actionId)?.Name,
        "exports" => model.Definition.Exports.FirstOrDefault(e => e.Id == actionId)?.Name,
        "processes" => model.Definition.Processes.FirstOrDefault(p => p.Id == actionId)?.Name,
        _ => null,
    };

    private static bool KnownActionType(string actionType) => actionType is "imports" or "exports" or "processes";

    private static bool FileIdOk(string fileId) => fileId.Length is > 0 and <= 64 && fileId.All(char.IsAsciiLetterOrDigit);

    private static bool IsGzip(string? contentType)
        => contentType is not null && (contentType.StartsWith("application/x-gzip", StringComparison.OrdinalIgnoreCase)
            || contentType.StartsWith("application/gzip", StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads the body, or null when it is longer than <paramref name="limit"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext context, long limit)
    {
        if (context.Request.ContentLength > limit)
        {
            return null;
        }

        // With a declared length the body is read straight into an array of that size (a chunk is megabytes: a growing
        // stream and its copy cost more than the read); without one, through a growing stream.
        if (context.Request.ContentLength is long declared and > 0)
        {
            byte[] body = new byte[declared];
            int filled = 0;
            int got;
            while (filled < body.Length && (got = await context.Request.Body.ReadAsync(body.AsMemory(filled), context.RequestAborted)) > 0)
            {
                filled += got;
            }

            return filled == body.Length ? body : body[..filled];
        }

        using var buffer = new MemoryStream();
        byte[] block = new byte[81920];
        int read;
        while ((read = await context.Request.Body.ReadAsync(block, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(block, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>Inflates gzip data to count its bytes, stopping once past <paramref name="limit"/>.</summary>
    private static async Task<long> InflatedLengthAsync(byte[] gzip, long limit, CancellationToken cancellationToken)
    {
        await using var inflate = new GZipStream(new MemoryStream(gzip, writable: false), CompressionMode.Decompress);
        byte[] block = new byte[81920];
        long total = 0;
        int read;
        while ((read = await inflate.ReadAsync(block, cancellationToken)) > 0)
        {
            total += read;
            if (total > limit)
            {
                break;
            }
        }

        return total;
    }
}
