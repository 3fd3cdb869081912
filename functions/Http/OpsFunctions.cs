using System.Net;
using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Operations.Api;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.DurableTask.Client;

namespace Connector.Functions.Http;

/// <summary>
/// The operator API over runs, model locks and the audit (inspect, rewind, replay, replay a dataset, retry rejected
/// rows, terminate, suspend, resume, purge, bulk rewind and replay of a connection's runs; locks, trends, records) and
/// the operations dashboard. Triggers only: each route is one of <see cref="OperatorRoutes"/>,
/// whose shared handler (<see cref="OperatorApi"/>) the local host serves too; <see cref="ApiEdge"/> applies read-only
/// mode and turns the connector's exceptions into ProblemDetails. Function keys protect every route but the dashboard's
/// page and files, which hold no data (the page calls the API with the caller's key).
/// </summary>
public sealed class OpsFunctions(ApiEdge edge)
{
    /// <summary>The run actions of <c>POST /api/runs/{id}/{action}</c>.</summary>
    public static IReadOnlyList<string> RunActions => OperatorApi.RunActions;

    [Function("GetOverview")]
    public Task<HttpResponseData> GetOverviewAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "ops")] HttpRequestData request,
        [DurableClient] DurableTaskClient client)
        => edge.RunAsync(request, OperatorRoutes.Overview, client);

    [Function("ListRuns")]
    public Task<HttpResponseData> ListRunsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs")] HttpRequestData request,
        [DurableClient] DurableTaskClient client)
        => edge.RunAsync(request, OperatorRoutes.ListRuns, client);

    [Function("GetRun")]
    public Task<HttpResponseData> GetRunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{instanceId}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string instanceId)
        => edge.RunAsync(request, OperatorRoutes.GetRun, client, ("instanceId", instanceId));

    [Function("RunAction")]
    public Task<HttpResponseData> RunActionAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "runs/{instanceId}/{action:alpha}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string instanceId,
        string action)
        => edge.RunAsync(request, OperatorRoutes.RunAction, client, ("instanceId", instanceId), ("action", action));

    [Function("ReplayDataset")]
    public Task<HttpResponseData> ReplayDatasetAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "runs/{instanceId}/datasets/{dataset}/replay")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string instanceId,
        string dataset)
        => edge.RunAsync(request, OperatorRoutes.ReplayDataset, client, ("instanceId", instanceId), ("dataset", dataset));

    [Function("RetryRejected")]
    public Task<HttpResponseData> RetryRejectedAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "runs/{instanceId}/retry-rejected")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string instanceId)
        => edge.RunAsync(request, OperatorRoutes.RetryRejected, client, ("instanceId", instanceId));

    [Function("PurgeRun")]
    public Task<HttpResponseData> PurgeRunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "runs/{instanceId}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string instanceId)
        => edge.RunAsync(request, OperatorRoutes.PurgeRun, client, ("instanceId", instanceId));

    [Function("PurgeRuns")]
    public Task<HttpResponseData> PurgeRunsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "runs-purge")] HttpRequestData request,
        [DurableClient] DurableTaskClient client)
        => edge.RunAsync(request, OperatorRoutes.PurgeRuns, client);

    [Function("RewindRuns")]
    public Task<HttpResponseData> RewindRunsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "connections/{connectionId}/runs-rewind")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string connectionId)
        => edge.RunAsync(request, OperatorRoutes.RewindRuns, client, ("connectionId", connectionId));

    [Function("ReplayRuns")]
    public Task<HttpResponseData> ReplayRunsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "connections/{connectionId}/runs-replay")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string connectionId)
        => edge.RunAsync(request, OperatorRoutes.ReplayRuns, client, ("connectionId", connectionId));

    [Function("ListModelLocks")]
    public Task<HttpResponseData> ListModelLocksAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "locks")] HttpRequestData request,
        [DurableClient] DurableTaskClient client)
        => edge.RunAsync(request, OperatorRoutes.ListLocks, client);

    [Function("GetModelLock")]
    public Task<HttpResponseData> GetModelLockAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "locks/{workspaceId}/{modelId}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string workspaceId,
        string modelId)
        => edge.RunAsync(request, OperatorRoutes.GetLock, client, ("workspaceId", workspaceId), ("modelId", modelId));

    [Function("ReleaseOrphanedLocks")]
    public Task<HttpResponseData> ReleaseOrphanedLocksAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "locks-release-orphaned")] HttpRequestData request,
        [DurableClient] DurableTaskClient client)
        => edge.RunAsync(request, OperatorRoutes.ReleaseOrphanedLocks, client);

    [Function("GetRunAudit")]
    public Task<HttpResponseData> GetRunAuditAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "connections/{connectionId}/runs/{runId}/audit")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string connectionId,
        string runId)
        => edge.RunAsync(request, OperatorRoutes.RunAudit, client, ("connectionId", connectionId), ("runId", runId));

    [Function("GetRunRecordsCsv")]
    public Task<HttpResponseData> GetRunRecordsCsvAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "connections/{connectionId}/runs/{runId}/records.csv")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string connectionId,
        string runId)
        => edge.RunAsync(request, OperatorRoutes.RunRecordsCsv, client, ("connectionId", connectionId), ("runId", runId));

    [Function("GetTrends")]
    public Task<HttpResponseData> GetTrendsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "connections/{connectionId}/trends")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string connectionId)
        => edge.RunAsync(request, OperatorRoutes.Trends, client, ("connectionId", connectionId));

    [Function("Dashboard")]
    public Task<HttpResponseData> DashboardAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard")] HttpRequestData request,
        [DurableClient] DurableTaskClient client)
        => edge.RunAsync(request, OperatorRoutes.DashboardPage, client);

    [Function("DashboardFile")]
    public Task<HttpResponseData> DashboardFileAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard/{file}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string file)
        => edge.RunAsync(request, OperatorRoutes.DashboardFile, client, ("file", file));

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
}
