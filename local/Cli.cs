using System.Text.Json;
using System.Text.Json.Serialization;
using Connector.Local.Demo;
using Connector.Local.Hosting;
using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Operations;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Connector.Local;

/// <summary>The <c>connector</c> command: runs the connector's orchestrations on the local Durable Task host.</summary>
internal static class Cli
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private const string Usage = """
        connector — Sage 100 ⇄ Anaplan connector, local Durable Task host (Durable Task Framework + Azure Storage)

        Usage:
          connector demo [--company ABC|TST|LNG] [--json]
                                              the main job end to end on local defaults: a private Azurite, the Sage
                                              agent with a simulated company, the Anaplan emulator; prints the summary
          connector run actuals --connection <id> [--fiscal-year Y --from P --to P] [--full-resync] [--json]
                                              run the actuals flow now (a worker runs in this process) and print it
          connector run budgets --connection <id> [--version V] [--fiscal-year Y --from P --to P] [--dry-run] [--json]
                                              post approved Anaplan values into Sage as journal entries (or propose them)
          connector worker                    run a worker and the schedule tick on the configured task hub until Ctrl+C
          connector selftest                  run the self-test orchestration (model lock + activity) and print it
          connector runs list [--status S] [--prefix P] [--max N]
          connector runs show|rewind|replay|terminate|suspend|resume|purge <instance-id> [--reason R]
          connector runs purge-older-than <days>
          connector lock <workspace-id> <model-id>      who holds a model's lock
          connector locks release-orphaned              release locks held by runs that no longer exist
          connector mappings list <connection> <account|costcenter>
          connector mappings set <connection> <account|costcenter> <sage-code> <anaplan-code> [--by NAME] [--note TEXT]
          connector mappings remove|history <connection> <account|costcenter> <sage-code> [--by NAME]
          connector secrets new-master-key    print a new master key for an encrypted credential file
          connector secrets set <reference>   store a secret (value read from standard input) in Credentials:File
          connector secrets list              list the stored references (never the values)

        Settings (later sources win): connector.settings.json in the working directory, --settings <file>,
        environment variables CONNECTOR_<Section>__<Key>, and --<Section>:<Key>=<value> on the command line.
          --storage <connection string>       shortcut for Durable:ConnectionString (default: Azurite)
          --taskhub <name>                    shortcut for Durable:TaskHubName
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        (List<string> words, Dictionary<string, string?> switches) = Parse(args);
        if (words.Count == 0 || words[0] is "help" or "--help" or "-h")
        {
            Console.WriteLine(Usage);
            return words.Count == 0 ? 2 : 0;
        }

        IConfiguration configuration = BuildConfiguration(switches);
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        try
        {
            return words[0] switch
            {
                "demo" => await DemoAsync(configuration, switches, cancel.Token),
                "run" when words.Count == 2 && words[1] is "actuals" or "budgets" => await RunFlowAsync(words[1], configuration, switches, cancel.Token),
                "worker" => await WorkerAsync(configuration, cancel.Token),
                "mappings" => await WithHostAsync(configuration, runWorker: false, (sp, ct) => Commands.MappingsAsync(sp, words, switches, ct), cancel.Token),
                "secrets" => await Commands.SecretsAsync(configuration, words, cancel.Token),
                "selftest" => await WithHostAsync(configuration, runWorker: false, (sp, ct) => SelfTestAsync(sp, configuration, ct), cancel.Token),
                "runs" => await WithHostAsync(configuration, runWorker: false, (sp, ct) => RunsAsync(sp, words, switches, ct), cancel.Token),
                "lock" when words.Count == 3 => await WithHostAsync(configuration, runWorker: false, (sp, ct) => LockAsync(sp, words[1], words[2], ct), cancel.Token),
                "locks" when words.Count == 2 && words[1] == "release-orphaned" => await WithHostAsync(configuration, runWorker: false, async (sp, ct) =>
                {
                    int released = await sp.GetRequiredService<RunOperations>().ReleaseOrphanedLocksAsync(cancellationToken: ct);
                    Console.WriteLine($"Released {released} orphaned lock(s).");
                    return 0;
                }, cancel.Token),
                _ => Fail($"Unknown command '{string.Join(' ', words)}'.\n\n{Usage}"),
            };
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return 130;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or RunNotFoundException or KeyNotFoundException)
        {
            return Fail(ex.Message);
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException ex)
        {
            return Fail("The configuration is not valid:\n  " + string.Join("\n  ", ex.Failures));
        }
    }

    internal static (List<string> Words, Dictionary<string, string?> Switches) Parse(string[] args)
    {
        var words = new List<string>();
        var switches = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                words.Add(arg);
                continue;
            }

            string key = arg[2..];
            int eq = key.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                switches[key[..eq]] = key[(eq + 1)..];
            }
            else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                switches[key] = args[++i];
            }
            else
            {
                switches[key] = "true";
            }
        }

        return (words, switches);
    }

    internal static IConfiguration BuildConfiguration(Dictionary<string, string?> switches)
    {
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "connector.settings.json"), optional: true);
        if (switches.TryGetValue("settings", out string? file) && file is not null)
        {
            builder.AddJsonFile(Path.GetFullPath(file), optional: false);
        }

        builder.AddEnvironmentVariables("CONNECTOR_");
        var overrides = switches
            .Where(kv => kv.Key.Contains(':', StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        if (switches.TryGetValue("storage", out string? storage))
        {
            overrides[$"{LocalDurableOptions.SectionName}:{nameof(LocalDurableOptions.ConnectionString)}"] = storage;
        }

        if (switches.TryGetValue("taskhub", out string? hub))
        {
            overrides[$"{LocalDurableOptions.SectionName}:{nameof(LocalDurableOptions.TaskHubName)}"] = hub;
        }

        return builder.AddInMemoryCollection(overrides).Build();
    }

    private static async Task<int> WithHostAsync(
        IConfiguration configuration, bool runWorker, Func<IServiceProvider, CancellationToken, Task<int>> action, CancellationToken cancellationToken)
    {
        using IHost host = ConnectorHost.CreateBuilder(configuration, runWorker).Build();
        await host.StartAsync(cancellationToken);
        try
        {
            return await action(host.Services, cancellationToken);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<int> DemoAsync(IConfiguration configuration, Dictionary<string, string?> switches, CancellationToken cancellationToken)
    {
        string company = (switches.GetValueOrDefault("company") ?? "ABC").ToUpperInvariant();
        string costCenter = company switch
        {
            "ABC" => "Department",
            "TST" => "Department",
            "LNG" => "Location",
            _ => throw new ArgumentException($"The demo has the simulated companies ABC, TST and LNG, not '{company}'."),
        };
        string? storage = switches.GetValueOrDefault("storage");
        Console.WriteLine(storage is null
            ? "Starting a private Azurite (in-memory), the Sage agent (simulated companies, HTTPS) and the Anaplan emulator ..."
            : "Starting the Sage agent (simulated companies, HTTPS) and the Anaplan emulator ...");
        LocalEnvironment environment = await LocalEnvironment.StartAsync(
            new LocalEnvironmentOptions { StorageConnectionString = storage }, cancellationToken);
        try
        {
            return await DemoRunAsync(environment, configuration, company, costCenter, switches, cancellationToken);
        }
        finally
        {
            bool ownAzurite = environment.Azurite is not null;
            await environment.DisposeAsync();
            Console.WriteLine(ownAzurite ? "Sage agent, Anaplan emulator and Azurite stopped." : "Sage agent and Anaplan emulator stopped.");
        }
    }

    private static async Task<int> DemoRunAsync(
        LocalEnvironment environment, IConfiguration configuration, string company, string costCenter, Dictionary<string, string?> switches, CancellationToken cancellationToken)
    {
        if (environment.Azurite is { } azurite)
        {
            Console.WriteLine($"Azurite listening: blob {azurite.BlobPort}, queue {azurite.QueuePort}, table {azurite.TablePort} (pid {azurite.ProcessId}).");
        }

        Console.WriteLine($"Sage agent at {environment.Agent.BaseAddress} (certificate SHA-256 {environment.Agent.CertificateSha256[..16]}…, pinned).");
        Console.WriteLine($"Anaplan emulator at {environment.Anaplan.BaseAddress} (model {environment.Anaplan.DefaultModel.Id}).");

        string connectionId = $"demo-{company.ToLowerInvariant()}";
        using IHost host = ConnectorHost.CreateBuilder(
            configuration,
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
        await host.StartAsync(cancellationToken);
        try
        {
            Console.WriteLine($"Durable Task worker running. Starting the actuals sync: Sage company {company} → Anaplan model {environment.Anaplan.DefaultModel.Name} ...");
            StartRunResult started = await host.Services.GetRequiredService<FlowStarter>()
                .StartActualsAsync(connectionId, "demo", new ActualsRunRequest(), cancellationToken);
            int exit = await RunPrinter.WaitAndPrintAsync(host.Services.GetRequiredService<DurableTaskClient>(), started.InstanceId, switches.ContainsKey("json"), cancellationToken);
            Console.WriteLine($"GL Actuals cells in the model now: {environment.Anaplan.DefaultModel.GetCells("GL Actuals").Count}.");
            return exit;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<int> RunFlowAsync(string flow, IConfiguration configuration, Dictionary<string, string?> switches, CancellationToken cancellationToken)
    {
        string connection = switches.GetValueOrDefault("connection") ?? throw new ArgumentException("--connection <id> is required.");
        int? Number(string name) => switches.TryGetValue(name, out string? text) && text is not null ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : null;
        using IHost host = ConnectorHost.CreateBuilder(configuration, runWorker: true).Build();
        await host.StartAsync(cancellationToken);
        try
        {
            FlowStarter starter = host.Services.GetRequiredService<FlowStarter>();
            StartRunResult started = flow == "actuals"
                ? await starter.StartActualsAsync(
                    connection,
                    "cli",
                    new ActualsRunRequest(switches.GetValueOrDefault("fiscal-year"), Number("from"), Number("to"), switches.GetValueOrDefault("request-key"), switches.ContainsKey("full-resync")),
                    cancellationToken)
                : await starter.StartBudgetsAsync(
                    connection,
                    "cli",
                    new BudgetRunRequest(switches.GetValueOrDefault("version"), switches.GetValueOrDefault("fiscal-year"), Number("from"), Number("to"), switches.ContainsKey("dry-run"), switches.GetValueOrDefault("request-key")),
                    cancellationToken);
            if (!started.Started)
            {
                Console.WriteLine($"Run {started.InstanceId} already exists ({started.Status}); following it.");
            }

            return await RunPrinter.WaitAndPrintAsync(host.Services.GetRequiredService<DurableTaskClient>(), started.InstanceId, switches.ContainsKey("json"), cancellationToken);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<int> WorkerAsync(IConfiguration configuration, CancellationToken cancellationToken)
    {
        using IHost host = ConnectorHost.CreateBuilder(configuration, runWorker: true, runScheduler: true).Build();
        await host.StartAsync(cancellationToken);
        Console.WriteLine("Worker and schedule tick running. Press Ctrl+C to stop.");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }

        await host.StopAsync(CancellationToken.None);
        return 0;
    }

    private static async Task<int> SelfTestAsync(IServiceProvider services, IConfiguration configuration, CancellationToken cancellationToken)
    {
        DurableTaskClient client = services.GetRequiredService<DurableTaskClient>();
        var input = new SelfTestInput(
            configuration["SelfTest:WorkspaceId"] ?? "8a81b09d5e8c6f27015ece3402487d33",
            configuration["SelfTest:ModelId"] ?? "F1D5C6C1E2C64E5AA2D4A5E8D8E5B9A1");
        string id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(SelfTestOrchestrator), input, cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        OrchestrationMetadata result = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
        if (result.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
        {
            return Fail($"Self-test run {id} ended {result.RuntimeStatus}: {result.FailureDetails?.ErrorMessage}");
        }

        Console.WriteLine(JsonSerializer.Serialize(result.ReadOutputAs<SelfTestResult>(), Json));
        return 0;
    }

    private static async Task<int> RunsAsync(
        IServiceProvider services, List<string> words, Dictionary<string, string?> switches, CancellationToken cancellationToken)
    {
        RunOperations ops = services.GetRequiredService<RunOperations>();
        string reason = switches.GetValueOrDefault("reason") ?? "operator request (connector CLI)";
        string Id() => words.Count >= 3 ? words[2] : throw new ArgumentException("An instance id is required.");

        switch (words.ElementAtOrDefault(1))
        {
            case "list":
                var query = new RunQuery
                {
                    Statuses = switches.TryGetValue("status", out string? s) && s is not null
                        ? s.Split(',').Select(x => Enum.Parse<OrchestrationRuntimeStatus>(x, ignoreCase: true)).ToArray()
                        : null,
                    InstanceIdPrefix = switches.GetValueOrDefault("prefix"),
                    Max = switches.TryGetValue("max", out string? max) && max is not null ? int.Parse(max, System.Globalization.CultureInfo.InvariantCulture) : 50,
                };
                await foreach (RunSummary run in ops.ListAsync(query, cancellationToken))
                {
                    Console.WriteLine($"{run.CreatedAt:u}  {run.Status,-10} {run.Name,-28} {run.InstanceId}");
                }

                return 0;
            case "show":
                RunDetails details = await ops.GetAsync(Id(), cancellationToken) ?? throw new RunNotFoundException(Id());
                Console.WriteLine(JsonSerializer.Serialize(details, Json));
                return 0;
            case "rewind":
                await ops.RewindAsync(Id(), reason, cancellationToken);
                Console.WriteLine($"Rewind requested for {Id()}.");
                return 0;
            case "replay":
                Console.WriteLine($"Replaying {Id()} as {await ops.ReplayAsync(Id(), cancellationToken)}.");
                return 0;
            case "terminate":
                await ops.TerminateAsync(Id(), reason, cancellationToken);
                Console.WriteLine($"Terminate requested for {Id()}.");
                return 0;
            case "suspend":
                await ops.SuspendAsync(Id(), reason, cancellationToken);
                return 0;
            case "resume":
                await ops.ResumeAsync(Id(), reason, cancellationToken);
                return 0;
            case "purge":
                Console.WriteLine($"Purged {await ops.PurgeAsync(Id(), cancellationToken)} run(s).");
                return 0;
            case "purge-older-than":
                int days = int.Parse(Id(), System.Globalization.CultureInfo.InvariantCulture);
                int purged = await ops.PurgeAsync(DateTimeOffset.MinValue, DateTimeOffset.UtcNow.AddDays(-days), null, cancellationToken);
                Console.WriteLine($"Purged {purged} finished run(s) created more than {days} day(s) ago.");
                return 0;
            default:
                return Fail($"Unknown runs command.\n\n{Usage}");
        }
    }

    private static async Task<int> LockAsync(IServiceProvider services, string workspaceId, string modelId, CancellationToken cancellationToken)
    {
        ModelLockStatus? status = await services.GetRequiredService<RunOperations>().GetModelLockAsync(workspaceId, modelId, cancellationToken);
        Console.WriteLine(status is null ? "This model's lock has never been used." : JsonSerializer.Serialize(status, Json));
        return 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return 1;
    }
}
