using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Identity;
using Connector.Orchestrations.Telemetry;
using Connector.Testing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Connector.Functions.Tests;

/// <summary>
/// Worker telemetry: OpenTelemetry with the Azure Monitor exporter when an Application Insights connection string is
/// set. The exporter is pointed at a loopback "ingestion endpoint" that records what it is sent, so the test reads the
/// very fields the deployment's alert queries (infra/alerts) filter on.
/// </summary>
public sealed class TelemetryTests
{
    static TelemetryTests()
    {
        // The exporter's own usage statistics read the Azure VM metadata service (169.254.169.254): off here, so the
        // test sends nothing beyond loopback (Connector.Functions.Tests runs in its own process).
        Environment.SetEnvironmentVariable("APPLICATIONINSIGHTS_STATSBEAT_DISABLED", "true");
        Environment.SetEnvironmentVariable("APPLICATIONINSIGHTS_SDKSTATS_DISABLED", "true");
    }

    [Fact]
    public async Task NoConnectionString_WorkerExportsNothingItself()
    {
        await using ServiceProvider services = Build(new Dictionary<string, string?>());
        Assert.Null(services.GetService<TracerProvider>());
        Assert.Null(services.GetService<MeterProvider>());
    }

    [Fact]
    public async Task ConnectionString_RunEndedReachesApplicationInsights_WithTheDimensionsTheAlertsQuery()
    {
        using var exporterEvents = new ExporterEvents();
        using var ingestion = new IngestionEndpoint();
        string connectionString = $"InstrumentationKey=11111111-2222-3333-4444-555555555555;IngestionEndpoint={ingestion.Uri}";
        await using ServiceProvider services = Build(new Dictionary<string, string?> { [Composition.ApplicationInsightsConnectionSetting] = connectionString });
        Assert.NotNull(services.GetService<TracerProvider>());
        MeterProvider meters = services.GetRequiredService<MeterProvider>();

        // As the worker's host does at start: the exporter registers its log exporter from a hosted service.
        foreach (IHostedService hosted in services.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        ILogger logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Connector.Orchestrations.Flows.CompleteRunActivity");

        // Information is kept: the runs' progress and their end are Information lines.
        Assert.True(logger.IsEnabled(LogLevel.Information));
        ConnectorTelemetry.RunEnded(logger, "actuals", "abc-fpa", "abc-fpa:actuals:20261126T020000Z", "CompletedWithFailures");
        meters.ForceFlush();

        // The log exporter sends its batch within seconds, as it does in a running worker.
        static JsonObject? RunEnded(IngestionEndpoint endpoint) => endpoint.Envelopes().FirstOrDefault(e =>
            e["data"]?["baseType"]?.GetValue<string>() == "MessageData" && e["data"]!["baseData"]!["properties"]?["EventName"]?.GetValue<string>() == "RunEnded");
        await Eventually.TrueAsync(() => RunEnded(ingestion) is not null, TimeSpan.FromSeconds(60), "a RunEnded trace reached the ingestion endpoint");
        JsonObject trace = RunEnded(ingestion)!;
        JsonNode properties = trace["data"]!["baseData"]!["properties"]!;
        Assert.Equal("CompletedWithFailures", properties["RunStatus"]!.GetValue<string>());
        Assert.Equal("abc-fpa", properties["ConnectionId"]!.GetValue<string>());
        Assert.Equal("actuals", properties["Flow"]!.GetValue<string>());
        Assert.Equal("abc-fpa:actuals:20261126T020000Z", properties["RunId"]!.GetValue<string>());

        // And the alert query names exactly those dimensions.
        string query = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "infra", "alerts", "run-completed-with-problems.kql"));
        foreach (string dimension in new[] { "EventName", "RunStatus", "ConnectionId", "Flow", "RunId" })
        {
            Assert.Contains($"customDimensions.{dimension})", query, StringComparison.Ordinal);
        }

        Assert.Contains(ingestion.Envelopes(), e => e["data"]?["baseType"]?.GetValue<string>() == "MetricData"
            && e.ToJsonString().Contains("connector.runs", StringComparison.Ordinal));

