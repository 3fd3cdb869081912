using System.CommandLine;
using Connector.Agent.CommandLine;
using Connector.Local.Dashboard;
using Connector.Local.Hosting;
using Connector.Orchestrations.Operations.Api;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Connector.Local.Cli;

/// <summary>
/// <c>connector dashboard</c>: the operations dashboard and the operator API on 127.0.0.1 (loopback only), over the
/// configured task hub and connector storage, until Ctrl+C or SIGTERM. It runs no worker: run <c>connector worker</c> (or a
/// service) beside it for the actions it requests to take effect.
/// </summary>
internal static class DashboardCommand
{
    /// <summary>The port used when none is given.</summary>
    public const int DefaultPort = 7300;

    public static Command Build(GlobalOptions globals)
    {
        var port = new Option<int>("--port")
        {
            Description = $"The loopback port to listen on (0: any free port). Default {DefaultPort}.",
            DefaultValueFactory = _ => DefaultPort,
            CustomParser = r => OptionParsers.Int(0, 65_535)(r),
        };
        var readOnly = new Option<bool>("--read-only")
        {
            Description = "Show no write button and refuse every write with 403 (the same as --Ops:ReadOnly=true).",
        };
        var command = new Command(
            "dashboard",
            "Serve the operations dashboard (runs, datasets, rejections, reconciliation, model locks, trends and the recovery buttons) "
            + "and the operator API on http://127.0.0.1:<port>/ until Ctrl+C or SIGTERM. Loopback only; no worker runs here.")
        {
            port,
            readOnly,
        };
        command.SetAction(async (parse, ct) =>
        {
            CliContext cli = globals.Context(parse);
            bool refuseWrites = cli.Value(readOnly);
            using IHost host = ConnectorHost.CreateBuilder(
                cli.Configuration,
                runWorker: false,
                configure: services =>
                {
                    if (refuseWrites)
                    {
                        services.PostConfigure<OpsOptions>(o => o.ReadOnly = true);
                    }
                }).Build();
            await host.StartAsync(ct);
            try
            {
                await using DashboardServer server = await DashboardServer.StartAsync(host.Services, cli.Value(port), ct);
                bool isReadOnly = host.Services.GetRequiredService<OperatorEdge>().ReadOnly;
                cli.Output.WriteLine($"Dashboard at {server.DashboardAddress}{(isReadOnly ? " (read-only)" : string.Empty)}; operator API at {server.Address}api/. Press Ctrl+C to stop.");
                await cli.Output.FlushAsync(CancellationToken.None);
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                }

                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await server.StopAsync(stop.Token);
                cli.Output.WriteLine("Dashboard stopped.");
                return ExitCodes.Ok;
            }
            finally
            {
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await host.StopAsync(stop.Token);
            }
        });
        return command;
    }
}
