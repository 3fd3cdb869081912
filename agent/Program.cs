using System.Diagnostics;
using System.Globalization;
using Connector.Agent;
using Connector.Agent.Backends;
using Connector.Agent.Backends.Simulated;
using Connector.Agent.Security;

// Commands (see agent/README.md):
//   (none)                      run the agent: --backend simulated|boi --urls https://127.0.0.1:5443 (+ Agent:* configuration)
//   hash-key [key]              print the configuration hash of an API key (reads the key from stdin when not given)
//   generate-key                print a new random API key and its hash
//   generate --company LNG --period-balances 1000000 --invoices 1000000 --out DIR
//                               build a simulated company file of that size and print how long it took
switch (args.FirstOrDefault())
{
    case "hash-key":
        string key = args.Length > 1 ? args[1] : (Console.ReadLine() ?? string.Empty).Trim();
        Console.WriteLine(ApiKeyHasher.Hash(key));
        return 0;
    case "generate-key":
        string generated = ApiKeyHasher.Generate();
        Console.WriteLine($"API key (give to the connector, store it in its credential store): {generated}");
        Console.WriteLine($"Hash (put in the agent's Agent:ApiKeyHashes): {ApiKeyHasher.Hash(generated)}");
        return 0;
    case "generate":
        return Generate(args[1..]);
}

var configuration = new ConfigurationBuilder()
    .SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json", optional: true)
    .AddEnvironmentVariables()
    .AddCommandLine(args)
    .Build();
// Lists start empty so configured values replace the defaults instead of being appended to them.
var options = new AgentHostOptions { Urls = [] };
configuration.GetSection("Agent").Bind(options);
options.Backend = configuration["backend"] ?? options.Backend;
if (configuration["urls"] is { } urls)
{
    options.Urls = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
else if (options.Urls.Count == 0)
{
    options.Urls = ["https://127.0.0.1:5443"];
}

// The web host reads the command line too: a Kestrel endpoint given there is held to HTTPS like every other.
await using SageAgentHandle agent = await SageAgentHost.StartAsync(options, args);
Console.WriteLine($"Sage agent ({options.Backend}) listening on {agent.BaseAddress}");
Console.WriteLine($"Certificate SHA-256 fingerprint (pin this in the connector): {agent.CertificateSha256}");
var stop = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.TrySetResult();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.TrySetResult();
await stop.Task;
return 0;

static int Generate(string[] args)
{
    string Arg(string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    string code = Arg("--company", "LNG").ToUpperInvariant();
    CompanyProfile profile = CompanyProfile.BuiltIn.FirstOrDefault(p => p.Code == code) ?? throw new ArgumentException($"Unknown company {code}.");
    int balances = int.Parse(Arg("--period-balances", "1000000"), CultureInfo.InvariantCulture);
    int invoices = int.Parse(Arg("--invoices", "100000"), CultureInfo.InvariantCulture);
    string dir = Arg("--out", Path.Combine(Path.GetTempPath(), "sage-sim-bench"));
    Directory.CreateDirectory(dir);
    var watch = Stopwatch.StartNew();
    var (rows, ap) = SimulatedCompanyGenerator.Generate(Path.Combine(dir, code + ".db"), profile, SimulatedScale.ForRows(profile, balances, invoices, DateTime.Now), DateTime.Now);
    Console.WriteLine($"{code}: {rows} period balances and {ap} invoices in {watch.Elapsed.TotalSeconds:0.0} s -> {Path.Combine(dir, code + ".db")}");
    return 0;
}
