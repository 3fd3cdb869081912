using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Connector.Orchestrations.Operations.Api;

/// <summary>
/// The one edge of the operator API, shared by every host (the Functions app's HTTP triggers and the local host's
/// Kestrel app): (1) refuses writes with 403 while <c>Ops:ReadOnly</c> is true, a write being any method other than GET
/// or HEAD, so marking an endpoint read or write is choosing its verb; (2) logs every write as an operator action; (3)
/// answers with the work's result as JSON (or as the text it produced); and (4) maps the connector's own exceptions to
/// ProblemDetails (RFC 9457, <c>application/problem+json</c>): 400 invalid request, 404 connection or run not found, 409
/// wrong state or flow disabled (404 too for an endpoint the host does not have), 501 not supported by the backend, and 500 (without internals) for anything else.
/// A host turns its request into an <see cref="ApiRequest"/> and writes the <see cref="ApiResponse"/> back; nothing else.
/// </summary>
public sealed class OperatorEdge(IOptionsMonitor<OpsOptions> options, ILogger<OperatorEdge> logger)
{
    /// <summary>The JSON of every body of this API: camelCase, enums as names, nulls left out.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Gets a value indicating whether the API refuses writes (<c>Ops:ReadOnly</c>).</summary>
    public bool ReadOnly => options.CurrentValue.ReadOnly;

    /// <summary>
    /// Who made a change, as recorded in the audit: the caller the host vouches for (<see cref="ApiRequest.Caller"/>);
    /// else the platform's principal when App Service authentication is on (the platform then removes any
    /// X-MS-CLIENT-PRINCIPAL-* header a caller sends and sets its own); otherwise the caller only proved it holds a
    /// function key, and a header it sends proves nothing.
    /// </summary>
    public static string Caller(ApiRequest request, OpsOptions options)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        return request.Caller
            ?? (options.AppServiceAuthentication && request.Header("X-MS-CLIENT-PRINCIPAL-NAME") is { Length: > 0 } name
                ? name
                : "function key");
    }

    /// <summary>Who made a change (<see cref="Caller(ApiRequest, OpsOptions)"/> with this host's settings).</summary>
    public string Caller(ApiRequest request) => Caller(request, options.CurrentValue);

    /// <summary>Runs one request of a shared route through the edge.</summary>
    public Task<ApiResponse> RunAsync(ApiRequest request, OperatorRoute route, OperatorApi api, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(route);
        return this.RunAsync(request, route.Operation(request), route.Target(request), ct => route.Handle(api, request, ct), cancellationToken);
    }

    /// <summary>Runs one request through the edge.</summary>
    /// <param name="request">The request.</param>
    /// <param name="operation">What the request does (logged for writes), e.g. <c>terminate</c>.</param>
    /// <param name="target">What it acts on (logged for writes), e.g. the run id.</param>
    /// <param name="work">The work; its result is the answer.</param>
    /// <param name="cancellationToken">Cancelled when the caller goes away.</param>
    public async Task<ApiResponse> RunAsync(
        ApiRequest request, string operation, string target, Func<CancellationToken, Task<ApiResult>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(work);
        if (!request.IsRead && this.ReadOnly)
        {
            return Problem(request, ReadOnlyProblem(operation));
        }

        if (!request.IsRead)
        {
            Logs.OperatorAction(logger, operation, target);
        }

        try
        {
            return Answer(await work(cancellationToken));
        }
        catch (Exception ex) when (ToProblem(ex) is { } problem)
        {
            if (problem.Status == HttpStatusCode.InternalServerError)
            {
                Logs.OperatorRequestFailed(logger, ex, operation, target);
            }

            return Problem(request, problem);
        }
    }

    /// <summary>The 403 of a write while the API is read-only.</summary>
    public static ApiProblem ReadOnlyProblem(string operation)
        => new(
            ProblemTypes.ReadOnly,
            "The API is read-only",
            HttpStatusCode.Forbidden,
            $"The API is read-only (Ops:ReadOnly): '{operation}' changes state and is refused; reads are allowed.");

    /// <summary>The ProblemDetails of an exception, or null when the edge lets it through (the request was cancelled).</summary>
    public static ApiProblem? ToProblem(Exception exception) => exception switch
    {
        OperationCanceledException => null,
        ConnectorValidationException e => new ApiProblem(ProblemTypes.Invalid, "The request is not valid", HttpStatusCode.BadRequest, e.Message)
        {
            Extensions = Extra(("field", e.Field)),
        },
        ConnectionNotFoundException e => new ApiProblem(ProblemTypes.ConnectionNotFound, "Connection not found", HttpStatusCode.NotFound, e.Message)
        {
            Extensions = Extra(("connectionId", e.ConnectionId)),
        },
        RunNotFoundException e => new ApiProblem(ProblemTypes.RunNotFound, "Run not found", HttpStatusCode.NotFound, e.Message)
        {
            Extensions = Extra(("instanceId", e.InstanceId)),
        },
        RunStateException e => new ApiProblem(ProblemTypes.WrongState, "The run is in the wrong state for this", HttpStatusCode.Conflict, e.Message)
        {
            Extensions = Extra(("instanceId", e.InstanceId), ("runStatus", e.Status?.ToString())),
        },
        FlowDisabledException e => new ApiProblem(ProblemTypes.FlowDisabled, "The flow is disabled", HttpStatusCode.Conflict, e.Message)
        {
            Extensions = Extra(("connectionId", e.ConnectionId), ("flow", e.Flow), ("setting", e.Setting)),
        },
        EndpointNotFoundException e => new ApiProblem(ProblemTypes.NoSuchEndpoint, "No such endpoint", HttpStatusCode.NotFound, e.Message),
        OperationNotSupportedException e => new ApiProblem(ProblemTypes.NotSupported, "Not supported by the durable backend", HttpStatusCode.NotImplemented, e.Message),
        _ => new ApiProblem(ProblemTypes.Internal, "The request failed", HttpStatusCode.InternalServerError, "The request failed unexpectedly; the function's log has the details."),
    };

    /// <summary>A problem answer to <paramref name="request"/> (its path is the problem's <c>instance</c>).</summary>
    public static ApiResponse Problem(ApiRequest request, ApiProblem problem)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(problem);
        return new ApiResponse(
            problem.Status,
            "application/problem+json; charset=utf-8",
            JsonSerializer.SerializeToUtf8Bytes(problem with { Instance = request.Url.AbsolutePath }, Json),
            []);
    }

    /// <summary>The response of a result: its JSON (or text) body and headers.</summary>
    public static ApiResponse Answer(ApiResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var headers = new List<KeyValuePair<string, string>>();
        if (result.Location is { } location)
        {
            headers.Add(new("Location", location));
        }

        if (result.Headers is { } more)
        {
            headers.AddRange(more);
        }

        return result.ContentType is { } contentType
            ? new ApiResponse(result.Status, contentType, Encoding.UTF8.GetBytes(result.Body as string ?? string.Empty), headers)
            : new ApiResponse(result.Status, "application/json; charset=utf-8", JsonSerializer.SerializeToUtf8Bytes(result.Body, Json), headers);
    }

    private static Dictionary<string, object?> Extra(params (string Name, string? Value)[] members)
        => members.Where(m => !string.IsNullOrEmpty(m.Value)).ToDictionary(m => m.Name, m => (object?)m.Value, StringComparer.Ordinal);
}
