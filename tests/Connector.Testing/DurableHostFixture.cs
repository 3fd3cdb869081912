using Xunit;
using Connector.Local.Hosting;
using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Operations;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Connector.Testing;

/// <summary>
/// A real local Durable Task host for one test class: the Durable Task Framework on Azurite, a unique task hub,
/// the connector's tasks plus whatever the test class registers, entities enabled, timings shortened for tests.
/// </summary>
public class DurableHostFixture : IAsyncLifetime
{
    private IHost? host;

    /// <summary>Gets the task hub of this fixture.</summary>
    public string TaskHub { get; } = UniqueNames.TaskHub("T");

    /// <summary>Gets the storage connection string.</summary>
    public string ConnectionString { get; private set; } = string.Empty;

    /// <summary>Gets the durable client.</summary>
    public DurableTaskClient Client => this.Services.GetRequiredService<DurableTaskClient>();

    /// <summary>Gets the operator API over the client.</summary>
    public RunOperations Operations => this.Services.GetRequiredService<RunOperations>();

    /// <summary>Gets the host's services.</summary>
    public IServiceProvider Services => this.host?.Services ?? throw new InvalidOperationException("The host has not started.");

    /// <summary>
    /// The first interval of the durable retries in every test host: 2 s instead of the product's 5 s, so a test that waits
    /// out a retry policy waits 2+4+8+16 s (posting: +32 s) instead of 5+10+20+40 s (+80 s). Still a real backoff with the
    /// same attempts and the same failures retried: 2 s is the shortest timer the Azure Storage backend honours
    /// (AnaplanPolling.ShortestTimer; a shorter one fires at once). Session 10 tried 2 s with the queues' 6 s visibility
    /// and runs stalled (the starved-host split brain of the engineering notes); with 20 s visibility they did not.
    /// </summary>
    public static readonly TimeSpan TestRetryFirstInterval = TimeSpan.FromSeconds(2);

    /// <summary>Applies the settings every test host uses: one partition, fast polling, short leases, short retries.</summary>
    public static void ApplyTestTimings(LocalDurableOptions o)
    {
        o.PartitionCount = 1;
        o.MaxQueuePollingInterval = TimeSpan.FromMilliseconds(250);
        o.LeaseInterval = TimeSpan.FromSeconds(6);
        o.LeaseRenewInterval = TimeSpan.FromSeconds(2);
        o.LeaseAcquireInterval = TimeSpan.FromSeconds(1);
        // 20 s, not 6: in a starved test process (2 cores, several hosts) a message handed out again after 6 s made the
        // Azure Storage backend drop an episode's history as a split brain, losing a model-lock grant (engineering notes:
        // the stall). The product's defaults are 5 minutes; a killed worker's messages now come back after 20 s.
        o.WorkItemQueueVisibilityTimeout = TimeSpan.FromSeconds(20);
        o.ControlQueueVisibilityTimeout = TimeSpan.FromSeconds(20);
        o.ClientPollingInterval = TimeSpan.FromMilliseconds(200);
        o.RetryFirstInterval = TestRetryFirstInterval;
    }

    /// <inheritdoc/>
    public virtual async Task InitializeAsync()
    {
        this.ConnectionString = await TestStorage.GetConnectionStringAsync();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddLocalDurableTask(
            o =>
            {
                o.ConnectionString = this.ConnectionString;
                o.TaskHubName = this.TaskHub;
                ApplyTestTimings(o);
            },
            registry =>
            {
                registry.AddConnectorTasks();
                this.RegisterTasks(registry);
            });
        builder.Services.AddSingleton(sp => new RunOperations(sp.GetRequiredService<DurableTaskClient>()));
        this.ConfigureServices(builder.Services);
        this.host = builder.Build();
        await this.host.StartAsync();
    }

    /// <inheritdoc/>
    public virtual async Task DisposeAsync()
    {
        if (this.host is not null)
        {
            await this.host.StopAsync(TimeSpan.FromSeconds(30));
            this.host.Dispose();
        }
    }

    /// <summary>Waits for a run to finish (or fails the test after <paramref name="timeout"/>).</summary>
    public Task<OrchestrationMetadata> WaitAsync(string instanceId, TimeSpan? timeout = null)
        => WaitForRunAsync(this.Client, instanceId, timeout ?? TimeSpan.FromSeconds(90));

    /// <summary>Waits for a run to finish; on timeout, fails naming the run's status and custom status.</summary>
    public static async Task<OrchestrationMetadata> WaitForRunAsync(DurableTaskClient client, string instanceId, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);
        }
        catch (OperationCanceledException)
        {
            OrchestrationMetadata? state = await client.GetInstanceAsync(instanceId, true);
            throw new TimeoutException(
                $"Run {instanceId} did not finish within {timeout}; it is {state?.RuntimeStatus} ({state?.SerializedCustomStatus}).");
        }
    }

    /// <summary>Registers the test class's own orchestrators, activities and entities.</summary>
    protected virtual void RegisterTasks(DurableTaskRegistry registry)
    {
    }

    /// <summary>Adds services the test class's tasks need.</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }
}
