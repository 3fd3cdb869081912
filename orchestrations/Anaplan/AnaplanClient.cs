using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.RateLimiting;
using Connector.Orchestrations.Credentials;
using Connector.Orchestrations.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Connector.Orchestrations.Anaplan;

/// <summary>
/// A client of Anaplan's Integration API v2 for one model. Thread-safe; cheap to create. Every call is async and
/// cancellable, and none waits for a task to finish: start a task, then poll <see cref="GetTaskStatusAsync"/> on the
/// schedule <see cref="AnaplanPollSchedule"/> recommends (with durable timers in an orchestration).
/// </summary>
/// <remarks>
/// Errors: <see cref="AnaplanNotFoundException"/> (404 or a file id that does not exist),
/// <see cref="AnaplanModelStateException"/> (422–425), <see cref="AnaplanAuthenticationException"/> (bad credentials),
/// <see cref="AnaplanHeaderMismatchException"/> (CSV header check), <see cref="AnaplanException"/> for the rest
/// (after retries for 410/429/502/503/504 and lost connections). <see cref="ArgumentException"/> for bad input.
/// </remarks>
public class AnaplanClient
{
    /// <summary>The name of the HttpClient the DI extension registers.</summary>
    public const string HttpClientName = "Anaplan";

    private static readonly MediaTypeHeaderValue JsonType = new("application/json");
    private static readonly MediaTypeHeaderValue GzipType = new("application/x-gzip");
    private static readonly MediaTypeHeaderValue OctetType = new("application/octet-stream");

    private readonly AnaplanClientOptions options;
    private readonly AnaplanTransport transport;
    private readonly AnaplanTokenProvider tokens;
    private readonly IAnaplanAuthenticator authenticator;
    private readonly AnaplanTenantGate limiter;
    private readonly ILogger logger;
    private readonly ICredentialStore credentials;
    private readonly ILoggerFactory loggerFactory;
    private readonly HttpClient http;
    private readonly AnaplanRateLimiters limiters;

