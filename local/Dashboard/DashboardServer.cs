using System.Net;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Operations.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Connector.Local.Dashboard;

/// <summary>
/// The operator API and the operations dashboard on the local host: a Kestrel app bound to 127.0.0.1 only that maps
/// every route of <see cref="OperatorRoutes"/> onto the same shared handlers and edge as the Functions app, over the
/// connector host's durable client and stores. Loopback is the only protection it has, so it also refuses requests
/// addressed to any other host name (DNS rebinding) and writes sent by another site's page (an <c>Origin</c> or
/// <c>Sec-Fetch-Site</c> that is not this origin); an <c>/api/</c> path it does not have answers 404 ProblemDetails, and in
/// read-only mode any write answers 403 whatever its path.
/// </summary>
public sealed class DashboardServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private DashboardServer(WebApplication app, Uri address)
    {
        this.app = app;
        this.Address = address;
    }

    /// <summary>Gets the server's base address (<c>http://127.0.0.1:{port}/</c>).</summary>
    public Uri Address { get; }

    /// <summary>Gets the dashboard's address.</summary>
    public Uri DashboardAddress => new(this.Address, "api/" + DashboardAssets.PagePath);

    /// <summary>Starts the server on 127.0.0.1:<paramref name="port"/> (0: a free port) over the connector host's services.</summary>
    public static async Task<DashboardServer> StartAsync(IServiceProvider connector, int port, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connector);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(DashboardServer).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        builder.Services.AddRouting();

        WebApplication app = builder.Build();
        var edge = connector.GetRequiredService<OperatorEdge>();
        var api = connector.GetRequiredService<OperatorApi>();
        app.Use(async (context, next) =>
        {
            if (Refusal(context) is { } refused)
            {
                await WriteAsync(context, OperatorEdge.Problem(ToApiRequest(context), refused));
                return;
            }

            await next(context);
        });
        app.MapGet("/", () => Results.Redirect("/api/" + DashboardAssets.PagePath));
        foreach (OperatorRoute route in OperatorRoutes.All)
        {
            string[] methods = route.Method == "GET" ? ["GET", "HEAD"] : [route.Method];
            app.MapMethods("/api/" + route.Template, methods, async context =>
            {
                ApiRequest request = ToApiRequest(context);
                await WriteAsync(context, await edge.RunAsync(request, route, api, context.RequestAborted));
            });
        }

        app.Map("/api/{**rest}", async context =>
        {
            ApiRequest request = ToApiRequest(context);
            string what = $"{request.Method} {context.Request.Path}";
            await WriteAsync(context, await edge.RunAsync(
                request, what, "*", _ => throw new EndpointNotFoundException(request.Method, context.Request.Path), context.RequestAborted));
        });

        await app.StartAsync(cancellationToken);
        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new DashboardServer(app, new Uri(bound.TrimEnd('/') + "/"));
    }

    /// <summary>Stops the server (requests in flight get a few seconds to finish).</summary>
    public async Task StopAsync(CancellationToken cancellationToken) => await this.app.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync() => await this.app.DisposeAsync();

    /// <summary>Why a request is refused before it reaches a route: a foreign host name, or a write from another site.</summary>
    private static ApiProblem? Refusal(HttpContext context)
    {
        HttpRequest request = context.Request;
        int port = context.Connection.LocalPort;
        string host = request.Host.Host;
        bool loopbackName = host is "127.0.0.1" or "localhost" or "[::1]" or "::1";
        if (!loopbackName || (request.Host.Port ?? 80) != port)
        {
            return new ApiProblem(
                ProblemTypes.Forbidden,
                "Not addressed to this loopback server",
                HttpStatusCode.Forbidden,
                $"The local dashboard answers only requests addressed to 127.0.0.1:{port} or localhost:{port}, not '{request.Host}'.");
        }

        bool write = !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method);
        string? origin = request.Headers.Origin.FirstOrDefault();
        string? site = request.Headers["Sec-Fetch-Site"].FirstOrDefault();
        bool sameOrigin = origin is null
            || string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase);
        if (write && (!sameOrigin || site is "cross-site" or "same-site"))
        {
            return new ApiProblem(
                ProblemTypes.Forbidden,
                "Cross-site write refused",
                HttpStatusCode.Forbidden,
                $"A write must come from the dashboard's own page (origin {request.Scheme}://{request.Host}), not from '{origin ?? site}'.");
        }

        return null;
    }

    private static ApiRequest ToApiRequest(HttpContext context)
    {
        HttpRequest request = context.Request;
        return new ApiRequest(
            request.Method,
            new Uri(request.GetEncodedUrl()),
            request.RouteValues.Where(kv => kv.Value is not null && kv.Key != "rest").Select(kv => KeyValuePair.Create(kv.Key, Convert.ToString(kv.Value, System.Globalization.CultureInfo.InvariantCulture)!)),
            name => request.Headers.TryGetValue(name, out var values) ? values.ToString() : null,
            async ct =>
            {
                using var reader = new StreamReader(request.Body);
                return await reader.ReadToEndAsync(ct);
            })
        {
            Caller = Caller,
        };
    }

    /// <summary>Who the audit records a change as done by: the operating-system user running this loopback-only server.</summary>
    internal static string Caller => $"{Environment.UserName} (connector dashboard)";

    private static async Task WriteAsync(HttpContext context, ApiResponse response)
    {
        context.Response.StatusCode = (int)response.Status;
        context.Response.ContentType = response.ContentType;
        foreach ((string name, string value) in response.Headers)
        {
            context.Response.Headers[name] = value;
        }

        await context.Response.Body.WriteAsync(response.Body, context.RequestAborted);
    }
}
