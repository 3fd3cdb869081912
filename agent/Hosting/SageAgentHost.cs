using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using Connector.Agent.Api;
using Connector.Agent.Backends;
using Connector.Agent.Backends.Boi;
using Connector.Agent.Backends.Simulated;
using Connector.Agent.Journal;
using Connector.Agent.Security;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging;

namespace Connector.Agent;

/// <summary>
/// Starts the Sage agent in-process (tests, the local demo, another host) or as the process's web host.
/// </summary>
public static class SageAgentHost
{
    /// <summary>
    /// Kestrel and ASP.NET Core categories that log the request target (query string included) or headers. They are
    /// silenced whatever the logging configuration says; the agent logs each request itself, without its query string.
    /// </summary>
    internal static readonly string[] RequestLoggingCategories =
    [
        "Microsoft.AspNetCore.Hosting.Diagnostics",
        "Microsoft.AspNetCore.HttpLogging",
        "Microsoft.AspNetCore.Server.Kestrel.BadRequests",
        "Microsoft.AspNetCore.W3CLogging",
    ];

    /// <summary>Starts an agent and returns once it listens.</summary>
    /// <exception cref="ArgumentException">An address is not https, or the backend name is unknown.</exception>
    public static Task<SageAgentHandle> StartAsync(AgentHostOptions options, CancellationToken cancellationToken = default)
        => StartAsync(options, [], cancellationToken);

    /// <summary>Starts an agent whose web host also reads <paramref name="args"/> (the process's command line).</summary>
    /// <exception cref="ArgumentException">An endpoint is not https (however it is configured), or the backend name is unknown.</exception>
    internal static async Task<SageAgentHandle> StartAsync(AgentHostOptions options, string[] args, CancellationToken cancellationToken = default)
    {
        (WebApplication app, X509Certificate2 certificate) = Build(options, args);
        try
        {
            await app.Services.GetRequiredService<ISageBackend>().StartAsync(cancellationToken);
            await app.StartAsync(cancellationToken);

            // The last word on HTTPS: whatever bound them (Urls, Kestrel endpoints from appsettings or environment, a
            // command line), every address the server listens on must be https, or the agent stops before serving.
            string[] plain = [.. (app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
                .Where(a => !a.StartsWith("https://", StringComparison.OrdinalIgnoreCase))];
            if (plain.Length > 0)
            {
                await app.StopAsync(CancellationToken.None);
                throw new ArgumentException(
                    $"The agent listens on HTTPS only, but {string.Join(", ", plain)} is plain HTTP (an endpoint from Kestrel:Endpoints, ASPNETCORE_URLS or --urls); remove it or make it https://.",
                    nameof(options));
            }
        }
        catch
        {
            await app.DisposeAsync();
            certificate.Dispose();
            throw;
        }

        var handle = new SageAgentHandle(app, certificate);
        ILogger logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Connector.Agent");
        string address = handle.BaseAddress.ToString();
        Logs.AgentStarted(logger, address, options.Backend, handle.CertificateSha256);
        return handle;
    }

    /// <summary>Builds the web application; <paramref name="args"/> feed configuration when run as a process.</summary>
    internal static (WebApplication App, X509Certificate2 Certificate) Build(AgentHostOptions options, string[] args)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (string url in options.Urls)
        {
            if (!url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"The agent listens on HTTPS only; '{url}' is not an https:// address.", nameof(options));
            }
        }

        string backendName = options.Backend.ToLowerInvariant();
        if (backendName is not ("simulated" or "boi"))
        {
            throw new ArgumentException($"Unknown backend '{options.Backend}': use simulated or boi.", nameof(options));
        }

        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        options.ConfigureLogging?.Invoke(builder.Logging);
        options.ConfigureHost?.Invoke(builder);
        builder.Services.PostConfigure<LoggerFilterOptions>(RequestLogging.SilenceRequestLogging);

        // Kestrel endpoints in configuration (appsettings, environment variables, command line) replace the Urls: each
        // one must be https too. Refused here, before anything listens, naming the setting.
        foreach (IConfigurationSection endpoint in builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            string url = endpoint["Url"] ?? string.Empty;
            if (!url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException(
                    $"The agent listens on HTTPS only; Kestrel:Endpoints:{endpoint.Key}:Url '{url}' is not an https:// address.", nameof(options));
            }
        }

