using System.Net;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace Connector.Functions.Http;

/// <summary>
/// Starting runs on demand and managing a connection's mappings and audit over HTTP. Thin: <see cref="FlowStarter"/>,
/// <see cref="MappingStore"/> and <see cref="AuditStore"/> do the work. A run id is deterministic per request key, so a
/// retried request with the same key answers with the run it already started.
/// </summary>
public sealed class FlowFunctions(
    IOptionsMonitor<ConnectorOptions> options, IOptions<OpsOptions> ops, TimeProvider time, MappingStore mappings, AuditStore audit, ConnectorStorage storage)
{
    [Function("StartActualsRun")]
    public Task<HttpResponseData> StartActualsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "connections/{connectionId}/runs/actuals")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string connectionId)
        => this.StartAsync(request, client, async (starter, ct) => await starter.StartActualsAsync(
            connectionId, "http", await OpsFunctions.ReadBodyAsync<ActualsRunRequest>(request, ct) ?? new ActualsRunRequest(), ct));

    [Function("StartBudgetsRun")]
    public Task<HttpResponseData> StartBudgetsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "connections/{connectionId}/runs/budgets")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string connectionId)
        => this.StartAsync(request, client, async (starter, ct) => await starter.StartBudgetsAsync(
            connectionId, "http", await OpsFunctions.ReadBodyAsync<BudgetRunRequest>(request, ct) ?? new BudgetRunRequest(), ct));

    [Function("GetRunAudit")]
    public Task<HttpResponseData> GetRunAuditAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "connections/{connectionId}/runs/{runId}/audit")] HttpRequestData request,
        string connectionId,
        string runId)
        => OpsFunctions.HandleAsync(request, async ct =>
        {
            await storage.EnsureCreatedOnceAsync();
            RunAudit run = await audit.GetRunAsync(connectionId, runId, ct) ?? throw new RunNotFoundException(runId);
            var records = new List<RecordAudit>();
            await foreach (RecordAudit record in audit.GetRecordsAsync(runId, null, ct))
            {
                if (records.Count >= 1000)
                {
                    break;
                }

                records.Add(record);
            }

            return (HttpStatusCode.OK, new { run, datasets = await audit.GetDatasetsAsync(runId, ct), records, recordsTruncatedAt = records.Count >= 1000 ? 1000 : (int?)null });
        });

    [Function("ListMappings")]
    public Task<HttpResponseData> ListMappingsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "connections/{connectionId}/mappings/{dimension}")] HttpRequestData request,
        string connectionId,
        string dimension)
        => OpsFunctions.HandleAsync(request, async ct =>
        {
            await storage.EnsureCreatedOnceAsync();
            var entries = new List<MappingEntry>();
            await foreach (MappingEntry entry in mappings.ListAsync(this.Known(connectionId), dimension, ct))
            {
                entries.Add(entry);
            }

            return (HttpStatusCode.OK, entries);
        });

    [Function("SetMapping")]
    public Task<HttpResponseData> SetMappingAsync(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = "connections/{connectionId}/mappings/{dimension}/{sageCode}")] HttpRequestData request,
        string connectionId,
        string dimension,
        string sageCode)
        => this.WriteAsync(request, async ct =>
        {
            MappingBody body = await OpsFunctions.ReadBodyAsync<MappingBody>(request, ct) ?? throw new ArgumentException("A body with anaplanCode is required.");
            MappingEntry entry = await mappings.SetAsync(this.Known(connectionId), dimension, sageCode, body.AnaplanCode, ChangedBy(request), body.Note, time.GetUtcNow(), ct);
            return (HttpStatusCode.OK, entry);
        });

    [Function("RemoveMapping")]
    public Task<HttpResponseData> RemoveMappingAsync(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "connections/{connectionId}/mappings/{dimension}/{sageCode}")] HttpRequestData request,
        string connectionId,
        string dimension,
        string sageCode)
        => this.WriteAsync(request, async ct =>
            (HttpStatusCode.OK, new { removed = await mappings.RemoveAsync(this.Known(connectionId), dimension, sageCode, ChangedBy(request), null, time.GetUtcNow(), ct) }));

    [Function("GetMappingHistory")]
    public Task<HttpResponseData> GetMappingHistoryAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "connections/{connectionId}/mappings/{dimension}/{sageCode}/history")] HttpRequestData request,
        string connectionId,
        string dimension,
        string sageCode)
        => OpsFunctions.HandleAsync(request, async ct =>
        {
            await storage.EnsureCreatedOnceAsync();
            return (HttpStatusCode.OK, await mappings.GetHistoryAsync(this.Known(connectionId), dimension, sageCode, ct));
        });

    /// <summary>Starts a run and answers 202 with status links (200 with the same links when the run already existed).</summary>
    private async Task<HttpResponseData> StartAsync(
        HttpRequestData request, DurableTaskClient client, Func<FlowStarter, CancellationToken, Task<StartRunResult>> start)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (ops.Value.ReadOnly)
        {
            return await OpsFunctions.Respond(request, HttpStatusCode.Forbidden, new { error = "The API is read-only (Ops:ReadOnly)." });
        }

        CancellationToken ct = request.FunctionContext.CancellationToken;
        try
        {
            StartRunResult started = await start(new FlowStarter(client, options, time), ct);
            return await OpsFunctions.CheckStatusAsync(request, client, started.InstanceId, started.Started ? HttpStatusCode.Accepted : HttpStatusCode.OK);
        }
        catch (KeyNotFoundException ex)
        {
            return await OpsFunctions.Respond(request, HttpStatusCode.NotFound, new { error = ex.Message });
        }
        catch (InvalidOperationException ex)
        {
            return await OpsFunctions.Respond(request, HttpStatusCode.Conflict, new { error = ex.Message });
        }
        catch (Exception ex) when (ex is ArgumentException or System.Text.Json.JsonException)
        {
            return await OpsFunctions.Respond(request, HttpStatusCode.BadRequest, new { error = ex.Message });
        }
    }

    /// <summary>
    /// Who made a change: the platform's principal when App Service authentication is on (the platform then removes any
    /// X-MS-CLIENT-PRINCIPAL-* header a caller sends and sets its own); otherwise the caller only proved it holds a
    /// function key, and a header it sends proves nothing.
    /// </summary>
    private string ChangedBy(HttpRequestData request)
        => ops.Value.AppServiceAuthentication
            && request.Headers.TryGetValues("X-MS-CLIENT-PRINCIPAL-NAME", out IEnumerable<string>? names)
            && names.FirstOrDefault() is { Length: > 0 } name
                ? name
                : "function key";

    private string Known(string connectionId)
    {
        try
        {
            return options.CurrentValue.Get(connectionId).Id;
        }
        catch (KeyNotFoundException ex)
        {
            throw new RunNotFoundException(ex.Message, ex);
        }
    }

    private async Task<HttpResponseData> WriteAsync(HttpRequestData request, Func<CancellationToken, Task<(HttpStatusCode, object)>> write)
    {
        if (ops.Value.ReadOnly)
        {
            return await OpsFunctions.Respond(request, HttpStatusCode.Forbidden, new { error = "The API is read-only (Ops:ReadOnly)." });
        }

        await storage.EnsureCreatedOnceAsync();
        return await OpsFunctions.HandleAsync(request, write);
    }

    private sealed record MappingBody(string AnaplanCode, string? Note);
}
