using System.Collections.Specialized;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Connector.Orchestrations.Operations.Api;

/// <summary>
/// One HTTP request to the operator API as the shared edge sees it, whatever hosts it (an Azure Functions HTTP trigger
/// or the local host's Kestrel app): method, URL, route values, headers and a body read on demand.
/// </summary>
public sealed class ApiRequest
{
    private readonly Func<string, string?> header;
    private readonly Func<CancellationToken, Task<string>> readBody;
    private readonly Dictionary<string, string> routeValues;
    private NameValueCollection? query;

    public ApiRequest(
        string method,
        Uri url,
        IEnumerable<KeyValuePair<string, string>> routeValues,
        Func<string, string?> header,
        Func<CancellationToken, Task<string>> readBody)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        this.Method = method.ToUpperInvariant();
        this.Url = url ?? throw new ArgumentNullException(nameof(url));
        this.routeValues = new Dictionary<string, string>(routeValues, StringComparer.OrdinalIgnoreCase);
        this.header = header ?? throw new ArgumentNullException(nameof(header));
        this.readBody = readBody ?? throw new ArgumentNullException(nameof(readBody));
    }

    /// <summary>Gets the method, upper case.</summary>
    public string Method { get; }

    /// <summary>Gets the absolute URL.</summary>
    public Uri Url { get; }

    /// <summary>Gets the route values (decoded).</summary>
    public IReadOnlyDictionary<string, string> RouteValues => this.routeValues;

    /// <summary>Gets a value indicating whether the request only reads (GET or HEAD): any other method is a write.</summary>
    public bool IsRead => this.Method is "GET" or "HEAD";

    /// <summary>Gets a query-string parameter, or null.</summary>
    public string? Query(string name) => (this.query ??= System.Web.HttpUtility.ParseQueryString(this.Url.Query))[name];

    /// <summary>Gets a route value.</summary>
    /// <exception cref="ArgumentException">The route has no such value (a programming error).</exception>
    public string Route(string name)
        => this.routeValues.TryGetValue(name, out string? value) ? value : throw new ArgumentException($"The route has no value '{name}'.", nameof(name));

    /// <summary>Gets a header's value, or null.</summary>
    public string? Header(string name) => this.header(name);

    /// <summary>
    /// Gets who the host itself vouches the caller is (the local host: the operating-system user running it), or null
    /// when the host has only a function key to go by; <see cref="OperatorEdge.Caller"/> decides what a change is recorded as done by.
    /// </summary>
    public string? Caller { get; init; }

    /// <summary>Reads a JSON body; null when the body is empty.</summary>
    /// <exception cref="ConnectorValidationException">The body is not valid JSON for <typeparamref name="T"/>.</exception>
    public async Task<T?> BodyAsync<T>(CancellationToken cancellationToken)
        where T : class
    {
        string text = await this.readBody(cancellationToken);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<T>(text, OperatorEdge.Json);
        }
        catch (JsonException ex)
        {
            string? field = ex.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : null;
            throw new ConnectorValidationException(field, $"The request body is not valid: {ex.Message}", ex);
        }
    }
}

/// <summary>
/// What a request answers: a status and a JSON body (optionally a <c>Location</c>), or with <see cref="ContentType"/>
/// set, a body that is already text (CSV, HTML, a script...).
/// </summary>
public sealed record ApiResult(HttpStatusCode Status, object? Body, string? Location = null)
{
    /// <summary>Gets the content type of a text body (<see cref="Body"/> is then a string); null for JSON.</summary>
    public string? ContentType { get; init; }

    /// <summary>Gets more headers to send.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>200 with a body.</summary>
    public static ApiResult Ok(object? body) => new(HttpStatusCode.OK, body);

    /// <summary>202 with a body.</summary>
    public static ApiResult Accepted(object? body) => new(HttpStatusCode.Accepted, body);

    /// <summary>200 with a text body of the given content type.</summary>
    public static ApiResult Text(string text, string contentType, IReadOnlyDictionary<string, string>? headers = null)
        => new(HttpStatusCode.OK, text) { ContentType = contentType, Headers = headers };

    /// <summary>302 to <paramref name="location"/>.</summary>
    public static ApiResult Redirect(string location) => new(HttpStatusCode.Redirect, null, location) { ContentType = "text/plain; charset=utf-8" };
}

/// <summary>What the edge answers, ready for a host to write: status, content type, body bytes and headers.</summary>
public sealed record ApiResponse(HttpStatusCode Status, string ContentType, byte[] Body, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary>Gets the body as text.</summary>
    public string Text => System.Text.Encoding.UTF8.GetString(this.Body);
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
    public const string Forbidden = "urn:connector:problem:forbidden";
    public const string NoSuchEndpoint = "urn:connector:problem:no-such-endpoint";
    public const string ConnectionNotFound = "urn:connector:problem:connection-not-found";
    public const string RunNotFound = "urn:connector:problem:run-not-found";
    public const string WrongState = "urn:connector:problem:wrong-state";
    public const string FlowDisabled = "urn:connector:problem:flow-disabled";
    public const string NotSupported = "urn:connector:problem:not-supported";
    public const string Internal = "urn:connector:problem:internal";
}

/// <summary>Settings of the operator API (section <c>Ops</c>), the same on Azure Functions and on the local host.</summary>
public sealed class OpsOptions
{
    public const string SectionName = "Ops";

    /// <summary>Gets or sets a value indicating whether write actions (rewind, replay, terminate, purge...) are refused.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether App Service authentication (Easy Auth) is on for this app: only then is the
    /// platform's principal (X-MS-CLIENT-PRINCIPAL-NAME) recorded as who made a change (a mapping, a rewind...); otherwise "function key".
    /// The infrastructure sets it together with authentication.
    /// </summary>
    public bool AppServiceAuthentication { get; set; }
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
