using System.Net;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Operations.Api;
using Connector.Orchestrations.Storage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace Connector.Functions.Http;

/// <summary>
/// Starting runs on demand and managing a connection's mappings over HTTP. Thin: <see cref="FlowStarter"/> and
/// <see cref="MappingStore"/> do the work, <see cref="ApiEdge"/> applies read-only mode and
/// turns their exceptions into ProblemDetails. A run id is deterministic per request key, so a retried request with
/// the same key answers with the run it already started.
/// </summary>
public sealed class FlowFunctions(
    ApiEdge edge, IOptionsMonitor<ConnectorOptions> options, TimeProvider time, MappingStore mappings, ConnectorStorage storage)
{
    [Function("StartActualsRun")]
    public Task<HttpResponseData> StartActualsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "connections/{connectionId}/runs/actuals")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string connectionId)
        => this.StartAsync(request, client, connectionId, async (starter, ct) => await starter.StartActualsAsync(
            connectionId, "http", await ApiEdge.ReadBodyAsync<ActualsRunRequest>(request, ct) ?? new ActualsRunRequest(), ct));

    [Function("StartBudgetsRun")]
    public Task<HttpResponseData> StartBudgetsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "connections/{connectionId}/runs/budgets")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string connectionId)
        => this.StartAsync(request, client, connectionId, async (starter, ct) => await starter.StartBudgetsAsync(
            connectionId, "http", await ApiEdge.ReadBodyAsync<BudgetRunRequest>(request, ct) ?? new BudgetRunRequest(), ct));

    [Function("ListMappings")]
    public Task<HttpResponseData> ListMappingsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "connections/{connectionId}/mappings/{dimension}")] HttpRequestData request,
        string connectionId,
        string dimension)
        => edge.RunAsync(request, "list-mappings", connectionId, async ct =>
        {
            string connection = this.Known(connectionId);
            await storage.EnsureCreatedOnceAsync();
            var entries = new List<MappingEntry>();
            await foreach (MappingEntry entry in mappings.ListAsync(connection, dimension, ct))
            {
                entries.Add(entry);
            }

            return ApiResult.Ok(entries);
        });

    [Function("SetMapping")]
    public Task<HttpResponseData> SetMappingAsync(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = "connections/{connectionId}/mappings/{dimension}/{sageCode}")] HttpRequestData request,
        string connectionId,
        string dimension,
        string sageCode)
        => edge.RunAsync(request, "set-mapping", $"{connectionId}/{dimension}/{sageCode}", async ct =>
        {
            string connection = this.Known(connectionId);
            MappingBody body = await ApiEdge.ReadBodyAsync<MappingBody>(request, ct)
                ?? throw new ConnectorValidationException("anaplanCode", "A body with anaplanCode is required.");
            await storage.EnsureCreatedOnceAsync();
            return ApiResult.Ok(await mappings.SetAsync(connection, dimension, sageCode, body.AnaplanCode, edge.Caller(request), body.Note, time.GetUtcNow(), ct));
        });

    [Function("RemoveMapping")]
    public Task<HttpResponseData> RemoveMappingAsync(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "connections/{connectionId}/mappings/{dimension}/{sageCode}")] HttpRequestData request,
        string connectionId,
        string dimension,
        string sageCode)
        => edge.RunAsync(request, "remove-mapping", $"{connectionId}/{dimension}/{sageCode}", async ct =>
        {
            string connection = this.Known(connectionId);
            await storage.EnsureCreatedOnceAsync();
            return ApiResult.Ok(new { removed = await mappings.RemoveAsync(connection, dimension, sageCode, edge.Caller(request), null, time.GetUtcNow(), ct) });
        });

    [Function("GetMappingHistory")]
    public Task<HttpResponseData> GetMappingHistoryAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "connections/{connectionId}/mappings/{dimension}/{sageCode}/history")] HttpRequestData request,
        string connectionId,
        string dimension,
        string sageCode)
        => edge.RunAsync(request, "get-mapping-history", $"{connectionId}/{dimension}/{sageCode}", async ct =>
        {
            string connection = this.Known(connectionId);
            await storage.EnsureCreatedOnceAsync();
            return ApiResult.Ok(await mappings.GetHistoryAsync(connection, dimension, sageCode, ct));
        });

    /// <summary>Starts a run and answers 202 with status links (200 with the same links when the run already existed).</summary>
    private Task<HttpResponseData> StartAsync(
        HttpRequestData request, DurableTaskClient client, string connectionId, Func<FlowStarter, CancellationToken, Task<StartRunResult>> start)
        => edge.RunAsync(request, "start-run", connectionId, async ct =>
        {
            StartRunResult started = await start(new FlowStarter(client, options, time), ct);
            return ApiEdge.StatusLinks(request, client, started.InstanceId, started.Started ? HttpStatusCode.Accepted : HttpStatusCode.OK);
        });

    /// <summary>The configured connection's id.</summary>
    /// <exception cref="ConnectionNotFoundException">No such connection.</exception>
    private string Known(string connectionId) => options.CurrentValue.Get(connectionId).Id;

    private sealed record MappingBody(string AnaplanCode, string? Note);
}
