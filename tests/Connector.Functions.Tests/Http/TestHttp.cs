using System.Collections.Immutable;
using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace Connector.Functions.Tests.Http;

/// <summary>
/// The invocation context the isolated worker hands a function, reduced to what HTTP functions read: the services of
/// the app (the HTTP extensions and <c>CreateCheckStatusResponseAsync</c> take the worker's serializer from
/// <c>IOptions&lt;WorkerOptions&gt;</c> there) and the invocation's cancellation token. The binding, trace and retry
/// contexts are not modelled: a function touching them fails the test instead of reading made-up values.
/// </summary>
public sealed class TestFunctionContext(IServiceProvider services, string functionName, CancellationToken cancellationToken) : FunctionContext
{
    public override string InvocationId { get; } = Guid.NewGuid().ToString();

    public override string FunctionId { get; } = functionName;

    public override IServiceProvider InstanceServices { get; set; } = services;

    public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();

    public override CancellationToken CancellationToken { get; } = cancellationToken;

    public override TraceContext TraceContext => throw NotModelled();

    public override BindingContext BindingContext => throw NotModelled();

    public override RetryContext RetryContext => throw NotModelled();

    public override FunctionDefinition FunctionDefinition => throw NotModelled();

    public override IInvocationFeatures Features => throw NotModelled();

    private static NotSupportedException NotModelled() => new("The test function context does not model this part of an invocation.");
}

/// <summary>An HTTP request as the worker builds it: method, absolute URL, headers and a readable body stream.</summary>
public sealed class TestHttpRequestData : HttpRequestData
{
    public TestHttpRequestData(FunctionContext context, string method, Uri url, string? body)
        : base(context)
    {
        this.Method = method;
        this.Url = url;
        this.Body = new MemoryStream(Encoding.UTF8.GetBytes(body ?? string.Empty));
        if (body is not null)
        {
            this.Headers.Add("Content-Type", "application/json");
        }
    }

    public override Stream Body { get; }

    public override HttpHeadersCollection Headers { get; } = [];

    public override IReadOnlyCollection<IHttpCookie> Cookies { get; } = [];

    public override Uri Url { get; }

    public override IEnumerable<ClaimsIdentity> Identities { get; } = [];

    public override string Method { get; }

    public override HttpResponseData CreateResponse() => new TestHttpResponseData(this.FunctionContext);
}

/// <summary>A response as the worker sends it back: status, headers and the body written into a memory stream.</summary>
public sealed class TestHttpResponseData(FunctionContext context) : HttpResponseData(context)
{
    public override HttpStatusCode StatusCode { get; set; } = HttpStatusCode.OK;

    public override HttpHeadersCollection Headers { get; set; } = [];

    public override Stream Body { get; set; } = new MemoryStream();

    public override HttpCookies Cookies { get; } = new NoCookies();

    private sealed class NoCookies : HttpCookies
    {
        public override void Append(string name, string value) => throw new NotSupportedException("The connector's API sets no cookies.");

        public override void Append(IHttpCookie cookie) => throw new NotSupportedException("The connector's API sets no cookies.");

        public override IHttpCookie CreateNew() => throw new NotSupportedException("The connector's API sets no cookies.");
    }
}

/// <summary>What an HTTP caller receives: the status, the headers and the body (parsed when it is JSON).</summary>
public sealed class Answer
{
    private Answer(HttpStatusCode status, HttpHeadersCollection headers, string body)
    {
        this.Status = status;
        this.Headers = headers;
        this.Body = body;
    }

    public HttpStatusCode Status { get; }

    public HttpHeadersCollection Headers { get; }

    public string Body { get; }

    /// <summary>Gets the body as JSON (fails the test when it is not).</summary>
    public JsonElement Json
    {
        get
        {
            using JsonDocument doc = JsonDocument.Parse(this.Body);
            return doc.RootElement.Clone();
        }
    }

    /// <summary>Gets the <c>detail</c> of a ProblemDetails body (failing the test when the answer is not one).</summary>
    public string Error
    {
        get
        {
            Assert.True(this.Header("Content-Type")?.StartsWith("application/problem+json", StringComparison.Ordinal), $"not a problem answer: {this}");
            return this.Json.GetProperty("detail").GetString()!;
        }
    }

    /// <summary>Gets the <c>type</c> of a ProblemDetails body.</summary>
    public string ProblemType => this.Json.GetProperty("type").GetString()!;

    /// <summary>Gets one header's value, or null.</summary>
    public string? Header(string name) => this.Headers.TryGetValues(name, out IEnumerable<string>? values) ? string.Join(",", values) : null;

    public static Answer From(HttpResponseData response)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Body.Position = 0;
        using var reader = new StreamReader(response.Body, Encoding.UTF8, leaveOpen: true);
        return new Answer(response.StatusCode, response.Headers, reader.ReadToEnd());
    }

    public override string ToString() => $"{(int)this.Status} {this.Status}: {this.Body}";
}

/// <summary>Builds requests to the app as a caller addresses it (<c>https://connector.example/api/...</c>).</summary>
public sealed class TestCaller(IServiceProvider appServices)
{
    public static readonly Uri BaseUrl = new("https://connector.example");

    /// <summary>Gets how long one call may take before its cancellation token fires.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Calls a function with a request built from the method, the route (below /api/) and the JSON body.</summary>
    public async Task<Answer> CallAsync(string method, string route, string? body, string functionName, Func<HttpRequestData, Task<HttpResponseData>> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        using var cts = new CancellationTokenSource(CallTimeout);
        var context = new TestFunctionContext(appServices, functionName, cts.Token);
        var request = new TestHttpRequestData(context, method, new Uri(BaseUrl, "/api/" + route), body);
        HttpResponseData response = await function(request);
        return Answer.From(response);
    }
}
