using Connector.Local.Hosting;
using Connector.Local.TestWorker;
using Connector.Orchestrations.Durable;
using Connector.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// A worker process for durability tests: the connector's tasks plus the probe tasks, on a given storage and task hub.
// Usage: Connector.Local.TestWorker <connection string> <task hub>
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: Connector.Local.TestWorker <connection string> <task hub>");
    return 2;
}

HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
builder.Services.AddLocalDurableTask(
    o =>
    {
        o.ConnectionString = args[0];
        o.TaskHubName = args[1];
        DurableHostFixture.ApplyTestTimings(o);
    },
    registry => registry.AddConnectorTasks().AddProbeTasks());
using IHost host = builder.Build();
await host.StartAsync();
Console.WriteLine("worker-ready");
await host.WaitForShutdownAsync();
return 0;
