using Connector.Local.Hosting;
using Connector.Local.TestWorker;
using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// A worker process for durability tests.
//   Connector.Local.TestWorker <connection string> <task hub>       the connector's tasks plus the probe tasks
//   Connector.Local.TestWorker runtime <settings.json> <crash file>  the whole connector, as the product composes it;
//                                                                    it kills itself right after a Sage write, or right
//                                                                    before a load's outcome is committed, while
//                                                                    <crash file> exists (and deletes it)
//   Connector.Local.TestWorker runtime <settings.json> <Sage-write crash file> <commit crash file>
//                                                                    the same, each moment armed by its own file
IHost host;
if (args.Length is 3 or 4 && args[0] == "runtime")
{
    IConfiguration configuration = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(args[1])).AddEnvironmentVariables("CONNECTOR_").Build();
    string crashFile = args[2];
    string commitCrashFile = args.Length == 4 ? args[3] : crashFile;
    host = ConnectorHost.CreateBuilder(
        configuration,
        runWorker: true,
        configure: services => services
            .AddSingleton<IJournalPostingObserver>(new CrashAfterSageWrite(crashFile))
            .AddSingleton<IWatermarkCommitObserver>(new CrashBeforeCommit(commitCrashFile))).Build();
}
else if (args.Length == 2)
{
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
    host = builder.Build();
}
else
{
    Console.Error.WriteLine("usage: Connector.Local.TestWorker <connection string> <task hub> | runtime <settings.json> <crash file> [<commit crash file>]");
    return 2;
}

using (host)
{
    await host.StartAsync();
    Console.WriteLine("worker-ready");
    await host.WaitForShutdownAsync();
}

return 0;

/// <summary>
/// Kills the process (like a SIGKILL from outside) between Sage's write and the connector's record of it: at the first
/// write, or at the N-th when <c>crashFile</c> holds the number N (a crash in the middle of a batch).
/// </summary>
internal sealed class CrashAfterSageWrite(string crashFile) : IJournalPostingObserver
{
    private int writes;

    public void AfterSageWrite(string externalId)
    {
        if (File.Exists(crashFile))
        {
            int at = int.TryParse(File.ReadAllText(crashFile).Trim(), out int n) && n > 1 ? n : 1;
            if (Interlocked.Increment(ref this.writes) < at)
            {
                return;
            }

            File.Delete(crashFile);
            File.WriteAllText(crashFile + ".crashed", externalId);
            System.Diagnostics.Process.GetCurrentProcess().Kill();
        }
    }
}

/// <summary>Kills the process after an import ended and before the connector commits what it loaded.</summary>
internal sealed class CrashBeforeCommit(string crashFile) : IWatermarkCommitObserver
{
    public void BeforeCommit(RunRef run, string dataset)
    {
        if (File.Exists(crashFile))
        {
            File.Delete(crashFile);
            File.WriteAllText(crashFile + ".crashed", dataset);
            System.Diagnostics.Process.GetCurrentProcess().Kill();
        }
    }
}
