using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Operations;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Connector.Functions.Http;

/// <summary>
/// The operator API over runs and model locks (inspect, rewind, replay, terminate, suspend, resume, purge). Thin:
/// every action is <see cref="RunOperations"/>; this class maps HTTP to it and its exceptions to status codes
/// (404 not found, 409 wrong state, 501 unsupported). Reads are always allowed; writes are refused (403) when
/// <c>Ops:ReadOnly</c> is true. Function keys protect every route.
/// </summary>
public sealed class OpsFunctions(IOptions<OpsOptions> options, ILogger<OpsFunctions> logger)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    [Function("ListRuns")]
    public Task<HttpResponseData> ListRunsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs")] HttpRequestData request,
        [DurableClient] DurableTaskClient client)
        => HandleAsync(request, async ct =>
        {
            var query = System.Web.HttpUtility.ParseQueryString(request.Url.Query);
            var runQuery = new RunQuery
            {
                Statuses = query["status"] is { Length: > 0 } s
                    ? s.Split(',').Select(x => Enum.Parse<OrchestrationRuntimeStatus>(x, ignoreCase: true)).ToArray()
                    : null,
                InstanceIdPrefix = query["prefix"],
                CreatedFrom = query["from"] is { Length: > 0 } from ? DateTimeOffset.Parse(from, System.Globalization.CultureInfo.InvariantCulture) : null,
                CreatedTo = query["to"] is { Length: > 0 } to ? DateTimeOffset.Parse(to, System.Globalization.CultureInfo.InvariantCulture) : null,
                Max = query["max"] is { Length: > 0 } max ? int.Parse(max, System.Globalization.CultureInfo.InvariantCulture) : 100,
            };
            var runs = new List<RunSummary>();
            await foreach (RunSummary run in new RunOperations(client).ListAsync(runQuery, ct))
            {
                runs.Add(run);
            }

            return (HttpStatusCode.OK, runs);
        });

    [Function("GetRun")]
    public Task<HttpResponseData> GetRunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{instanceId}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string instanceId)
        => HandleAsync(request, async ct =>
            (HttpStatusCode.OK, (object)(await new RunOperations(client).GetAsync(instanceId, ct) ?? throw new RunNotFoundException(instanceId))));

    [Function("RunAction")]
    public Task<HttpResponseData> RunActionAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "runs/{instanceId}/{action:alpha}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string instanceId,
        string action)
        => this.WriteAsync(request, action, instanceId, async ct =>
        {
            var ops = new RunOperations(client);
            string reason = (await ReadBodyAsync<ReasonBody>(request, ct))?.Reason ?? $"operator {action} over HTTP";
            switch (action.ToLowerInvariant())
            {
                case "rewind":
                    await ops.RewindAsync(instanceId, reason, ct);
                    return (HttpStatusCode.Accepted, new { instanceId, action });
                case "replay":
                    return (HttpStatusCode.Accepted, new { instanceId, action, replayInstanceId = await ops.ReplayAsync(instanceId, ct) });
                case "terminate":
                    await ops.TerminateAsync(instanceId, reason, ct);
                    return (HttpStatusCode.Accepted, new { instanceId, action });
                case "suspend":
                    await ops.SuspendAsync(instanceId, reason, ct);
                    return (HttpStatusCode.Accepted, new { instanceId, action });
                case "resume":
                    await ops.ResumeAsync(instanceId, reason, ct);
                    return (HttpStatusCode.Accepted, new { instanceId, action });
                default:
                    throw new ArgumentException($"Unknown action '{action}': use rewind, replay, terminate, suspend or resume.");
            }
        });

    [Function("PurgeRun")]
    public Task<HttpResponseData> PurgeRunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "runs/{instanceId}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string instanceId)
        => this.WriteAsync(request, "purge", instanceId, async ct =>
            (HttpStatusCode.OK, new { purged = await new RunOperations(client).PurgeAsync(instanceId, ct) }));

    [Function("PurgeRuns")]
    public Task<HttpResponseData> PurgeRunsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "runs-purge")] HttpRequestData request,
        [DurableClient] DurableTaskClient client)
        => this.WriteAsync(request, "purge-many", "*", async ct =>
        {
            PurgeBody body = await ReadBodyAsync<PurgeBody>(request, ct)
                ?? throw new ArgumentException("A body with createdFrom and createdTo is required.");
            int purged = await new RunOperations(client).PurgeAsync(body.CreatedFrom, body.CreatedTo, body.Statuses, ct);
            return (HttpStatusCode.OK, new { purged });
        });

    [Function("GetModelLock")]
    public Task<HttpResponseData> GetModelLockAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "locks/{workspaceId}/{modelId}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string workspaceId,
        string modelId)
        => HandleAsync(request, async ct =>
            (HttpStatusCode.OK, (object?)await new RunOperations(client).GetModelLockAsync(workspaceId, modelId, ct) ?? new { key = $"{workspaceId}:{modelId}", acquisitions = 0 }));

    [Function("ReleaseOrphanedLocks")]
    public Task<HttpResponseData> ReleaseOrphanedLocksAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "locks-release-orphaned")] HttpRequestData request,
        [DurableClient] DurableTaskClient client)
        => this.WriteAsync(request, "release-orphaned-locks", "*", async ct =>
            (HttpStatusCode.OK, new { released = await new RunOperations(client).ReleaseOrphanedLocksAsync(cancellationToken: ct) }));

    [Function("StartSelfTest")]
    public async Task<HttpResponseData> StartSelfTestAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "selftest")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        if (options.Value.ReadOnly)
        {
            return await Respond(request, HttpStatusCode.Forbidden, new { error = "The operator API is read-only (Ops:ReadOnly)." });
        }

        try
        {
            SelfTestInput input = await ReadBodyAsync<SelfTestInput>(request, context.CancellationToken)
                ?? throw new ArgumentException("A body with workspaceId and modelId is required.");
            string id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(SelfTestOrchestrator), input, context.CancellationToken);
            return await CheckStatusAsync(request, client, id, HttpStatusCode.Accepted);
        }
        catch (Exception ex) when (ex is ArgumentException or JsonException)
        {
            return await Respond(request, HttpStatusCode.BadRequest, new { error = ex.Message });
        }
    }

    /// <summary>
    /// Answers with a run's status links (the Durable Functions management URLs) and a <c>Location</c> header, the body
    /// in this API's JSON (<c>id</c>, <c>statusQueryGetUri</c>, <c>sendEventPostUri</c>, <c>terminatePostUri</c>...).
    /// </summary>
    /// <remarks>
    /// Not <c>CreateCheckStatusResponseAsync</c>: it writes <see cref="HttpManagementPayload"/> with the worker's
    /// System.Text.Json serializer, which ignores the payload's Newtonsoft <c>[JsonProperty("statusQueryGetUri")]</c>
    /// names and answers <c>Id</c>, <c>StatusQueryGetUri</c>... The links and the header are the same.
    /// </remarks>
    internal static async Task<HttpResponseData> CheckStatusAsync(HttpRequestData request, DurableTaskClient client, string instanceId, HttpStatusCode status)
    {
        HttpManagementPayload links = client.CreateHttpManagementPayload(instanceId, request);
        HttpResponseData response = await Respond(request, status, links);
        response.Headers.Add("Location", links.StatusQueryGetUri);
        return response;
    }

    internal static async Task<HttpResponseData> HandleAsync(
        HttpRequestData request, Func<CancellationToken, Task<(HttpStatusCode Status, object Body)>> action)
    {
        ArgumentNullException.ThrowIfNull(request);
        CancellationToken ct = request.FunctionContext.CancellationToken;
        try
        {
            (HttpStatusCode status, object body) = await action(ct);
            return await Respond(request, status, body);
        }
        catch (RunNotFoundException ex)
        {
            return await Respond(request, HttpStatusCode.NotFound, new { error = ex.Message });
        }
        catch (InvalidOperationException ex)
        {
            return await Respond(request, HttpStatusCode.Conflict, new { error = ex.Message });
        }
        catch (Exception ex) when (ex is NotSupportedException or NotImplementedException)
        {
            return await Respond(request, HttpStatusCode.NotImplemented, new { error = ex.Message });
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException or JsonException)
        {
            return await Respond(request, HttpStatusCode.BadRequest, new { error = ex.Message });
        }
    }

    internal static async Task<HttpResponseData> Respond(HttpRequestData request, HttpStatusCode status, object body)
    {
        HttpResponseData response = request.CreateResponse(status);
        response.Headers.Add("Content-Type", "application/json; charset=utf-8");
        await response.WriteStringAsync(JsonSerializer.Serialize(body, Json));
        return response;
    }

    internal static async Task<T?> ReadBodyAsync<T>(HttpRequestData request, CancellationToken ct)
        where T : class
    {
        using var reader = new StreamReader(request.Body);
        string text = await reader.ReadToEndAsync(ct);
        return string.IsNullOrWhiteSpace(text) ? null : JsonSerializer.Deserialize<T>(text, Json);
    }

    private Task<HttpResponseData> WriteAsync(
        HttpRequestData request, string action, string instanceId, Func<CancellationToken, Task<(HttpStatusCode, object)>> write)
    {
        if (options.Value.ReadOnly)
        {
            return Respond(request, HttpStatusCode.Forbidden, new { error = "The operator API is read-only (Ops:ReadOnly)." });
        }

        Logs.OperatorAction(logger, action, instanceId);
        return HandleAsync(request, write);
    }

    private sealed record ReasonBody(string? Reason);

    private sealed record PurgeBody(DateTimeOffset CreatedFrom, DateTimeOffset CreatedTo, IReadOnlyCollection<OrchestrationRuntimeStatus>? Statuses);
}
