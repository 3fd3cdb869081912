using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Connector.Orchestrations.Operations;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Connector.Functions.Http;

/// <summary>
/// The one HTTP edge of the API: every HTTP function hands its request and its work to <see cref="RunAsync"/>, which
/// (1) refuses writes with 403 while <c>Ops:ReadOnly</c> is true, a write being any method other than GET or HEAD, so
/// marking an endpoint read or write is choosing its verb; (2) logs every write as an operator action; (3) answers with
/// the work's result as JSON; and (4) maps the connector's own exceptions to ProblemDetails (RFC 9457,
/// <c>application/problem+json</c>): 400 invalid request, 404 connection or run not found, 409 wrong state or flow
/// disabled, 501 not supported by the backend, and 500 (without internals) for anything else.
/// </summary>
public sealed class ApiEdge(IOptions<OpsOptions> options, ILogger<ApiEdge> logger)
{
    /// <summary>The JSON of every body of this API: camelCase, enums as names, nulls left out.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Runs one request through the edge.</summary>
    /// <param name="request">The request.</param>
    /// <param name="operation">What the request does (logged for writes), e.g. <c>terminate</c>.</param>
    /// <param name="target">What it acts on (logged for writes), e.g. the run id.</param>
    /// <param name="work">The work; its result is the answer.</param>
    public async Task<HttpResponseData> RunAsync(
        HttpRequestData request, string operation, string target, Func<CancellationToken, Task<ApiResult>> work)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(work);
        bool write = !IsRead(request.Method);
        if (write && options.Value.ReadOnly)
        {
            return await WriteProblemAsync(request, new ApiProblem(
                ProblemTypes.ReadOnly,
                "The API is read-only",
                HttpStatusCode.Forbidden,
                $"The API is read-only (Ops:ReadOnly): '{operation}' changes state and is refused; reads are allowed."));
        }

        if (write)
        {
            Logs.OperatorAction(logger, operation, target);
        }

        try
        {
            ApiResult result = await work(request.FunctionContext.CancellationToken);
            HttpResponseData response = await WriteJsonAsync(request, result.Status, result.Body, "application/json; charset=utf-8");
            if (result.Location is { } location)
            {
                response.Headers.Add("Location", location);
            }

            return response;
        }
        catch (Exception ex) when (ToProblem(ex) is { } problem)
        {
            if (problem.Status == HttpStatusCode.InternalServerError)
            {
                Logs.RequestFailed(logger, ex, operation, target);
            }

            return await WriteProblemAsync(request, problem);
        }
    }

    /// <summary>
    /// Who made a change: the platform's principal when App Service authentication is on (the platform then removes any
    /// X-MS-CLIENT-PRINCIPAL-* header a caller sends and sets its own); otherwise the caller only proved it holds a
    /// function key, and a header it sends proves nothing.
    /// </summary>
    public string Caller(HttpRequestData request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return options.Value.AppServiceAuthentication
            && request.Headers.TryGetValues("X-MS-CLIENT-PRINCIPAL-NAME", out IEnumerable<string>? names)
            && names.FirstOrDefault() is { Length: > 0 } name
                ? name
                : "function key";
    }

    /// <summary>Reads a JSON body; null when the body is empty.</summary>
    /// <exception cref="ConnectorValidationException">The body is not valid JSON for <typeparamref name="T"/>.</exception>
    public static async Task<T?> ReadBodyAsync<T>(HttpRequestData request, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        using var reader = new StreamReader(request.Body);
        string text = await reader.ReadToEndAsync(cancellationToken);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<T>(text, Json);
        }
        catch (JsonException ex)
        {
            string? field = ex.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : null;
            throw new ConnectorValidationException(field, $"The request body is not valid: {ex.Message}", ex);
        }
    }

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
        OperationNotSupportedException e => new ApiProblem(ProblemTypes.NotSupported, "Not supported by the durable backend", HttpStatusCode.NotImplemented, e.Message),
        _ => new ApiProblem(ProblemTypes.Internal, "The request failed", HttpStatusCode.InternalServerError, "The request failed unexpectedly; the function's log has the details."),
    };

    private static bool IsRead(string method)
        => string.Equals(method, "GET", StringComparison.OrdinalIgnoreCase) || string.Equals(method, "HEAD", StringComparison.OrdinalIgnoreCase);

    private static Dictionary<string, object?> Extra(params (string Name, string? Value)[] members)
        => members.Where(m => !string.IsNullOrEmpty(m.Value)).ToDictionary(m => m.Name, m => (object?)m.Value, StringComparer.Ordinal);

    private static Task<HttpResponseData> WriteProblemAsync(HttpRequestData request, ApiProblem problem)
        => WriteJsonAsync(
            request,
            problem.Status,
            problem with { Instance = request.Url.AbsolutePath },
            "application/problem+json; charset=utf-8");

    private static async Task<HttpResponseData> WriteJsonAsync(HttpRequestData request, HttpStatusCode status, object? body, string contentType)
    {
        HttpResponseData response = request.CreateResponse(status);
        response.Headers.Add("Content-Type", contentType);
        await response.WriteStringAsync(JsonSerializer.Serialize(body, Json));
        return response;
    }
}

