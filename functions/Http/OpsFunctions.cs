using System.Net;
using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Operations;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.DurableTask.Client;

namespace Connector.Functions.Http;

/// <summary>
/// The operator API over runs and model locks (inspect, rewind, replay, replay a dataset, retry rejected rows, terminate,
/// suspend, resume, purge, and the bulk rewind and replay of a connection's failed runs). Thin: every action is
/// <see cref="RunOperations"/> or <see cref="RunRecovery"/>; <see cref="ApiEdge"/> applies read-only mode and turns the
/// connector's exceptions into ProblemDetails. Function keys protect every route. The recovery routes follow the
/// operator contract the dashboard calls: a <c>reason</c> is required, and what is done is recorded in the run's audit
/// with who did it.
/// </summary>
public sealed class OpsFunctions(ApiEdge edge, RunRecoveryFactory recovery)
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
            string? given = (await ApiEdge.ReadBodyAsync<ReasonBody>(request, ct))?.Reason;
            string reason = given ?? $"operator {action} over HTTP";
            switch (action.ToLowerInvariant())
            {
                case "rewind":
                    RewindResult rewound = await recovery.Create(client).RewindAsync(instanceId, Required(given), edge.Caller(request), ct);
                    return ApiResult.Accepted(new { id = rewound.RunId, instanceId, action, rewound.Attempt, rewound.Status, rewound.Started });
                case "replay":
                    return ApiResult.Accepted(new { instanceId, action, replayInstanceId = await ops.ReplayAsync(instanceId, ct) });
                case "terminate":
                    TerminateResult terminated = await recovery.Create(client).TerminateAsync(instanceId, Required(given), edge.Caller(request), ct);
                    return ApiResult.Accepted(new { id = instanceId, instanceId, action, terminated.Terminated, terminated.Stopped, terminated.LocksReleased });
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

    [Function("ReplayDataset")]
    public Task<HttpResponseData> ReplayDatasetAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "runs/{instanceId}/datasets/{dataset}/replay")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string instanceId,
        string dataset)
        => edge.RunAsync(request, "replay-dataset", $"{instanceId}/{dataset}", async ct =>
        {
            string reason = Required((await ApiEdge.ReadBodyAsync<ReasonBody>(request, ct))?.Reason);
            RecoveryRunResult started = await recovery.Create(client).ReplayDatasetAsync(instanceId, dataset, reason, edge.Caller(request), ct);
            return ApiResult.Accepted(new { id = started.RunId, sourceRunId = started.SourceRunId, started.Dataset, started.Mode });
        });

    [Function("RetryRejected")]
    public Task<HttpResponseData> RetryRejectedAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "runs/{instanceId}/retry-rejected")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string instanceId)
        => edge.RunAsync(request, "retry-rejected", instanceId, async ct =>
        {
            RetryBody? body = await ApiEdge.ReadBodyAsync<RetryBody>(request, ct);
            RecoveryRunResult started = await recovery.Create(client).RetryRejectedAsync(instanceId, body?.Dataset, Required(body?.Reason), edge.Caller(request), ct);
            return ApiResult.Accepted(new { id = started.RunId, sourceRunId = started.SourceRunId, started.Dataset, started.Mode });
        });

    [Function("PurgeRun")]
    public Task<HttpResponseData> PurgeRunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "runs/{instanceId}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string instanceId)
        => edge.RunAsync(request, "purge", instanceId, async ct =>
        {
            bool keepAudit = ApiQuery.Flag(System.Web.HttpUtility.ParseQueryString(request.Url.Query)["keepAudit"], "keepAudit");
            PurgeRunResult purged = await recovery.Create(client).PurgeAsync(instanceId, keepAudit, ct);
            return ApiResult.Ok(new
            {
                purged = purged.Instances,
                purged.StepResults,
                purged.StagingBlobs,
                purged.AuditRows,
                purged.AuditKept,
                purged.KeptForLaterRuns,
            });
        });

    [Function("RewindRuns")]
    public Task<HttpResponseData> RewindRunsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "connections/{connectionId}/runs-rewind")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string connectionId)
        => this.BulkAsync(request, "rewind-many", connectionId, (body, reason, by, ct) => recovery.Create(client).RewindManyAsync(connectionId, body.From, body.To, reason, by, body.DryRun, ct));

    [Function("ReplayRuns")]
    public Task<HttpResponseData> ReplayRunsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "connections/{connectionId}/runs-replay")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string connectionId)
        => this.BulkAsync(request, "replay-many", connectionId, (body, reason, by, ct) => recovery.Create(client).ReplayManyAsync(connectionId, body.From, body.To, reason, by, body.DryRun, ct));

    [Function("PurgeRuns")]
    public Task<HttpResponseData> PurgeRunsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "runs-purge")] HttpRequestData request,
        [DurableClient] DurableTaskClient client)
        => edge.RunAsync(request, "purge-many", "*", async ct =>
        {
            PurgeBody body = await ApiEdge.ReadBodyAsync<PurgeBody>(request, ct)
                ?? throw new ConnectorValidationException(null, "A body with createdFrom and createdTo is required.");
            var ops = new RunOperations(client);
            List<RunSummary> runs = await ops.ListPurgeableAsync(body.CreatedFrom, body.CreatedTo, body.Statuses, ct).ToListAsync(ct);
            if (body.DryRun)
            {
                return ApiResult.Ok(new { dryRun = true, wouldPurge = runs.Count, runs });
            }

            // Each run with its sub-runs, step results, staging and (unless keepAudit) audit; then leftover sub-runs.
            RunRecovery purger = recovery.Create(client);
            int purged = 0;
            foreach (RunSummary run in runs.Where(r => r.ParentInstanceId is null))
            {
                purged += (await purger.PurgeAsync(run.InstanceId, body.KeepAudit, ct)).Instances;
            }

            return ApiResult.Ok(new { purged = purged + await ops.PurgeAsync(body.CreatedFrom, body.CreatedTo, body.Statuses, ct) });
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

    /// <summary>A bulk action on a connection's runs: reads the body (a reason is required) and answers what was done to each run.</summary>
    private Task<HttpResponseData> BulkAsync(
        HttpRequestData request, string action, string connectionId, Func<BulkBody, string, string, CancellationToken, Task<IReadOnlyList<BulkRunResult>>> act)
        => edge.RunAsync(request, action, connectionId, async ct =>
        {
            BulkBody body = await ApiEdge.ReadBodyAsync<BulkBody>(request, ct) ?? new BulkBody(null, null, null, false);
            IReadOnlyList<BulkRunResult> runs = await act(body, Required(body.Reason), edge.Caller(request), ct);
            return ApiResult.Ok(new { dryRun = body.DryRun, runs });
        });

    /// <summary>The reason a recovery action must be given (recorded in the run's audit).</summary>
    private static string Required(string? reason)
        => string.IsNullOrWhiteSpace(reason)
            ? throw new ConnectorValidationException("reason", "A reason is required (it is recorded in the run's audit with who did it): send {\"reason\": \"...\"}.")
            : reason.Trim();

    private sealed record ReasonBody(string? Reason);

    private sealed record RetryBody(string? Reason, string? Dataset);

    private sealed record BulkBody(string? Reason, DateTimeOffset? From, DateTimeOffset? To, bool DryRun);

    private sealed record DryRunBody(bool DryRun);

    private sealed record PurgeBody(DateTimeOffset CreatedFrom, DateTimeOffset CreatedTo, IReadOnlyCollection<OrchestrationRuntimeStatus>? Statuses, bool DryRun = false, bool KeepAudit = false);
}
