using System.Threading.Channels;
using Connector.Emulators.Anaplan;
using Connector.Emulators.Anaplan.Model;
using Connector.Orchestrations.Anaplan;
using Connector.Orchestrations.Credentials;
using Connector.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Connector.Orchestrations.Tests.Anaplan;

/// <summary>An emulator on loopback plus a client pointed at it over real HTTP.</summary>
internal sealed class AnaplanTestHost : IAsyncDisposable
{
    public const string User = "integration@example.com";
    public const string Password = "Pa55-w0rd-never-logged";
    public const string WorkspaceId = "8a81b09d5e8c6f27015ea0b3c5d80001";
    public const string ModelId = "75A40874E6B64FA3AE0743278996850F";
    public const string AccountsImport = "112000000001";
    public const string AccountsFile = "113000000001";
    public const string GlImport = "112000000004";
    public const string GlFile = "113000000004";
    public const string ApprovedBudgetExport = "116000000001";

    private AnaplanTestHost(AnaplanEmulator emulator, TimeProvider time)
    {
        this.Emulator = emulator;
        this.Time = time;
        this.Tokens = new AnaplanTokenProvider(time);
        this.Limiters = new AnaplanRateLimiters(time);
        this.Credentials.Set("anaplan-password", Password);
        this.loggerFactory = LoggerFactory.Create(b => b.AddProvider(this.Logs).SetMinimumLevel(LogLevel.Trace));

        // The registration production uses (ConnectorRuntime): clients come from AnaplanClientFactory over IHttpClientFactory,
        // sharing this host's token cache, rate limiters and clock; the probe sits in the named client's handler chain.
        var services = new ServiceCollection()
            .AddSingleton(this.loggerFactory)
            .AddSingleton(time)
            .AddSingleton<ICredentialStore>(this.Credentials)
            .AddSingleton(this.Tokens)
            .AddSingleton(this.Limiters);
        services.AddAnaplanClients().AddHttpMessageHandler(() => new ProbeHandler(this.Handler));
        this.services = services.BuildServiceProvider();
    }

    public AnaplanEmulator Emulator { get; }

    public EmulatorState State => this.Emulator.State;

    public EmulatedModel Model => this.Emulator.DefaultModel;

    public TimeProvider Time { get; }

    public InMemoryCredentialStore Credentials { get; } = new();

    public AnaplanTokenProvider Tokens { get; }

    public AnaplanRateLimiters Limiters { get; }

    public RequestProbe Handler { get; } = new();

    public CapturingLoggerProvider Logs { get; } = new();

    private readonly ILoggerFactory loggerFactory;
    private readonly ServiceProvider services;

    public static async Task<AnaplanTestHost> StartAsync(Action<AnaplanEmulatorOptions>? emulator = null, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var options = new AnaplanEmulatorOptions { TimeProvider = time };
        emulator?.Invoke(options);
        AnaplanEmulator started = await AnaplanEmulator.StartAsync(options);
        started.State.AddUser(User, Password);
        return new AnaplanTestHost(started, time);
    }

    public AnaplanClientOptions Options(Action<AnaplanClientOptions>? configure = null)
    {
        var options = new AnaplanClientOptions
        {
            AuthBaseUri = this.Emulator.AuthBaseAddress,
            ApiBaseUri = this.Emulator.ApiBaseAddress,
            WorkspaceId = WorkspaceId,
            ModelId = ModelId,
            Credential = new AnaplanCredentialOptions { UserName = User, PasswordReference = "anaplan-password" },
            RequestsPerMinute = 600,
            Retry = new AnaplanRetryOptions { BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(50), MaxRetryAttempts = 4 },
        };
        configure?.Invoke(options);
        return options;
    }

    public AnaplanClient Client(Action<AnaplanClientOptions>? configure = null)
        => this.services.GetRequiredService<AnaplanClientFactory>().Create(this.Options(configure));

    /// <summary>Waits (event-driven, bounded) until every task of the model is COMPLETE or CANCELLED.</summary>
    public Task TasksFinishedAsync() => this.State.WaitUntilAsync(
        () => this.Model.GetTasks().All(t => t.State is "COMPLETE" or "CANCELLED"), Bounded());

    public static CancellationToken Bounded() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    public async ValueTask DisposeAsync()
    {
        await this.Emulator.DisposeAsync();
        await this.services.DisposeAsync();
        this.Limiters.Dispose();
        this.loggerFactory.Dispose();
    }
}

/// <summary>Lets a test look at each request as it leaves.</summary>
internal sealed class RequestProbe
{
    public Action<HttpRequestMessage>? OnSend { get; set; }
}

/// <summary>The named client's handler that shows each request to the probe.</summary>
internal sealed class ProbeHandler(RequestProbe probe) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        probe.OnSend?.Invoke(request);
        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>A FakeTimeProvider that reports each one-shot timer created on it, so a test can advance time exactly
/// when the code under test has started waiting.</summary>
internal sealed class ObservedFakeTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly Channel<TimeSpan> created = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ITimer timer = base.CreateTimer(callback, state, dueTime, period);
        if (period == Timeout.InfiniteTimeSpan)
        {
            this.created.Writer.TryWrite(dueTime);
        }

        return timer;
    }

    /// <summary>Completes when a one-shot timer with the given due time has been created.</summary>
    public async Task WaitForTimerAsync(TimeSpan dueTime)
    {
        CancellationToken bounded = AnaplanTestHost.Bounded();
        while (await this.created.Reader.ReadAsync(bounded) != dueTime)
        {
        }
    }
}
