using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Connector.Agent.Backends.Simulated;
using Connector.Agent.Security;

namespace Connector.Agent.CommandLine;

/// <summary>
/// The agent's command line: with no command it runs the agent until Ctrl+C, SIGTERM or (installed as a Windows service)
/// the service stop; <c>hash-key</c>, <c>generate-key</c> and <c>generate</c> are tools. Settings come from
/// <c>appsettings.json</c> beside the executable, environment variables and <c>--Agent:Key value</c> on the command line.
/// </summary>
public static class AgentCommandLine
{
    /// <summary>The Windows service name the README installs the agent under.</summary>
    public const string ServiceName = "SageAgent";

    /// <summary>How long the agent may take to stop: in-flight requests finish within it, or are cut off.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(8);

    /// <summary>Runs the command line; returns the exit code.</summary>
    public static Task<int> RunAsync(string[] args)
    {
        (string[] commandLine, Dictionary<string, string?> settings) = SettingArguments.Split(args);
        return CommandLineRunner.RunAsync(Build(settings), commandLine, Describe);
    }

    /// <summary>Builds the command tree; <paramref name="settings"/> are the <c>--Section:Key</c> settings of the command line.</summary>
    public static RootCommand Build(IReadOnlyDictionary<string, string?> settings)
    {
        var backend = new Option<string?>("--backend") { Description = "The Sage backend: boi (production, Windows) or simulated (tests, demo)." };
        backend.AcceptOnlyFromAmong(StringComparer.OrdinalIgnoreCase, "simulated", "boi");
        var urls = new Option<string?>("--urls") { Description = "The https:// addresses to listen on, separated by ';' (default https://127.0.0.1:5443)." };
        var root = new RootCommand(
            "Sage 100 agent: HTTPS REST over Sage's Business Object Interface for the connector. Runs until Ctrl+C, SIGTERM or the Windows service stops.\n"
            + "Settings: appsettings.json beside the executable, environment variables Agent__Key, and --Agent:Key value on the command line.")
        {
            backend,
            urls,
        };
        root.SetAction((parse, cancellationToken) => RunAgentAsync(settings, parse.GetValue(backend), parse.GetValue(urls), cancellationToken));

        var key = new Argument<string?>("key") { Description = "The API key (read from standard input when left out, so it stays out of the shell history).", Arity = ArgumentArity.ZeroOrOne };
        var hashKey = new Command("hash-key", "Print the configuration hash (Agent:ApiKeyHashes) of an API key.") { key };
        hashKey.SetAction(parse =>
        {
            string value = parse.GetValue(key) ?? (Console.ReadLine() ?? string.Empty).Trim();
            if (value.Length == 0)
            {
                parse.InvocationConfiguration.Error.WriteLine("No API key given (as an argument or on standard input).");
                return ExitCodes.Usage;
            }

            parse.InvocationConfiguration.Output.WriteLine(ApiKeyHasher.Hash(value));
            return ExitCodes.Ok;
        });
        root.Add(hashKey);

        var generateKey = new Command("generate-key", "Print a new random API key and its hash.");
        generateKey.SetAction(parse =>
        {
            string generated = ApiKeyHasher.Generate();
            parse.InvocationConfiguration.Output.WriteLine($"API key (give to the connector, store it in its credential store): {generated}");
            parse.InvocationConfiguration.Output.WriteLine($"Hash (put in the agent's Agent:ApiKeyHashes): {ApiKeyHasher.Hash(generated)}");
            return ExitCodes.Ok;
        });
        root.Add(generateKey);
        root.Add(GenerateCommand());
        return root;
    }

    private static Command GenerateCommand()
    {
        var company = new Option<string>("--company") { Description = "The simulated company.", DefaultValueFactory = _ => "LNG" };
        company.AcceptOnlyFromAmong(StringComparer.OrdinalIgnoreCase, [.. CompanyProfile.BuiltIn.Select(p => p.Code)]);
        var balances = new Option<int>("--period-balances") { Description = "Period balance rows.", DefaultValueFactory = _ => 1_000_000, CustomParser = OptionParsers.Int(1) };
        var invoices = new Option<int>("--invoices") { Description = "AP invoices.", DefaultValueFactory = _ => 100_000, CustomParser = OptionParsers.Int(1) };
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Where the company file is written.",
            DefaultValueFactory = _ => new DirectoryInfo(Path.Combine(Path.GetTempPath(), "sage-sim-bench")),
        };
        var generate = new Command("generate", "Build a simulated company file of a given size and print how long it took (benchmark data).") { company, balances, invoices, output };
        generate.SetAction(parse =>
        {
            string code = parse.GetValue(company)!.ToUpperInvariant();
            CompanyProfile profile = CompanyProfile.BuiltIn.First(p => p.Code == code);
            string dir = parse.GetValue(output)!.FullName;
            Directory.CreateDirectory(dir);
            var watch = Stopwatch.StartNew();
            var (rows, ap) = SimulatedCompanyGenerator.Generate(
                Path.Combine(dir, code + ".db"), profile, SimulatedScale.ForRows(profile, parse.GetValue(balances), parse.GetValue(invoices), DateTime.Now), DateTime.Now);
            parse.InvocationConfiguration.Output.WriteLine(
                $"{code}: {rows} period balances and {ap} invoices in {watch.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s -> {Path.Combine(dir, code + ".db")}");
            return ExitCodes.Ok;
        });
        return generate;
    }

    private static async Task<int> RunAgentAsync(
        IReadOnlyDictionary<string, string?> settings, string? backend, string? urls, CancellationToken cancellationToken)
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddInMemoryCollection(settings)
            .Build();

        // Lists start empty so configured values replace the defaults instead of being appended to them.
        var options = new AgentHostOptions { Urls = [] };
        configuration.GetSection("Agent").Bind(options);
        options.Backend = backend ?? configuration["backend"] ?? options.Backend;
        if ((urls ?? configuration["urls"]) is { } addresses)
        {
            options.Urls = addresses.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        else if (options.Urls.Count == 0)
        {
            options.Urls = ["https://127.0.0.1:5443"];
        }

        options.ConfigureHost = host =>
        {
            // The web host reads the same command-line settings (Logging:..., Kestrel:...).
            host.Configuration.AddInMemoryCollection(settings);

            // Ctrl+C and SIGTERM (console lifetime) or the service control manager (Windows service) stop the host;
            // requests in flight get the shutdown timeout to finish.
            host.Services.AddWindowsService(o => o.ServiceName = ServiceName);
            host.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        };

        await using SageAgentHandle agent = await SageAgentHost.StartAsync(options, cancellationToken);
        Console.WriteLine($"Sage agent ({options.Backend}) listening on {agent.BaseAddress}");
        Console.WriteLine($"Certificate SHA-256 fingerprint (pin this in the connector): {agent.CertificateSha256}");
        IHostApplicationLifetime lifetime = agent.Services.GetRequiredService<IHostApplicationLifetime>();
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStopping.Register(() => stopping.TrySetResult()))
        using (cancellationToken.Register(() => stopping.TrySetResult()))
        {
            await stopping.Task;
        }

        Console.WriteLine("Sage agent stopping ...");
        return ExitCodes.Ok;
    }

    private static (string, int)? Describe(Exception exception) => exception switch
    {
        ArgumentException or InvalidOperationException or IOException or System.Security.Cryptography.CryptographicException
            => ($"The agent cannot start: {OptionParsers.Message(exception)}", ExitCodes.Failed),
        _ => null,
    };
}