    /// <summary>Creates a client over an HttpClient from <see cref="AnaplanClientFactory"/> (the only way to build one).</summary>
    /// <param name="options">Hosts, model, credential references and limits; validated here.</param>
    /// <param name="credentials">Where the credential references resolve.</param>
    /// <param name="httpClient">The HttpClient to send with (its Timeout should be infinite: each attempt has its own).</param>
    /// <param name="timeProvider">The clock for token expiry, retry delays and the rate limit.</param>
    /// <param name="loggerFactory">Logging.</param>
    /// <param name="tokenProvider">The token cache; pass the process's singleton to share tokens across clients.
    /// When null, the client gets its own (shared only by calls of this client and its <see cref="ForModel"/> copies).</param>
    /// <param name="rateLimiters">The client-side token buckets; pass the process's singleton to share the budget.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    internal AnaplanClient(
        AnaplanClientOptions options,
        ICredentialStore credentials,
        HttpClient httpClient,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        AnaplanTokenProvider? tokenProvider = null,
        AnaplanRateLimiters? rateLimiters = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(httpClient);
        options.Validate();
        TimeProvider time = timeProvider ?? TimeProvider.System;
        this.options = options;
        this.credentials = credentials;
        this.http = httpClient;
        this.loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        this.logger = this.loggerFactory.CreateLogger<AnaplanClient>();
        this.tokens = tokenProvider ?? new AnaplanTokenProvider(time, this.loggerFactory.CreateLogger<AnaplanTokenProvider>());
        this.limiters = rateLimiters ?? new AnaplanRateLimiters(time);
        this.transport = new AnaplanTransport(httpClient, options, time, this.logger);
        this.authenticator = new AnaplanAuthenticator(options, credentials, this.transport);
        this.limiter = this.limiters.Get(options.ApiBaseUri.GetLeftPart(UriPartial.Authority) + "|" + options.Credential.CacheKey, options.RequestsPerMinute);
    }

    /// <summary>For mocking.</summary>
    protected AnaplanClient()
    {
        this.options = null!;
        this.transport = null!;
        this.tokens = null!;
        this.authenticator = null!;
        this.limiter = null!;
        this.logger = NullLogger.Instance;
        this.credentials = null!;
        this.loggerFactory = NullLoggerFactory.Instance;
        this.http = null!;
        this.limiters = null!;
    }

    /// <summary>The options this client works with.</summary>
    public virtual AnaplanClientOptions Options => this.options;

    /// <summary>A client for another model that shares this one's token cache, rate limit and HttpClient.</summary>
    public virtual AnaplanClient ForModel(string workspaceId, string modelId)
        => new(this.options.WithModel(workspaceId, modelId), this.credentials, this.http, this.transport.Time, this.loggerFactory, this.tokens, this.limiters);

    // ------------------------------------------------------------------ workspaces and models

    /// <summary>All workspaces the user can see (every page).</summary>
    public virtual Task<IReadOnlyList<AnaplanWorkspace>> ListWorkspacesAsync(CancellationToken cancellationToken = default)
        => this.ListAllAsync("workspaces", "workspaces", e => new AnaplanWorkspace(
            Str(e, "id")!, Str(e, "name") ?? string.Empty, Bool(e, "active") ?? true, Long(e, "sizeAllowance"), Long(e, "currentSize")), cancellationToken);

    /// <summary>All models of a workspace, or of the tenant when <paramref name="workspaceId"/> is null (every page).</summary>
    public virtual Task<IReadOnlyList<AnaplanModelInfo>> ListModelsAsync(string? workspaceId = null, CancellationToken cancellationToken = default)
        => this.ListAllAsync(workspaceId is null ? "models" : $"workspaces/{Escape(workspaceId)}/models", "models", ModelOf, cancellationToken);

    /// <summary>This model, with <c>modelTransactionRunning</c> (the cheap busy hint) when <paramref name="details"/>.</summary>
    public virtual async Task<AnaplanModelInfo> GetModelAsync(bool details = true, CancellationToken cancellationToken = default)
    {
        using JsonDocument json = await this.GetJsonAsync($"models/{Escape(this.options.ModelId)}{(details ? "?modelDetails=true" : string.Empty)}", cancellationToken);
        return ModelOf(Required(json.RootElement, "model"));
    }

    /// <summary>What the model is doing (<c>/models/{id}/status</c>).</summary>
    public virtual async Task<AnaplanModelStatus> GetModelStatusAsync(CancellationToken cancellationToken = default)
    {
        using JsonDocument json = await this.GetJsonAsync($"models/{Escape(this.options.ModelId)}/status", cancellationToken);
        JsonElement status = Required(json.RootElement, "requestStatus");
        return new AnaplanModelStatus(Str(status, "currentStep"), Double(status, "progress"), Str(status, "tooltip"));
    }

    // ------------------------------------------------------------------ files, imports, exports, processes

    /// <summary>All files of the model (every page).</summary>
    public virtual Task<IReadOnlyList<AnaplanFile>> ListFilesAsync(CancellationToken cancellationToken = default)
        => this.ListAllAsync(this.ModelPath("files"), "files", e => new AnaplanFile(
            Str(e, "id")!, Str(e, "name") ?? string.Empty, (int)(Long(e, "chunkCount") ?? 0), Str(e, "delimiter"), Str(e, "encoding"),
            (int?)Long(e, "firstDataRow"), Str(e, "format"), (int?)Long(e, "headerRow"), Str(e, "separator")), cancellationToken);

    /// <summary>All imports of the model (every page).</summary>
    public virtual Task<IReadOnlyList<AnaplanImport>> ListImportsAsync(CancellationToken cancellationToken = default)
        => this.ListAllAsync(this.ModelPath("imports"), "imports", e => new AnaplanImport(
            Str(e, "id")!, Str(e, "name") ?? string.Empty, Str(e, "importDataSourceId"), Str(e, "importType")), cancellationToken);

    /// <summary>All exports of the model (every page).</summary>
    public virtual Task<IReadOnlyList<AnaplanExport>> ListExportsAsync(CancellationToken cancellationToken = default)
        => this.ListAllAsync(this.ModelPath("exports"), "exports", e => new AnaplanExport(
            Str(e, "id")!, Str(e, "name") ?? string.Empty, Str(e, "exportType"), Str(e, "exportFormat"), Str(e, "encoding")), cancellationToken);

    /// <summary>All processes of the model (every page).</summary>
    public virtual Task<IReadOnlyList<AnaplanProcess>> ListProcessesAsync(CancellationToken cancellationToken = default)
        => this.ListAllAsync(this.ModelPath("processes"), "processes", e => new AnaplanProcess(Str(e, "id")!, Str(e, "name") ?? string.Empty), cancellationToken);

    /// <summary>All lists of the model (every page).</summary>
    public virtual Task<IReadOnlyList<AnaplanList>> ListListsAsync(CancellationToken cancellationToken = default)
        => this.ListAllAsync(this.ModelPath("lists"), "lists", e => new AnaplanList(Str(e, "id")!, Str(e, "name") ?? string.Empty), cancellationToken);

    /// <summary>A list's metadata: its item count and its properties.</summary>
    /// <exception cref="AnaplanNotFoundException">No list has that id.</exception>
    public virtual async Task<AnaplanListMetadata> GetListMetadataAsync(string listId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(listId);
        using JsonDocument json = await this.GetJsonAsync(this.ModelPath($"lists/{Escape(listId)}"), cancellationToken);
        JsonElement m = Required(json.RootElement, "metadata");
        var properties = new List<string>();
        if (m.TryGetProperty("properties", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
        {
            properties.AddRange(list.EnumerateArray().Select(p => p.ValueKind == JsonValueKind.Object ? Str(p, "name") ?? string.Empty : p.GetRawText()));
        }

        return new AnaplanListMetadata(Str(m, "id") ?? listId, Str(m, "name") ?? string.Empty, Long(m, "itemCount"), properties);
    }

    /// <summary>
    /// Every item of a list, in one answer (the call is not paged: Anaplan answers 400 for a list of more than 1,000,000
    /// items, and it needs a workspace administrator, else 403). With <paramref name="includeAll"/> the items carry their
    /// properties.
    /// </summary>
    /// <exception cref="AnaplanNotFoundException">No list has that id.</exception>
    /// <exception cref="AnaplanException">403 (not a workspace administrator) or 400 (too many items).</exception>
    public virtual async Task<IReadOnlyList<AnaplanListItem>> GetListItemsAsync(string listId, bool includeAll = true, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(listId);
        using JsonDocument json = await this.GetJsonAsync(this.ModelPath($"lists/{Escape(listId)}/items{(includeAll ? "?includeAll=true" : string.Empty)}"), cancellationToken);
        var items = new List<AnaplanListItem>();
        if (json.RootElement.TryGetProperty("listItems", out JsonElement array) && array.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement e in array.EnumerateArray())
            {
                var properties = new Dictionary<string, string>(StringComparer.Ordinal);
                if (e.TryGetProperty("properties", out JsonElement p) && p.ValueKind == JsonValueKind.Object)
                {
                    foreach (JsonProperty property in p.EnumerateObject())
                    {
                        properties[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() ?? string.Empty : property.Value.GetRawText();
                    }
                }

                items.Add(new AnaplanListItem(Str(e, "id") ?? string.Empty, Str(e, "name") ?? string.Empty, Str(e, "code"), Str(e, "parent"), properties));
            }
        }

        return items;
    }

    /// <summary>An import's source description, with the header names its file must have.</summary>
    public virtual async Task<AnaplanImportMetadata> GetImportMetadataAsync(string importId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(importId);
        using JsonDocument json = await this.GetJsonAsync(this.ModelPath($"imports/{Escape(importId)}"), cancellationToken);
        JsonElement metadata = Required(json.RootElement, "importMetadata");
        JsonElement source = metadata.TryGetProperty("source", out JsonElement s) ? s : metadata;
        IReadOnlyList<string> headers = Strings(source, "headerNames");
        return new AnaplanImportMetadata(
            Str(metadata, "name"), headers, (int)(Long(source, "columnCount") ?? headers.Count), Str(source, "columnSeparator"), Str(source, "textDelimiter"),
            (int?)Long(source, "headerRow"), (int?)Long(source, "firstDataRow"), Str(source, "textEncoding"));
    }

    /// <summary>An export's output description.</summary>
    public virtual async Task<AnaplanExportMetadata> GetExportMetadataAsync(string exportId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(exportId);
        using JsonDocument json = await this.GetJsonAsync(this.ModelPath($"exports/{Escape(exportId)}"), cancellationToken);
        JsonElement m = Required(json.RootElement, "exportMetadata");
        IReadOnlyList<string> headers = Strings(m, "headerNames");
        return new AnaplanExportMetadata(
            headers, (int)(Long(m, "columnCount") ?? headers.Count), Long(m, "rowCount"), Str(m, "separator"), Str(m, "delimiter"), Str(m, "encoding"), Str(m, "exportFormat"));
    }

    /// <summary>
    /// Whether a CSV header is an import's header names: the same names in the same order, trimmed, case-sensitive.
    /// </summary>
    public static bool HeadersMatch(IReadOnlyList<string> expected, IReadOnlyList<string> actual)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        return expected.Select(h => h.Trim()).SequenceEqual(actual.Select(h => h.Trim()), StringComparer.Ordinal);
    }

    /// <summary>Checks a CSV header against an import's header names (<see cref="HeadersMatch"/>).</summary>
    /// <exception cref="AnaplanHeaderMismatchException">They differ; the message lists missing and unexpected columns.</exception>
    public static void CheckHeader(string importId, IReadOnlyList<string> expected, IReadOnlyList<string> actual)
    {
        if (!HeadersMatch(expected, actual))
        {
            throw new AnaplanHeaderMismatchException(importId, expected, [.. actual.Select(h => h.Trim())]);
        }
    }

    // ------------------------------------------------------------------ upload

    /// <summary>
    /// Uploads the CSV for an import: checks the CSV header against the import's header names before anything is
    /// written, then streams it to the import's data source file in gzip chunks (see <see cref="UploadFileAsync"/>).
    /// </summary>
    /// <exception cref="AnaplanHeaderMismatchException">The header differs; nothing was uploaded.</exception>
    /// <exception cref="AnaplanNotFoundException">The import, or its data source file, does not exist.</exception>
    public virtual async Task<AnaplanUploadResult> UploadImportFileAsync(string importId, Stream csv, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(importId);
        ArgumentNullException.ThrowIfNull(csv);
        AnaplanImport import = (await this.ListImportsAsync(cancellationToken)).FirstOrDefault(i => i.Id == importId)
            ?? throw new AnaplanNotFoundException($"Import {importId} does not exist in model {this.options.ModelId}.", this.ApiPath(this.ModelPath("imports")));
        if (string.IsNullOrEmpty(import.ImportDataSourceId))
        {
            throw new AnaplanException($"Import {importId} has no importDataSourceId: it does not read a file.", null, AnaplanErrorCodes.BadRequest, null);
        }

        AnaplanImportMetadata metadata = await this.GetImportMetadataAsync(importId, cancellationToken);
        return await this.UploadCoreAsync(import.ImportDataSourceId, csv, (first, whole) =>
        {
            IReadOnlyList<string> header = AnaplanCsv.HeaderOf(first.Span, whole)
                ?? throw new AnaplanHeaderMismatchException(importId, metadata.HeaderNames, ["<no line end in the first chunk>"]);
            CheckHeader(importId, metadata.HeaderNames, header);
        }, cancellationToken);
    }

    /// <summary>
    /// Streams <paramref name="content"/> (any readable stream, e.g. a blob) to an existing file in gzip chunks of
    /// <see cref="AnaplanClientOptions.ChunkSizeBytes"/> uncompressed bytes, holding one chunk in memory. A chunk
    /// that fails transiently is retried alone. Seekable streams declare the chunk count up front; others use -1 and
    /// complete the file at the end.
    /// </summary>
    /// <exception cref="AnaplanNotFoundException">No file has that id (Anaplan would silently create a private one; this client refuses).</exception>
    /// <exception cref="ArgumentException">The content is empty or would need more than 1,000 chunks.</exception>
    public virtual Task<AnaplanUploadResult> UploadFileAsync(string fileId, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileId);
        ArgumentNullException.ThrowIfNull(content);
        return this.UploadCoreAsync(fileId, content, null, cancellationToken);
    }

    /// <summary>Declares how many chunks a file will get (-1 when unknown; then call <see cref="CompleteFileAsync"/>),
    /// after checking that the file exists.</summary>
    /// <exception cref="AnaplanNotFoundException">No file has that id.</exception>
    public virtual async Task<AnaplanFile> SetFileChunkCountAsync(string fileId, int chunkCount, CancellationToken cancellationToken = default)
    {
        CheckChunkCount(fileId, chunkCount);
        await this.EnsureFileExistsAsync(fileId, cancellationToken);
        return await this.PostChunkCountAsync(fileId, chunkCount, cancellationToken);
    }

    /// <summary>
    /// Declares how many chunks a file will get, in one call, for a file the caller has just checked exists (e.g. once per
    /// run, from one read of the model's files). Anaplan answers an unknown id by creating a private file: use
    /// <see cref="SetFileChunkCountAsync"/> when the file was not checked.
    /// </summary>
    public virtual Task<AnaplanFile> DeclareChunkCountAsync(string fileId, int chunkCount, CancellationToken cancellationToken = default)
    {
        CheckChunkCount(fileId, chunkCount);
        return this.PostChunkCountAsync(fileId, chunkCount, cancellationToken);
    }

    /// <summary>
    /// Uploads one chunk that is already gzip-compressed (<paramref name="compressed"/> true) or raw, e.g. a part
    /// staged in blob storage, without re-compressing it. The chunk is read into memory once (one chunk, in a pooled
    /// buffer sized by <paramref name="length"/> when the caller knows it, or by a seekable stream's length) so a
    /// transient failure retries this chunk alone.
    /// </summary>
    public virtual async Task UploadChunkAsync(string fileId, int chunkIndex, Stream chunk, bool compressed = true, long? length = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileId);
        ArgumentNullException.ThrowIfNull(chunk);
        if (chunkIndex is < 0 or >= AnaplanClientOptions.MaxChunkCount)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkIndex), chunkIndex, $"File {fileId}: chunk index must be 0..{AnaplanClientOptions.MaxChunkCount - 1}.");
        }

        const long limit = AnaplanClientOptions.MaxChunkSizeBytes + (AnaplanClientOptions.MaxChunkSizeBytes / 100);
        PooledBuffer buffer;
        try
        {
            buffer = await PooledBuffer.ReadAllAsync(chunk, length, limit, cancellationToken);
        }
        catch (InvalidDataException)
        {
            throw new ArgumentException($"File {fileId}, chunk {chunkIndex}: more than {limit} bytes is over Anaplan's 50 MB chunk limit.", nameof(chunk));
        }

        using (buffer)
        {
            await this.PutChunkAsync(fileId, chunkIndex, buffer.Array, buffer.WrittenCount, compressed, cancellationToken);
        }
    }

    /// <summary>Marks a file complete (needed after a chunk count of -1).</summary>
    public virtual async Task<AnaplanFile?> CompleteFileAsync(string fileId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileId);
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new { id = fileId });
        using JsonDocument json = await this.SendJsonAsync(HttpMethod.Post, this.ModelPath($"files/{Escape(fileId)}/complete"), body, cancellationToken);
        return json.RootElement.TryGetProperty("file", out JsonElement file) ? FileOf(file) : null;
    }

    // ------------------------------------------------------------------ tasks

    /// <summary>Starts an import task.</summary>
    public virtual Task<AnaplanTaskInfo> StartImportAsync(string importId, CancellationToken cancellationToken = default)
        => this.StartTaskAsync(AnaplanActionType.Import, importId, cancellationToken);

    /// <summary>Starts an export task; its output lands in the file with the export's id.</summary>
    public virtual Task<AnaplanTaskInfo> StartExportAsync(string exportId, CancellationToken cancellationToken = default)
        => this.StartTaskAsync(AnaplanActionType.Export, exportId, cancellationToken);

    /// <summary>Starts a process task.</summary>
    public virtual Task<AnaplanTaskInfo> StartProcessAsync(string processId, CancellationToken cancellationToken = default)
        => this.StartTaskAsync(AnaplanActionType.Process, processId, cancellationToken);

    /// <summary>Starts a task of an import, export or process. Does not wait for it.</summary>
    public virtual async Task<AnaplanTaskInfo> StartTaskAsync(AnaplanActionType actionType, string actionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actionId);
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new { localeName = this.options.LocaleName });
        using JsonDocument json = await this.SendJsonAsync(HttpMethod.Post, this.TaskPath(actionType, actionId, null), body, cancellationToken);
        AnaplanTaskInfo task = this.TaskOf(Required(json.RootElement, "task"));
        Logs.AnaplanTaskStarted(this.logger, actionType, actionId, task.TaskId);
        return task;
    }

    /// <summary>One look at a task. Unknown states come back as data (<see cref="AnaplanTaskState.IsKnown"/> false).</summary>
    public virtual async Task<AnaplanTaskInfo> GetTaskStatusAsync(AnaplanActionType actionType, string actionId, string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actionId);
        ArgumentException.ThrowIfNullOrWhiteSpace(taskId);
        using JsonDocument json = await this.GetJsonAsync(this.TaskPath(actionType, actionId, taskId), cancellationToken);
        return this.TaskOf(Required(json.RootElement, "task"));
    }

    /// <summary>The tasks of an action (every page).</summary>
    public virtual Task<IReadOnlyList<AnaplanTaskInfo>> ListTasksAsync(AnaplanActionType actionType, string actionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actionId);
        return this.ListAllAsync(this.TaskPath(actionType, actionId, null), "tasks", this.TaskOf, cancellationToken);
    }

    /// <summary>Asks Anaplan to cancel a task (DELETE on the task). The answer is usually CANCELLING; poll until CANCELLED.</summary>
    public virtual async Task<AnaplanTaskInfo> CancelTaskAsync(AnaplanActionType actionType, string actionId, string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actionId);
        ArgumentException.ThrowIfNullOrWhiteSpace(taskId);
        Logs.AnaplanTaskCancelling(this.logger, actionType, actionId, taskId);
        using JsonDocument json = await this.SendJsonAsync(HttpMethod.Delete, this.TaskPath(actionType, actionId, taskId), null, cancellationToken);
        return json.RootElement.TryGetProperty("task", out JsonElement task)
            ? this.TaskOf(task)
            : new AnaplanTaskInfo(taskId, AnaplanTaskState.Cancelling, null, null, null, null);
    }

    // ------------------------------------------------------------------ failure dumps and downloads

    /// <summary>The failed rows of an import task (downloaded in chunks and parsed); null when there is no dump.</summary>
    public virtual Task<AnaplanFailureDump?> GetImportFailuresAsync(string importId, string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(importId);
        ArgumentException.ThrowIfNullOrWhiteSpace(taskId);
        return this.GetDumpAsync(this.TaskPath(AnaplanActionType.Import, importId, taskId) + "/dump", cancellationToken);
    }

    /// <summary>The failed rows of one import (<paramref name="objectId"/>) inside a process task; null when none.</summary>
    public virtual Task<AnaplanFailureDump?> GetProcessFailuresAsync(string processId, string taskId, string objectId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(processId);
        ArgumentException.ThrowIfNullOrWhiteSpace(taskId);
        ArgumentException.ThrowIfNullOrWhiteSpace(objectId);
        return this.GetDumpAsync(this.TaskPath(AnaplanActionType.Process, processId, taskId) + $"/dumps/{Escape(objectId)}", cancellationToken);
    }

    /// <summary>The chunk ids of a file (e.g. an export's output, whose id is the export's).</summary>
    public virtual async Task<IReadOnlyList<string>> ListFileChunksAsync(string fileId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileId);
        return await this.ListAllAsync(this.ModelPath($"files/{Escape(fileId)}/chunks"), "chunks", e => Str(e, "id")!, cancellationToken);
    }

    /// <summary>One chunk of a file, as bytes.</summary>
    public virtual async Task<byte[]> DownloadFileChunkAsync(string fileId, string chunkId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileId);
        ArgumentException.ThrowIfNullOrWhiteSpace(chunkId);
        return await this.GetBytesAsync(this.ModelPath($"files/{Escape(fileId)}/chunks/{Escape(chunkId)}"), cancellationToken);
    }

    /// <summary>A stream over a file's chunks, fetched one at a time as it is read (one chunk in memory).</summary>
    public virtual async Task<Stream> OpenFileDownloadAsync(string fileId, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<string> chunks = await this.ListFileChunksAsync(fileId, cancellationToken);
        return new AnaplanDownloadStream(chunks, (chunk, ct) => this.DownloadFileChunkAsync(fileId, chunk, ct));
    }

    // ------------------------------------------------------------------ internals

    private async Task<AnaplanUploadResult> UploadCoreAsync(
        string fileId, Stream content, Action<ReadOnlyMemory<byte>, bool>? inspectFirstChunk, CancellationToken cancellationToken)
    {
        int chunkSize = this.options.ChunkSizeBytes;
        int declared = -1;
        if (content.CanSeek)
        {
            long remaining = content.Length - content.Position;
            long count = Math.Max(1, (remaining + chunkSize - 1) / chunkSize);
            if (count > AnaplanClientOptions.MaxChunkCount)
            {
                throw new ArgumentException(
                    $"File {fileId}: {remaining} bytes need {count} chunks of {chunkSize} bytes; Anaplan allows {AnaplanClientOptions.MaxChunkCount}. Raise ChunkSizeBytes.", nameof(content));
            }

            declared = (int)count;
        }

        byte[] buffer = new byte[chunkSize];
        using var compressed = new MemoryStream();
        int filled = await ReadFullAsync(content, buffer, cancellationToken);
        if (filled == 0)
        {
            throw new ArgumentException($"File {fileId}: the content is empty; Anaplan needs at least one chunk.", nameof(content));
        }

        inspectFirstChunk?.Invoke(buffer.AsMemory(0, filled), filled < chunkSize);
        await this.EnsureFileExistsAsync(fileId, cancellationToken);
        await this.PostChunkCountAsync(fileId, declared, cancellationToken);

        int index = 0;
        long uncompressedTotal = 0;
        long compressedTotal = 0;
        while (filled > 0)
        {
            if (index >= AnaplanClientOptions.MaxChunkCount)
            {
                throw new AnaplanException(
                    $"File {fileId}: the content needs more than {AnaplanClientOptions.MaxChunkCount} chunks of {chunkSize} bytes. Raise ChunkSizeBytes.",
                    null, AnaplanErrorCodes.TooManyChunks, null);
            }

            compressed.SetLength(0);
            await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                await gzip.WriteAsync(buffer.AsMemory(0, filled), cancellationToken);
            }

            await this.PutChunkAsync(fileId, index, compressed.GetBuffer(), (int)compressed.Length, true, cancellationToken);
            Logs.AnaplanChunkUploaded(this.logger, fileId, index, filled, compressed.Length);
            uncompressedTotal += filled;
            compressedTotal += compressed.Length;
            index++;
            filled = filled < chunkSize ? 0 : await ReadFullAsync(content, buffer, cancellationToken);
        }

        if (declared == -1)
        {
            await this.CompleteFileAsync(fileId, cancellationToken);
        }
        else if (index != declared)
        {
            throw new AnaplanException(
                $"File {fileId}: the stream gave {index} chunks but its length announced {declared}.", null, AnaplanErrorCodes.BadRequest, null);
        }

        return new AnaplanUploadResult(fileId, index, uncompressedTotal, compressedTotal);
    }

    private static void CheckChunkCount(string fileId, int chunkCount)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileId);
        if (chunkCount is 0 or < -1 or > AnaplanClientOptions.MaxChunkCount)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkCount), chunkCount, $"File {fileId}: chunkCount must be -1 or 1..{AnaplanClientOptions.MaxChunkCount}.");
        }
    }

    private async Task EnsureFileExistsAsync(string fileId, CancellationToken cancellationToken)
    {
        IReadOnlyList<AnaplanFile> files = await this.ListFilesAsync(cancellationToken);
        if (!files.Any(f => string.Equals(f.Id, fileId, StringComparison.Ordinal)))
        {
            throw new AnaplanNotFoundException(
                $"File {fileId} does not exist in model {this.options.ModelId}; refusing to upload (Anaplan would create a private file nobody imports from).",
                this.ApiPath(this.ModelPath($"files/{Escape(fileId)}")), null, AnaplanErrorCodes.FileNotFound);
        }
    }

    private async Task<AnaplanFile> PostChunkCountAsync(string fileId, int chunkCount, CancellationToken cancellationToken)
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new { chunkCount });
        using JsonDocument json = await this.SendJsonAsync(HttpMethod.Post, this.ModelPath($"files/{Escape(fileId)}"), body, cancellationToken);
        return FileOf(Required(json.RootElement, "file"));
    }

    private async Task PutChunkAsync(string fileId, int index, byte[] data, int length, bool gzip, CancellationToken cancellationToken)
    {
        var request = new AnaplanRequest(HttpMethod.Put, this.ApiUri(this.ModelPath($"files/{Escape(fileId)}/chunks/{index.ToString(CultureInfo.InvariantCulture)}")), () =>
        {
            var content = new ByteArrayContent(data, 0, length);
            content.Headers.ContentType = gzip ? GzipType : OctetType;
            return content;
        });
        using HttpResponseMessage response = await this.transport.SendAsync(request, this.tokens, this.authenticator, this.limiter, cancellationToken);
    }

    private async Task<AnaplanFailureDump?> GetDumpAsync(string dumpPath, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> chunks;
        try
        {
            chunks = await this.ListAllAsync(dumpPath + "/chunks", "chunks", e => Str(e, "id")!, cancellationToken);
        }
        catch (AnaplanNotFoundException)
        {
            return null;
        }

        if (chunks.Count == 0)
        {
            return null;
        }

        await using var stream = new AnaplanDownloadStream(chunks, (chunk, ct) => this.GetBytesAsync($"{dumpPath}/chunks/{Escape(chunk)}", ct));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string text = await reader.ReadToEndAsync(cancellationToken);
        return ParseDump(text);
    }

    internal static AnaplanFailureDump? ParseDump(string text)
    {
        using var reader = new StringReader(text);
        using IEnumerator<IReadOnlyList<string>> records = AnaplanCsv.Records(reader).GetEnumerator();
        if (!records.MoveNext())
        {
            return null;
        }

        IReadOnlyList<string> header = records.Current;
        int lineAt = IndexOf(header, "_Line_");
        int errorAt = IndexOf(header, "_Error_1_");
        int[] dataAt = [.. Enumerable.Range(0, header.Count).Where(i => !header[i].StartsWith('_') || !header[i].EndsWith('_'))];
        var rows = new List<AnaplanFailedRow>();
        while (records.MoveNext())
        {
            IReadOnlyList<string> fields = records.Current;
            string Field(int at) => at >= 0 && at < fields.Count ? fields[at] : string.Empty;
            long.TryParse(Field(lineAt), NumberStyles.Integer, CultureInfo.InvariantCulture, out long line);
            rows.Add(new AnaplanFailedRow(line, Field(errorAt), dataAt.ToDictionary(i => header[i], Field, StringComparer.Ordinal)));
        }

        return new AnaplanFailureDump([.. dataAt.Select(i => header[i])], rows);
    }

    private async Task<IReadOnlyList<T>> ListAllAsync<T>(string relativePath, string arrayName, Func<JsonElement, T> map, CancellationToken cancellationToken)
    {
        var all = new List<T>();
        int offset = 0;
        char separator = relativePath.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        while (true)
        {
            string page = FormattableString.Invariant($"{relativePath}{separator}offset={offset}&limit={this.options.PageSize}");
            using JsonDocument json = await this.GetJsonAsync(page, cancellationToken);
            int count = 0;
            if (json.RootElement.TryGetProperty(arrayName, out JsonElement items) && items.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement item in items.EnumerateArray())
                {
                    all.Add(map(item));
                    count++;
                }
            }

            long? total = json.RootElement.TryGetProperty("meta", out JsonElement meta) && meta.TryGetProperty("paging", out JsonElement paging)
                ? Long(paging, "totalSize")
                : null;

            // An empty page ends the list; so does reaching totalSize. Without paging metadata, a full page means more may follow.
            offset += count;
            if (count == 0 || (total is long t ? offset >= t : count < this.options.PageSize))
            {
                return all;
            }
        }
    }

    private async Task<JsonDocument> GetJsonAsync(string relativePath, CancellationToken cancellationToken)
        => await this.SendJsonAsync(HttpMethod.Get, relativePath, null, cancellationToken);

    private async Task<JsonDocument> SendJsonAsync(HttpMethod method, string relativePath, byte[]? body, CancellationToken cancellationToken)
    {
        var request = new AnaplanRequest(method, this.ApiUri(relativePath), body is null ? null : () =>
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = JsonType;
            return content;
        });
        using HttpResponseMessage response = await this.transport.SendAsync(request, this.tokens, this.authenticator, this.limiter, cancellationToken);
        byte[] bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (bytes.Length == 0 || response.StatusCode == HttpStatusCode.NoContent)
        {
            return JsonDocument.Parse("{}");
        }

        try
        {
            return JsonDocument.Parse(bytes);
        }
        catch (JsonException ex)
        {
            throw new AnaplanException($"Anaplan's answer to {method} {request.Path} is not JSON.", (int)response.StatusCode, AnaplanErrorCodes.InvalidResponse, request.Path, ex);
        }
    }

    private async Task<byte[]> GetBytesAsync(string relativePath, CancellationToken cancellationToken)
    {
        var request = new AnaplanRequest(HttpMethod.Get, this.ApiUri(relativePath));
        using HttpResponseMessage response = await this.transport.SendAsync(request, this.tokens, this.authenticator, this.limiter, cancellationToken);
        return await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }

    private AnaplanTaskInfo TaskOf(JsonElement e)
    {
        string taskId = Str(e, "taskId") ?? string.Empty;
        var state = new AnaplanTaskState(Str(e, "taskState") ?? "UNKNOWN");
        if (!state.IsKnown)
        {
            Logs.AnaplanUnknownTaskState(this.logger, taskId, state.Value);
        }

        long? created = Long(e, "creationTime");
        return new AnaplanTaskInfo(
            taskId, state, Str(e, "currentStep"), Double(e, "progress"),
            created is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null,
            e.TryGetProperty("result", out JsonElement result) && result.ValueKind == JsonValueKind.Object ? ResultOf(result) : null);
    }

    private static AnaplanTaskResult ResultOf(JsonElement e)
    {
        var details = new List<AnaplanResultDetail>();
        if (e.TryGetProperty("details", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement d in list.EnumerateArray())
            {
                var values = new Dictionary<string, string>(StringComparer.Ordinal);
                IReadOnlyList<string> flat = Strings(d, "values");
                for (int i = 0; i + 1 < flat.Count; i += 2)
                {
                    values.TryAdd(flat[i], flat[i + 1]);
                }

                details.Add(new AnaplanResultDetail(Str(d, "localMessageText"), Str(d, "type"), values));
            }
        }

        var nested = new List<AnaplanTaskResult>();
        if (e.TryGetProperty("nestedResults", out JsonElement inner) && inner.ValueKind == JsonValueKind.Array)
        {
            nested.AddRange(inner.EnumerateArray().Select(ResultOf));
        }

        return new AnaplanTaskResult(Bool(e, "successful") ?? false, Bool(e, "failureDumpAvailable") ?? false, Str(e, "objectId"), details, nested);
    }

    private static AnaplanModelInfo ModelOf(JsonElement e)
        => new(Str(e, "id")!, Str(e, "name") ?? string.Empty, Str(e, "activeState"), Str(e, "currentWorkspaceId"), Bool(e, "modelTransactionRunning"));

    private static AnaplanFile FileOf(JsonElement e)
        => new(Str(e, "id")!, Str(e, "name") ?? string.Empty, (int)(Long(e, "chunkCount") ?? 0), Str(e, "delimiter"), Str(e, "encoding"),
            (int?)Long(e, "firstDataRow"), Str(e, "format"), (int?)Long(e, "headerRow"), Str(e, "separator"));

    private string ModelPath(string rest) => $"workspaces/{Escape(this.options.WorkspaceId)}/models/{Escape(this.options.ModelId)}/{rest}";

    private string TaskPath(AnaplanActionType type, string actionId, string? taskId)
    {
        string segment = type switch
        {
            AnaplanActionType.Import => "imports",
            AnaplanActionType.Export => "exports",
            AnaplanActionType.Process => "processes",
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown action type."),
        };
        return this.ModelPath($"{segment}/{Escape(actionId)}/tasks{(taskId is null ? string.Empty : "/" + Escape(taskId))}");
    }

    private Uri ApiUri(string relativePath)
    {
        string root = this.options.ApiBaseUri.ToString();
        return new Uri(root.EndsWith('/') ? root + relativePath : root + "/" + relativePath);
    }

    private string ApiPath(string relativePath) => this.ApiUri(relativePath).AbsolutePath;

    private static string Escape(string segment) => Uri.EscapeDataString(segment);

    private static int IndexOf(IReadOnlyList<string> header, string name)
    {
        for (int i = 0; i < header.Count; i++)
        {
            if (string.Equals(header[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private static async Task<int> ReadFullAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    private static JsonElement Required(JsonElement root, string name)
        => root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Object
            ? value
            : throw new AnaplanException($"Anaplan's answer has no '{name}' object.", null, AnaplanErrorCodes.InvalidResponse, null);

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) ? v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
        _ => null,
    } : null;

    private static long? Long(JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) ? v.ValueKind switch
    {
        JsonValueKind.Number when v.TryGetInt64(out long n) => n,
        JsonValueKind.Number => (long)v.GetDouble(),
        JsonValueKind.String when long.TryParse(v.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) => n,
        _ => null,
    } : null;

    private static double? Double(JsonElement e, string name)
        => e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static bool? Bool(JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) ? v.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String when bool.TryParse(v.GetString(), out bool b) => b,
        _ => null,
    } : null;

    private static IReadOnlyList<string> Strings(JsonElement e, string name)
        => e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Array
            ? [.. v.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() ?? string.Empty : x.GetRawText())]
            : [];
}