/// <summary>What a request answers: a status, a JSON body and optionally a <c>Location</c>.</summary>
public sealed record ApiResult(HttpStatusCode Status, object? Body, string? Location = null)
{
    /// <summary>200 with a body.</summary>
    public static ApiResult Ok(object? body) => new(HttpStatusCode.OK, body);

    /// <summary>202 with a body.</summary>
    public static ApiResult Accepted(object? body) => new(HttpStatusCode.Accepted, body);
}

/// <summary>An RFC 9457 problem: <c>type</c>, <c>title</c>, <c>status</c>, <c>detail</c>, <c>instance</c> and extension members.</summary>
public sealed record ApiProblem(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonIgnore] HttpStatusCode Status,
    [property: JsonPropertyName("detail")] string Detail)
{
    /// <summary>Gets the status as a number (the JSON member <c>status</c>).</summary>
    [JsonPropertyName("status")]
    public int StatusCode => (int)this.Status;

    /// <summary>Gets the request path the problem occurred on.</summary>
    [JsonPropertyName("instance")]
    public string? Instance { get; init; }

    /// <summary>Gets the extension members (<c>field</c>, <c>instanceId</c>, <c>connectionId</c>...).</summary>
    [JsonExtensionData]
    public IDictionary<string, object?>? Extensions { get; init; }
}

/// <summary>The problem types this API answers with (URIs a client may switch on).</summary>
public static class ProblemTypes
{
    public const string Invalid = "urn:connector:problem:invalid-request";
    public const string ReadOnly = "urn:connector:problem:read-only";
    public const string ConnectionNotFound = "urn:connector:problem:connection-not-found";
    public const string RunNotFound = "urn:connector:problem:run-not-found";
    public const string WrongState = "urn:connector:problem:wrong-state";
    public const string FlowDisabled = "urn:connector:problem:flow-disabled";
    public const string NotSupported = "urn:connector:problem:not-supported";
    public const string Internal = "urn:connector:problem:internal";
}

/// <summary>Query-string values, parsed with errors that name the parameter and what it accepts.</summary>
public static class ApiQuery
{
    /// <summary>Reads an integer parameter within a range.</summary>
    public static int? Int(string? text, string name, int min, int max)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw new ConnectorValidationException(name, $"{name} must be a whole number from {min} to {max}, not '{text}'.");
    }

    /// <summary>Reads an ISO 8601 time parameter.</summary>
    public static DateTimeOffset? Time(string? text, string name)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset value)
            ? value
            : throw new ConnectorValidationException(name, $"{name} must be an ISO 8601 time such as 2026-11-26T02:00:00Z, not '{text}'.");
    }

    /// <summary>Reads a comma-separated list of enum names.</summary>
    public static TEnum[]? Enums<TEnum>(string? text, string name)
        where TEnum : struct, Enum
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(value =>
            !int.TryParse(value, out _) && Enum.TryParse(value, ignoreCase: true, out TEnum parsed)
                ? parsed
                : throw new ConnectorValidationException(name, $"'{value}' is not a valid {name}: use {string.Join(", ", Enum.GetNames<TEnum>())}."))];
    }

    /// <summary>Reads a true/false parameter.</summary>
    public static bool Flag(string? text, string name)
        => string.IsNullOrEmpty(text)
            ? false
            : bool.TryParse(text, out bool value) ? value : throw new ConnectorValidationException(name, $"{name} must be true or false, not '{text}'.");
}
