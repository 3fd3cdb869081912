using System.Net;
using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Operations;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.DurableTask.Client;

namespace Connector.Functions.Http;

/// <summary>
/// The operator API over runs and model locks (inspect, rewind, replay, terminate, suspend, resume, purge). Thin:
/// every action is <see cref="RunOperations"/>; <see cref="ApiEdge"/> applies read-only mode and turns the connector's
/// exceptions into ProblemDetails. Function keys protect every route.
/// </summary>
public sealed class OpsFunctions(ApiEdge edge)
{
    /// <summary>The run actions of <c>POST /api/runs/{id}/{action}</c>.</summary>
    public static readonly IReadOnlyList<string> RunActions = ["rewind", "replay", "terminate", "suspend", "resume"];

    [Function("ListRuns")]
    public Task<HttpResponseData> ListRunsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs")] HttpRequestData request,
        [DurableClient] DurableTaskClient client)
        => edge.RunAsync(request, "list-runs", "*", async ct =>
        {
            var query = System.Web.HttpUtility.ParseQueryString(request.Url.Query);
            var runQuery = new RunQuery
            {
                Statuses = ApiQuery.Enums<OrchestrationRuntimeStatus>(query["status"], "status"),
                InstanceIdPrefix = query["prefix"],
                ConnectionId = query["connection"],
                Flow = query["flow"],
                IncludeSubRuns = ApiQuery.Flag(query["all"], "all"),
                CreatedFrom = ApiQuery.Time(query["from"], "from"),
                CreatedTo = ApiQuery.Time(query["to"], "to"),
                Max = ApiQuery.Int(query["max"], "max", 1, 10_000) ?? 100,
            };
            var runs = new List<RunSummary>();
            await foreach (RunSummary run in new RunOperations(client).ListAsync(runQuery, ct))
            {
                runs.Add(run);
            }

            return ApiResult.Ok(runs);
        });

    [Function("GetRun")]
    public Task<HttpResponseData> GetRunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{instanceId}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string instanceId)
        => edge.RunAsync(request, "get-run", instanceId, async ct =>
        {
            var ops = new RunOperations(client);
            bool history = ApiQuery.Flag(System.Web.HttpUtility.ParseQueryString(request.Url.Query)["history"], "history");
            return ApiResult.Ok(history
                ? await ops.InspectAsync(instanceId, ct)
                : await ops.GetAsync(instanceId, ct) ?? throw new RunNotFoundException(instanceId));
        });

    [Function("RunAction")]
    public Task<HttpResponseData> RunActionAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "runs/{instanceId}/{action:alpha}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string instanceId,
        string action)
        => edge.RunAsync(request, action, instanceId, async ct =>
        {
            var ops = new RunOperations(client);
            string reason = (await ApiEdge.ReadBodyAsync<ReasonBody>(request, ct))?.Reason ?? $"operator {action} over HTTP";
            switch (action.ToLowerInvariant())
            {
                case "rewind":
                    await ops.RewindAsync(instanceId, reason, ct);
                    return ApiResult.Accepted(new { instanceId, action });
                case "replay":
                    return ApiResult.Accepted(new { instanceId, action, replayInstanceId = await ops.ReplayAsync(instanceId, ct) });
                case "terminate":
                    await ops.TerminateAsync(instanceId, reason, ct);
                    return ApiResult.Accepted(new { instanceId, action });
                case "suspend":
                    await ops.SuspendAsync(instanceId, reason, ct);
                    return ApiResult.Accepted(new { instanceId, action });
                case "resume":
                    await ops.ResumeAsync(instanceId, reason, ct);
                    return ApiResult.Accepted(new { instanceId, action });
                default:
                    throw new ConnectorValidationException("action", $"Unknown action '{action}': use {string.Join(", ", RunActions)}.");
            }
        });

    [Function("PurgeRun")]
    public Task<HttpResponseData> PurgeRunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "runs/{instanceId}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string instanceId)
        => edge.RunAsync(request, "purge", instanceId, async ct =>
            ApiResult.Ok(new { purged = await new RunOperations(client).PurgeAsync(instanceId, ct) }));

    [Function("PurgeRuns")]
    public Task<HttpResponseData> PurgeRunsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "runs-purge")] HttpRequestData request,
        [DurableClient] DurableTaskClient client)
        => edge.RunAsync(request, "purge-many", "*", async ct =>
        {
            PurgeBody body = await ApiEdge.ReadBodyAsync<PurgeBody>(request, ct)
                ?? throw new ConnectorValidationException(null, "A body with createdFrom and createdTo is required.");
            var ops = new RunOperations(client);
            if (body.DryRun)
            {
                var runs = await ops.ListPurgeableAsync(body.CreatedFrom, body.CreatedTo, body.Statuses, ct).ToListAsync(ct);
                return ApiResult.Ok(new { dryRun = true, wouldPurge = runs.Count, runs });
            }

            return ApiResult.Ok(new { purged = await ops.PurgeAsync(body.CreatedFrom, body.CreatedTo, body.Statuses, ct) });
        });

    [Function("GetModelLock")]
    public Task<HttpResponseData> GetModelLockAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "locks/{workspaceId}/{modelId}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string workspaceId,
        string modelId)
        => edge.RunAsync(request, "get-lock", $"{workspaceId}:{modelId}", async ct =>
            ApiResult.Ok((object?)await new RunOperations(client).GetModelLockAsync(workspaceId, modelId, ct) ?? new { key = $"{workspaceId}:{modelId}", acquisitions = 0 }));

    [Function("ReleaseOrphanedLocks")]
    public Task<HttpResponseData> ReleaseOrphanedLocksAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "locks-release-orphaned")] HttpRequestData request,
        [DurableClient] DurableTaskClient client)
        => edge.RunAsync(request, "release-orphaned-locks", "*", async ct =>
        {
            var ops = new RunOperations(client);
            bool dryRun = (await ApiEdge.ReadBodyAsync<DryRunBody>(request, ct))?.DryRun == true;
            return dryRun
                ? ApiResult.Ok(new { dryRun = true, locks = await ops.FindOrphanedLocksAsync(ct) })
                : ApiResult.Ok(new { released = await ops.ReleaseOrphanedLocksAsync(cancellationToken: ct) });
        });

    [Function("StartSelfTest")]
    public Task<HttpResponseData> StartSelfTestAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "selftest")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        FunctionContext context)
        => edge.RunAsync(request, "selftest", "*", async ct =>
        {
            ArgumentNullException.ThrowIfNull(client);
            ArgumentNullException.ThrowIfNull(context);
            SelfTestInput input = await ApiEdge.ReadBodyAsync<SelfTestInput>(request, ct)
                ?? throw new ConnectorValidationException(null, "A body with workspaceId and modelId is required.");
            string id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(SelfTestOrchestrator), input, ct);
            return ApiEdge.StatusLinks(request, client, id, HttpStatusCode.Accepted);
        });

    private sealed record ReasonBody(string? Reason);

    private sealed record DryRunBody(bool DryRun);

    private sealed record PurgeBody(DateTimeOffset CreatedFrom, DateTimeOffset CreatedTo, IReadOnlyCollection<OrchestrationRuntimeStatus>? Statuses, bool DryRun = false);
}
