using System.Net;
using Connector.Orchestrations.Operations.Api;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.DurableTask.Client;

namespace Connector.Functions.Http;

/// <summary>
/// The Functions side of the operator API's one edge: turns an HTTP trigger's request into an <see cref="ApiRequest"/>,
/// runs it through the shared <see cref="OperatorEdge"/> (read-only mode, operator-action log, JSON answers,
/// ProblemDetails for the connector's exceptions) and writes the answer back. The routes served by every host are
/// <see cref="OperatorRoutes"/>, with their handlers in <see cref="OperatorApi"/>; routes only the Functions app has (starting
/// runs, mappings, the self-test) pass their own work.
/// </summary>
public sealed class ApiEdge(OperatorEdge edge, OperatorApiServices services)
{
    /// <summary>Runs a request of a shared route (its route values named as in the route's template).</summary>
    public Task<HttpResponseData> RunAsync(
        HttpRequestData request, OperatorRoute route, DurableTaskClient client, params (string Name, string Value)[] routeValues)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(route);
        ApiRequest api = ToApiRequest(request, routeValues);
        return WriteAsync(request, edge.RunAsync(
            api,
            route.Operation(api),
            route.Target(api),
            ct => route.Handle(new OperatorApi(client, services), api, ct),
            request.FunctionContext.CancellationToken));
    }

    /// <summary>Runs one request through the edge.</summary>
    /// <param name="request">The request.</param>
    /// <param name="operation">What the request does (logged for writes), e.g. <c>start-run</c>.</param>
    /// <param name="target">What it acts on (logged for writes), e.g. the connection id.</param>
    /// <param name="work">The work; its result is the answer.</param>
    public Task<HttpResponseData> RunAsync(
        HttpRequestData request, string operation, string target, Func<CancellationToken, Task<ApiResult>> work)
    {
        ArgumentNullException.ThrowIfNull(request);
        return WriteAsync(request, edge.RunAsync(ToApiRequest(request, []), operation, target, work, request.FunctionContext.CancellationToken));
    }

    /// <summary>Who made a change, as the audit records it (<see cref="OperatorEdge.Caller(ApiRequest)"/>).</summary>
    public string Caller(HttpRequestData request) => edge.Caller(ToApiRequest(request, []));

    /// <summary>Reads a JSON body; null when the body is empty.</summary>
    /// <exception cref="Orchestrations.Operations.ConnectorValidationException">The body is not valid JSON for <typeparamref name="T"/>.</exception>
    public static Task<T?> ReadBodyAsync<T>(HttpRequestData request, CancellationToken cancellationToken)
        where T : class
        => ToApiRequest(request, []).BodyAsync<T>(cancellationToken);

    /// <summary>The status links of a run (the Durable Functions management URLs) with a <c>Location</c> header.</summary>
    /// <remarks>
    /// Not <c>CreateCheckStatusResponseAsync</c>: it writes <see cref="HttpManagementPayload"/> with the worker's
    /// System.Text.Json serializer, which ignores the payload's Newtonsoft <c>[JsonProperty("statusQueryGetUri")]</c>
    /// names and answers <c>Id</c>, <c>StatusQueryGetUri</c>... The links and the header are the same.
    /// </remarks>
    public static ApiResult StatusLinks(HttpRequestData request, DurableTaskClient client, string instanceId, HttpStatusCode status)
    {
        ArgumentNullException.ThrowIfNull(client);
        HttpManagementPayload links = client.CreateHttpManagementPayload(instanceId, request);
        return new ApiResult(status, links, links.StatusQueryGetUri);
    }

    /// <summary>The ProblemDetails of an exception, or null when the edge lets it through (the request was cancelled).</summary>
    public static ApiProblem? ToProblem(Exception exception) => OperatorEdge.ToProblem(exception);

    private static ApiRequest ToApiRequest(HttpRequestData request, IEnumerable<(string Name, string Value)> routeValues)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new ApiRequest(
            request.Method,
            request.Url,
            routeValues.Select(v => KeyValuePair.Create(v.Name, v.Value)),
            name => request.Headers.TryGetValues(name, out IEnumerable<string>? values) ? string.Join(",", values) : null,
            async ct =>
            {
                using var reader = new StreamReader(request.Body, leaveOpen: true);
                return await reader.ReadToEndAsync(ct);
            });
    }

    private static async Task<HttpResponseData> WriteAsync(HttpRequestData request, Task<ApiResponse> answer)
    {
        ApiResponse api = await answer;
        HttpResponseData response = request.CreateResponse(api.Status);
        response.Headers.Add("Content-Type", api.ContentType);
        foreach ((string name, string value) in api.Headers)
        {
            response.Headers.Add(name, value);
        }

        await response.Body.WriteAsync(api.Body);
        return response;
    }
}
