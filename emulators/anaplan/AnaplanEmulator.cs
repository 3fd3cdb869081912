using Connector.Emulators.Anaplan.Http;
using Connector.Emulators.Anaplan.Model;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Connector.Emulators.Anaplan;

/// <summary>
/// A running emulator of Anaplan's authentication service and Integration API v2 on loopback.
/// Auth lives at <c>{BaseAddress}token/...</c> and the API at <c>{BaseAddress}2/0/...</c>.
/// </summary>
/// <example>
/// <code>
/// await using var anaplan = await AnaplanEmulator.StartAsync(new AnaplanEmulatorOptions());
/// anaplan.State.AddUser("integration@example.com", "secret");
/// // point a client at anaplan.AuthBaseAddress and anaplan.ApiBaseAddress
/// </code>
/// </example>
public sealed class AnaplanEmulator : IAsyncDisposable
{
    private readonly WebApplication app;

    private AnaplanEmulator(WebApplication app, EmulatorState state, Uri baseAddress)
    {
        this.app = app;
        this.State = state;
        this.BaseAddress = baseAddress;
    }

    /// <summary>The root address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The auth base address (the same host): <c>{BaseAddress}</c>.</summary>
    public Uri AuthBaseAddress => this.BaseAddress;

    /// <summary>The Integration API base address: <c>{BaseAddress}2/0/</c>.</summary>
    public Uri ApiBaseAddress => new(this.BaseAddress, "2/0/");

    /// <summary>Seeding, inspection, counters, the request log and fault injection.</summary>
    public EmulatorState State { get; }

    /// <summary>The first model of the first workspace (in the shipped file: the FP&amp;A model).</summary>
    public EmulatedModel DefaultModel => this.State.Models[0];

    /// <summary>Starts an emulator and returns once it listens.</summary>
    /// <exception cref="InvalidDataException">The model definition is invalid; the message names the object and field.</exception>
    public static async Task<AnaplanEmulator> StartAsync(AnaplanEmulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new AnaplanEmulatorOptions();
        (WebApplication app, EmulatorState state) = Build(options, []);
        await app.StartAsync(cancellationToken);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new AnaplanEmulator(app, state, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>Builds the web application without starting it (the process entry point uses this).</summary>
    public static (WebApplication App, EmulatorState State) Build(AnaplanEmulatorOptions options, string[] args)
    {
        ArgumentNullException.ThrowIfNull(options);
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseUrls(options.Url);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The emulator enforces Anaplan's own limits (50 MB uncompressed per chunk) itself.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.AddServerHeader = false;
        });
        builder.Logging.ClearProviders();
        if (options.LoggerFactory is not null)
        {
            builder.Services.AddSingleton(options.LoggerFactory);
        }

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);

        ILogger logger = (options.LoggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("Connector.Emulators.Anaplan");
        EmulatorState state = EmulatorState.Create(options, logger);
        builder.Services.AddSingleton(state);

        WebApplication app = builder.Build();
        app.UseMiddleware<RequestPipeline>();
        AuthEndpoints.Map(app);
        ApiEndpoints.Map(app);
        ListEndpoints.Map(app);
        AdminEndpoints.Map(app);
        return (app, state);
    }

    /// <summary>Completes when the host shuts down (Ctrl+C or SIGTERM when run as a process).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => this.app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops listening and releases the port.</summary>
    public async ValueTask DisposeAsync()
    {
        await this.app.StopAsync();
        await this.app.DisposeAsync();
    }
}