        // Nothing went to the VM metadata service or anywhere else off the machine.
        Assert.DoesNotContain(exporterEvents.Names, name => name.StartsWith("VmMetadata", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ClientId=0e0c2f4b-0000-0000-0000-000000000001;Authorization=AAD")]
    [InlineData("Authorization=AAD")]
    public void AuthenticationString_Entra_UsesTheManagedIdentity(string authentication)
        => Assert.IsType<ManagedIdentityCredential>(Composition.EntraCredential(authentication));

    [Fact]
    public void AuthenticationString_Absent_NoCredential_Other_Refused()
    {
        Assert.Null(Composition.EntraCredential(null));
        var error = Assert.Throws<InvalidOperationException>(() => Composition.EntraCredential("Authorization=Key"));
        Assert.Contains(Composition.ApplicationInsightsAuthenticationSetting, error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddLogging();
        services.AddOptions<WorkerOptions>();
        services.AddConnectorTelemetry(configuration);
        return services.BuildServiceProvider();
    }

    /// <summary>The names of the events the Azure Monitor exporter writes (its EventSource).</summary>
    private sealed class ExporterEvents : System.Diagnostics.Tracing.EventListener
    {
        public ConcurrentQueue<string> Names { get; } = new();

        protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource eventSource)
        {
            if (eventSource.Name == "OpenTelemetry-AzureMonitor-Exporter")
            {
                this.EnableEvents(eventSource, System.Diagnostics.Tracing.EventLevel.Verbose);
            }
        }

        protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs eventData)
            => this.Names.Enqueue(eventData.EventName ?? string.Empty);
    }

    /// <summary>A loopback HTTP endpoint that accepts Application Insights ingestion calls and keeps their envelopes.</summary>
    private sealed class IngestionEndpoint : IDisposable
    {
        private readonly HttpListener listener = new();
        private readonly ConcurrentQueue<string> bodies = new();
        private readonly Task loop;

        public IngestionEndpoint()
        {
            int port = FreePort();
            this.Uri = new Uri($"http://127.0.0.1:{port}/");
            this.listener.Prefixes.Add(this.Uri.ToString());
            this.listener.Start();
            this.loop = Task.Run(this.ServeAsync);
        }

        public Uri Uri { get; }

        /// <summary>Every envelope received so far (the exporter sends newline-delimited JSON, gzip-compressed).</summary>
        public List<JsonObject> Envelopes()
            => [.. this.bodies.SelectMany(b => b.Split('\n', StringSplitOptions.RemoveEmptyEntries)).Select(line => JsonNode.Parse(line)!.AsObject())];

        public void Dispose()
        {
            this.listener.Stop();
            this.listener.Close();
            try
            {
                this.loop.GetAwaiter().GetResult();
            }
            catch (HttpListenerException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }

        private static int FreePort()
        {
            using var socket = new TcpListener(IPAddress.Loopback, 0);
            socket.Start();
            return ((IPEndPoint)socket.LocalEndpoint).Port;
        }

        private async Task ServeAsync()
        {
            while (this.listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await this.listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                Stream body = context.Request.InputStream;
                if (string.Equals(context.Request.Headers["Content-Encoding"], "gzip", StringComparison.OrdinalIgnoreCase))
                {
                    body = new GZipStream(body, CompressionMode.Decompress);
                }

                using (var reader = new StreamReader(body, Encoding.UTF8))
                {
                    string text = await reader.ReadToEndAsync();
                    this.bodies.Enqueue(text);
                    int items = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
                    byte[] answer = Encoding.UTF8.GetBytes($"{{\"itemsReceived\":{items},\"itemsAccepted\":{items},\"errors\":[]}}");
                    context.Response.StatusCode = 200;
                    context.Response.ContentType = "application/json";
                    await context.Response.OutputStream.WriteAsync(answer);
                    context.Response.Close();
                }
            }
        }
    }
}
