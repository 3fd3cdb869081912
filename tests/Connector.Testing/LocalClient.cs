using Connector.Local.Hosting;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Connector.Testing;

/// <summary>A durable client alone (no worker in this process) on a given storage and task hub.</summary>
public sealed class LocalClient : IAsyncDisposable
{
    private readonly ServiceProvider services;

    private LocalClient(ServiceProvider services)
    {
        this.services = services;
        this.Client = services.GetRequiredService<DurableTaskClient>();
    }

    public DurableTaskClient Client { get; }

    public static LocalClient Create(string connectionString, string taskHub)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddLocalDurableTask(
            o =>
            {
                o.ConnectionString = connectionString;
                o.TaskHubName = taskHub;
                DurableHostFixture.ApplyTestTimings(o);
            },
            _ => { },
            runWorker: false);
        return new LocalClient(services.BuildServiceProvider());
    }

    public ValueTask DisposeAsync() => this.services.DisposeAsync();
}
