using Microsoft.ApplicationInsights;
using Microsoft.ApplicationInsights.Extensibility;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Connector.Functions.Tests;

/// <summary>Worker telemetry: on with an Application Insights connection string, and then keeping the runs' progress logs.</summary>
public sealed class TelemetryTests
{
    // Loopback endpoints: nothing leaves the machine even if the SDK sends.
    private const string ConnectionString =
        "InstrumentationKey=11111111-2222-3333-4444-555555555555;IngestionEndpoint=https://127.0.0.1:9/;LiveEndpoint=https://127.0.0.1:9/";

    [Fact]
    public async Task NoConnectionString_WorkerDoesNotSendTelemetryItself()
    {
        await using ServiceProvider services = Build(new Dictionary<string, string?>());
        Assert.Null(services.GetService<TelemetryClient>());
        Assert.False(services.GetRequiredService<IOptions<WorkerOptions>>().Value.Capabilities.ContainsKey("WorkerApplicationInsightsLoggingEnabled"));
    }

    [Fact]
    public async Task ConnectionString_WorkerSendsToThatResource_AndInformationLogsAreKept()
    {
        await using ServiceProvider services = Build(new Dictionary<string, string?> { [Composition.ApplicationInsightsConnectionSetting] = ConnectionString });

        Assert.NotNull(services.GetService<TelemetryClient>());
        Assert.Equal(ConnectionString, services.GetRequiredService<TelemetryConfiguration>().ConnectionString);

        // The host stops forwarding the worker's logs once the worker says it sends them itself...
        Assert.Equal(bool.TrueString, services.GetRequiredService<IOptions<WorkerOptions>>().Value.Capabilities["WorkerApplicationInsightsLoggingEnabled"]);

        // ...so the provider's default warnings-only rule must not hide the progress an operator reads.
        ILogger logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Connector.Orchestrations.Flows");
        Assert.True(logger.IsEnabled(LogLevel.Information));
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
}
