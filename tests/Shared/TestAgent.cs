using System.Collections.Concurrent;
using Connector.Agent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Connector.Tests.Shared;

/// <summary>
/// An in-process Sage agent (simulated backend) over real HTTPS on 127.0.0.1 with a free port, in its own temp
/// folder (certificate, ledger, company files), with Sage's clock fixed at 2026-11-26 10:00 and every log line captured.
/// </summary>
public sealed class TestAgent : IAsyncDisposable
{
    public const string ApiKey = "test-api-key-7f3c9a1e5b";
    public static readonly DateTimeOffset Today = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);

    private TestAgent(SageAgentHandle handle, string directory, FakeTimeProvider clock, CapturingLoggerProvider logs)
    {
        this.Handle = handle;
        this.Directory = directory;
        this.Clock = clock;
        this.Logs = logs;
    }

    public SageAgentHandle Handle { get; }

    public string Directory { get; }

    public FakeTimeProvider Clock { get; }

    public CapturingLoggerProvider Logs { get; }

    public Connector.Agent.Backends.Simulated.SimulatedSageBackend Sim => this.Handle.Simulated!;

    public Uri BaseAddress => this.Handle.BaseAddress;

    public static async Task<TestAgent> StartAsync(Action<AgentHostOptions>? configure = null, string? directory = null)
    {
        directory ??= Path.Combine(Path.GetTempPath(), "sage-agent-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var clock = new FakeTimeProvider(Today);
        var logs = new CapturingLoggerProvider();
        var options = new AgentHostOptions
        {
            Backend = "simulated",
            ApiKeys = [ApiKey],
            CertificateDirectory = Path.Combine(directory, "certs"),
            LedgerPath = Path.Combine(directory, "ledger.db"),
            Clock = clock,
            LockRetryAfter = TimeSpan.Zero,
            UnavailableRetryAfter = TimeSpan.Zero,
            ConfigureLogging = b =>
            {
                b.ClearProviders();
                b.AddProvider(logs);
                b.SetMinimumLevel(LogLevel.Debug);
            },
        };
        options.Simulated.DataDirectory = Path.Combine(directory, "sim");
        configure?.Invoke(options);
        SageAgentHandle handle = await SageAgentHost.StartAsync(options);
        return new TestAgent(handle, directory, clock, logs);
    }

    /// <summary>An HttpClient that trusts exactly this agent's certificate and sends the API key.</summary>
    public HttpClient CreateHttpClient(string? apiKey = ApiKey)
    {
        string pin = this.Handle.CertificateSha256;
        var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256) == pin },
        };
        var http = new HttpClient(handler) { BaseAddress = this.BaseAddress };
        if (apiKey is not null)
        {
            http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return http;
    }

    public async ValueTask DisposeAsync()
    {
        await this.Handle.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(this.Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by the OS: the temp folder is cleaned up later.
        }
    }
}

/// <summary>Keeps every formatted log line (to assert that secrets never reach a log).</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> lines = new();

    public IReadOnlyList<string> Lines => this.lines.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this.lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => lines.Enqueue($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)} {exception}");
    }
}