        (X509Certificate2 certificate, string? createdAt) = AgentCertificate.LoadOrCreate(options.CertificatePath, options.CertificatePassword, options.CertificateKeyPath, options.CertificateDirectory, TimeProvider.System);
        builder.WebHost.UseUrls([.. options.Urls]);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.ConfigureHttpsDefaults(h => h.ServerCertificate = certificate);
        });

        var validator = new ApiKeyValidator(options.ApiKeyHashes.Concat(options.ApiKeys.Select(ApiKeyHasher.Hash)));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(options.Clock);
        builder.Services.AddSingleton(validator);
        builder.Services.AddSingleton(sp => new JournalLedger(options.LedgerPath, options.Clock));
        builder.Services.AddSingleton<JournalService>();
        if (backendName == "simulated")
        {
            builder.Services.AddSingleton(sp => new SimulatedSageBackend(options.Simulated, options.Clock, sp.GetRequiredService<ILogger<SimulatedSageBackend>>()));
            builder.Services.AddSingleton<ISageBackend>(sp => sp.GetRequiredService<SimulatedSageBackend>());
        }
        else
        {
            builder.Services.AddSingleton<IBoiScriptFactory>(new ComBoiScriptFactory(options.Boi.ProgId));
            builder.Services.AddSingleton<ISageBackend>(sp => new BoiBackend(options.Boi, sp.GetRequiredService<IBoiScriptFactory>(), options.Clock, sp.GetRequiredService<ILogger<BoiBackend>>()));
        }

        WebApplication app = builder.Build();
        ILogger logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Connector.Agent");
        if (createdAt is not null)
        {
            Logs.SelfSignedCertificateCreated(logger, createdAt, AgentCertificate.Sha256Fingerprint(certificate));
        }

        if (!validator.HasKeys)
        {
            Logs.NoApiKeys(logger);
        }

        app.UseRequestLog(logger);
        app.UseSageErrors(options, logger);
        app.UseApiKeys(validator, logger);
        app.MapAgentApi(options);
        if (backendName == "simulated" && options.EnableSimulationRoutes)
        {
            app.MapSimulationApi(app.Services.GetRequiredService<SimulatedSageBackend>());
        }

        return (app, certificate);
    }
}

/// <summary>The agent's own request log and HTTPS guard, in place of ASP.NET Core's request logging.</summary>
internal static class RequestLogging
{
    /// <summary>
    /// Logs each request as method, path (never the query string, which may carry a key a caller put there by mistake),
    /// status and duration (and, at Debug, its start: what is in flight); and answers a request that did not arrive over
    /// TLS with 421 before anything reads it.
    /// </summary>
    public static IApplicationBuilder UseRequestLog(this IApplicationBuilder app, ILogger logger)
        => app.Use(async (HttpContext context, RequestDelegate next) =>
        {
            long started = Stopwatch.GetTimestamp();
            Logs.RequestStarted(logger, context.Request.Method, context.Request.Path.Value ?? "/");
            if (!context.Request.IsHttps)
            {
                context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
            }
            else
            {
                await next(context);
            }

            if (logger.IsEnabled(LogLevel.Information))
            {
                long elapsed = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                Logs.RequestServed(logger, context.Request.Method, context.Request.Path.Value ?? "/", context.Response.StatusCode, elapsed);
            }
        });

    /// <summary>
    /// Makes <see cref="SageAgentHost.RequestLoggingCategories"/> silent for every logger provider: a rule per provider
    /// (and one for all), more specific than any rule configuration can add, so none of them turns request logging back on.
    /// </summary>
    public static void SilenceRequestLogging(LoggerFilterOptions options)
    {
        List<string?> providers = [.. options.Rules.Select(r => r.ProviderName).Append(null).Distinct()];
        foreach (string category in SageAgentHost.RequestLoggingCategories)
        {
            for (int i = options.Rules.Count - 1; i >= 0; i--)
            {
                if (options.Rules[i].CategoryName is { } c && c.StartsWith(category, StringComparison.OrdinalIgnoreCase))
                {
                    options.Rules.RemoveAt(i);
                }
            }

            foreach (string? provider in providers)
            {
                options.Rules.Add(new LoggerFilterRule(provider, category, LogLevel.None, null));
            }
        }
    }
}

/// <summary>A running agent. Dispose to stop it.</summary>
public sealed class SageAgentHandle : IAsyncDisposable
{
    private readonly WebApplication app;

    internal SageAgentHandle(WebApplication app, X509Certificate2 certificate)
    {
        this.app = app;
        this.Certificate = certificate;
        this.BaseAddress = new Uri(app.Urls.First(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase)).TrimEnd('/') + "/");
        this.CertificateSha256 = AgentCertificate.Sha256Fingerprint(certificate);
        this.Backend = app.Services.GetRequiredService<ISageBackend>();
    }

    /// <summary>Gets the agent's https base address, e.g. <c>https://127.0.0.1:54321/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Gets the SHA-256 fingerprint of the agent's certificate (64 upper-case hex digits) for pinning.</summary>
    public string CertificateSha256 { get; }

    /// <summary>Gets the agent's certificate (public part is what clients see).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Gets the backend.</summary>
    public ISageBackend Backend { get; }

    /// <summary>Gets the simulated backend (seeding, mutation, faults, journal inspection); null with BOI.</summary>
    public SimulatedSageBackend? Simulated => this.Backend as SimulatedSageBackend;

    /// <summary>Gets the agent's services.</summary>
    public IServiceProvider Services => this.app.Services;

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await this.app.StopAsync();
        await this.app.DisposeAsync();
        this.Certificate.Dispose();
    }
}
