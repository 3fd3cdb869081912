using System.CommandLine;
using System.Text.Json;
using Connector.Agent.CommandLine;
using Connector.Local.Demo;
using Connector.Local.Hosting;
using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Operations;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Connector.Local.Cli;

/// <summary>Commands that run flows: <c>demo</c>, <c>run actuals|budgets</c>, <c>worker</c>, <c>selftest</c>.</summary>
internal static class FlowCommands
{
    private static readonly Dictionary<string, string> DemoCompanies = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ABC"] = "Department",
        ["TST"] = "Department",
        ["LNG"] = "Location",
    };

    public static Command Demo(GlobalOptions globals)
    {
        var company = new Option<string>("--company")
        {
            Description = "The simulated Sage company: ABC (3 segments), TST (2 segments, 13 periods) or LNG (long main account, July–June year).",
            DefaultValueFactory = _ => "ABC",
        };
        company.AcceptOnlyFromAmong(StringComparer.OrdinalIgnoreCase, [.. DemoCompanies.Keys]);
        Option<bool> json = CommonOptions.Json("the run's summary");
        var command = new Command(
            "demo",
            "The main job end to end on local defaults: a private Azurite (unless --storage), the Sage agent with a simulated company over HTTPS, "
            + "the Anaplan emulator and a worker in this process; runs the actuals sync and prints its summary.")
        {
            company,
            json,
        };
        command.SetAction(async (parse, ct) =>
        {
            CliContext cli = globals.Context(parse);
            string code = cli.Value(company)!.ToUpperInvariant();
            string? storage = cli.Value(globals.Storage);

            // With --json the output is the summary alone; what the demo starts and stops is told on standard error.
            TextWriter info = cli.Value(json) ? cli.Error : cli.Output;
            info.WriteLine(storage is null
                ? "Starting a private Azurite (in-memory), the Sage agent (simulated companies, HTTPS) and the Anaplan emulator ..."
                : "Starting the Sage agent (simulated companies, HTTPS) and the Anaplan emulator ...");
            LocalEnvironment environment = await LocalEnvironment.StartAsync(new LocalEnvironmentOptions { StorageConnectionString = storage }, ct);
            try
            {
                return await DemoRunAsync(cli, info, environment, code, DemoCompanies[code], cli.Value(json), ct);
            }
            finally
            {
                bool ownAzurite = environment.Azurite is not null;
                await environment.DisposeAsync();
                info.WriteLine(ownAzurite ? "Sage agent, Anaplan emulator and Azurite stopped." : "Sage agent and Anaplan emulator stopped.");
            }
        });
        return command;
    }

    public static Command Run(GlobalOptions globals)
    {
        var command = new Command("run", "Run a flow now, with a worker in this process, and print its progress and summary.");
        command.Add(RunFlow(globals, ScheduleFlows.Actuals, "Sage 100 → Anaplan: dimensions, GL balances, AP totals, vendors.", budgets: false));
        command.Add(RunFlow(globals, ScheduleFlows.Budgets, "Anaplan → Sage 100: approved values posted as journal entries (or proposed, with --dry-run).", budgets: true));
        return command;
    }

    public static Command Worker(GlobalOptions globals)
    {
        var command = new Command(
            "worker",
            "Run a worker and the schedule tick on the configured task hub until Ctrl+C or SIGTERM; it stops within 10 s, "
            + "finishing or abandoning (to be picked up again) the work in flight.");
        command.SetAction(async (parse, ct) =>
        {
            CliContext cli = globals.Context(parse);
            using IHost host = ConnectorHost.CreateBuilder(cli.Configuration, runWorker: true, runScheduler: true).Build();
            await host.StartAsync(ct);
            cli.Output.WriteLine("Worker and schedule tick running. Press Ctrl+C to stop.");
            await cli.Output.FlushAsync(CancellationToken.None);
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
            }

            cli.Output.WriteLine("Stopping the worker ...");
            using (var stop = new CancellationTokenSource(ConnectorCommandLine.StopTimeout - TimeSpan.FromSeconds(2)))
            {
                await host.StopAsync(stop.Token);
            }

            cli.Output.WriteLine("Worker stopped.");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command SelfTest(GlobalOptions globals)
    {
        var workspace = new Option<string?>("--workspace-id") { Description = "The Anaplan workspace whose model lock the self-test takes (default: SelfTest:WorkspaceId)." };
        var model = new Option<string?>("--model-id") { Description = "The Anaplan model (default: SelfTest:ModelId)." };
        var command = new Command("selftest", "Run the self-test orchestration (model lock + activity) and print its result as JSON.") { workspace, model };
        globals.SetClientAction(command, async (cli, services, ct) =>
        {
            DurableTaskClient client = services.Get<DurableTaskClient>();
            var input = new SelfTestInput(
                cli.Value(workspace) ?? cli.Configuration["SelfTest:WorkspaceId"] ?? "8a81b09d5e8c6f27015ece3402487d33",
                cli.Value(model) ?? cli.Configuration["SelfTest:ModelId"] ?? "F1D5C6C1E2C64E5AA2D4A5E8D8E5B9A1");
            string id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(SelfTestOrchestrator), input, ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromMinutes(2));
            OrchestrationMetadata result = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
            if (result.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
            {
                await cli.Error.WriteLineAsync($"Self-test run {id} ended {result.RuntimeStatus}: {result.FailureDetails?.ErrorMessage}");
                return ExitCodes.Failed;
            }

            cli.WriteJson(result.ReadOutputAs<SelfTestResult>());
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command RunFlow(GlobalOptions globals, string flow, string description, bool budgets)
    {
        var connection = new Option<string>("--connection") { Description = "The connection id (Connector:Connections).", Required = true };
        var fiscalYear = new Option<string?>("--fiscal-year") { Description = "The fiscal year of a period range (with --from and --to)." };
        var from = new Option<int?>("--from") { Description = "The first fiscal period (1–13).", CustomParser = r => OptionParsers.Int(1, 13)(r) };
        var to = new Option<int?>("--to") { Description = "The last fiscal period (1–13).", CustomParser = r => OptionParsers.Int(1, 13)(r) };
        var requestKey = new Option<string?>("--request-key") { Description = "An idempotency key: running again with the same key follows the first run instead of starting another." };
        Option<bool> json = CommonOptions.Json("the run's summary");
        var command = new Command(flow, description) { connection, fiscalYear, from, to, requestKey, json };
        var fullResync = new Option<bool>("--full-resync") { Description = "Ignore the incremental watermarks and send everything again." };
        var version = new Option<string?>("--version") { Description = "The Anaplan version to post (default: Budgets:Version)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only propose the journal entries (a CSV in staging); post nothing." };
        if (budgets)
        {
            command.Add(version);
            command.Add(dryRun);
        }
        else
        {
            command.Add(fullResync);
        }

        command.SetAction(async (parse, ct) =>
        {
            CliContext cli = globals.Context(parse);
            using IHost host = ConnectorHost.CreateBuilder(cli.Configuration, runWorker: true).Build();
            await host.StartAsync(ct);
            try
            {
                FlowStarter starter = host.Services.Get<FlowStarter>();
                StartRunResult started = budgets
                    ? await starter.StartBudgetsAsync(
                        cli.Value(connection)!,
                        "cli",
                        new BudgetRunRequest(cli.Value(version), cli.Value(fiscalYear), cli.Value(from), cli.Value(to), cli.Value(dryRun), cli.Value(requestKey)),
                        ct)
                    : await starter.StartActualsAsync(
                        cli.Value(connection)!,
                        "cli",
                        new ActualsRunRequest(cli.Value(fiscalYear), cli.Value(from), cli.Value(to), cli.Value(requestKey), cli.Value(fullResync)),
                        ct);
                if (!started.Started)
                {
                    cli.Output.WriteLine($"Run {started.InstanceId} already exists ({started.Status}); following it.");
                }

                return await RunPrinter.WaitAndPrintAsync(cli, host.Services, started.InstanceId, cli.Value(json), ct);
            }
            finally
            {
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(7));
                await host.StopAsync(stop.Token);
            }
        });
        return command;
    }

    private static async Task<int> DemoRunAsync(
        CliContext cli, TextWriter info, LocalEnvironment environment, string company, string costCenter, bool json, CancellationToken ct)
    {
        if (environment.Azurite is { } azurite)
        {
            info.WriteLine($"Azurite listening: blob {azurite.BlobPort}, queue {azurite.QueuePort}, table {azurite.TablePort} (pid {azurite.ProcessId}).");
        }

        info.WriteLine($"Sage agent at {environment.Agent.BaseAddress} (certificate SHA-256 {environment.Agent.CertificateSha256[..16]}…, pinned).");
        info.WriteLine($"Anaplan emulator at {environment.Anaplan.BaseAddress} (model {environment.Anaplan.DefaultModel.Id}).");

        string connectionId = $"demo-{company.ToLowerInvariant()}";
        using IHost host = ConnectorHost.CreateBuilder(
            cli.Configuration,
            runWorker: true,
            durable: o => o.ConnectionString = environment.StorageConnectionString,
            configure: services =>
            {
                services.AddSingleton(environment.Credentials);
                services.Configure<Orchestrations.Configuration.ConnectorOptions>(o =>
                {
                    o.Storage.ConnectionString = environment.StorageConnectionString;
                    o.Connections.Add(environment.Connection(connectionId, company, costCenter));
                });
            }).Build();
        await host.StartAsync(ct);
        try
        {
            info.WriteLine($"Durable Task worker running. Starting the actuals sync: Sage company {company} → Anaplan model {environment.Anaplan.DefaultModel.Name} ...");
            StartRunResult started = await host.Services.Get<FlowStarter>().StartActualsAsync(connectionId, "demo", new ActualsRunRequest(), ct);
            int exit = await RunPrinter.WaitAndPrintAsync(cli, host.Services, started.InstanceId, json, ct);
            info.WriteLine($"GL Actuals cells in the model now: {environment.Anaplan.DefaultModel.GetCells("GL Actuals").Count}.");

            return exit;
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(7));
            await host.StopAsync(stop.Token);
        }
    }

    /// <summary>The flows a run command starts.</summary>
    private static class ScheduleFlows
    {
        public const string Actuals = Orchestrations.Scheduling.ScheduleEvaluator.Flows.Actuals;
        public const string Budgets = Orchestrations.Scheduling.ScheduleEvaluator.Flows.Budgets;
    }
}

/// <summary>JSON helpers of the commands.</summary>
internal static class JsonText
{
    /// <summary>Pretty-prints JSON text (or returns it as it is when it is not JSON).</summary>
    public static string Pretty(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return "{}";
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            return JsonSerializer.Serialize(document.RootElement, CliContext.Json);
        }
        catch (JsonException)
        {
            return json;
        }
    }
}
