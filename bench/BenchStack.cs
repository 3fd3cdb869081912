using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Connector.Local.Hosting;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Credentials;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using DurableTask.AzureStorage;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Connector.Bench;

/// <summary>Where the parts the benchmark starts are built, found from the benchmark's own location.</summary>
internal sealed record BenchPaths(string Root, string Configuration)
{
    public string Agent => Path.Combine(this.Root, "agent", "bin", this.Configuration, "net10.0", "Connector.Agent.dll");

    public string Emulator => Path.Combine(this.Root, "emulators", "anaplan", "bin", this.Configuration, "net10.0", "Connector.Emulators.Anaplan.dll");

    public string Worker => Path.Combine(this.Root, "local", "bin", this.Configuration, "net10.0", "connector.dll");

    public static BenchPaths Find()
    {
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Connector.sln")))
            {
                return new BenchPaths(dir.FullName, configuration);
            }
        }

        throw new InvalidOperationException($"Connector.sln was not found above {AppContext.BaseDirectory}: run the benchmark from the repository.");
    }
}

/// <summary>
/// The product for one measurement, every part in its own process: the Sage agent (simulated companies over HTTPS,
/// serving the company file the benchmark generated), the Anaplan emulator, and a worker (<c>connector worker</c>) on a
/// task hub of its own; this process is only a client (starts runs, reads history, pages the agent, reads the emulator).
/// </summary>
internal sealed class BenchStack : IAsyncDisposable
{
    public const string ConnectionId = "lng";
    public const string OffsetAccount = "30000000-000";
    private const string ApiKeyReference = "sage-agent-api-key";
    private const string PasswordReference = "anaplan-password";

    private BenchStack(ChildProcess agent, ChildProcess emulator, ChildProcess worker, IHost client, Uri anaplan, string modelId)
    {
        this.Agent = agent;
        this.Emulator = emulator;
        this.Worker = worker;
        this.Host = client;
        this.Admin = new HttpClient { BaseAddress = new Uri(anaplan, "_emulator/"), Timeout = TimeSpan.FromMinutes(5) };
        this.ModelId = modelId;
    }

    public ChildProcess Agent { get; }

    public ChildProcess Emulator { get; }

    public ChildProcess Worker { get; }

    public IHost Host { get; }

    /// <summary>Gets the emulator's test-control API (<c>/_emulator/</c>).</summary>
    public HttpClient Admin { get; }

    public string ModelId { get; }

    public DurableTaskClient Client => this.Host.Services.GetRequiredService<DurableTaskClient>();

    public FlowStarter Starter => this.Host.Services.GetRequiredService<FlowStarter>();

    public ConnectionClients Clients => this.Host.Services.GetRequiredService<ConnectionClients>();

    public ConnectorStorage Storage => this.Host.Services.GetRequiredService<ConnectorStorage>();

    public AzureStorageOrchestrationService Service => this.Host.Services.GetRequiredService<AzureStorageOrchestrationService>();

    /// <summary>Starts the agent on <paramref name="companies"/> (LNG already generated there), the emulator and a worker.</summary>
    public static async Task<BenchStack> StartAsync(BenchPaths paths, string storage, string directory, string companies, string taskHub, int? glRowsPerFile = null)
    {
        var started = new List<IAsyncDisposable>();
        try
        {
            string apiKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
            int agentPort = FreePort();
            ChildProcess agent = ChildProcess.StartDotnet(
                "agent",
                paths.Agent,
                ["--backend", "simulated", "--urls", $"https://127.0.0.1:{agentPort}", "--Agent:ApiKeys:0", apiKey,
                 "--Agent:Simulated:DataDirectory", companies, "--Agent:CertificateDirectory", Path.Combine(directory, "certs"),
                 "--Agent:LedgerPath", Path.Combine(directory, "ledger.db")],
                new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" });
            started.Add(agent);
            string pin = (await agent.WaitForLineAsync(l => l.Contains("fingerprint (pin this in the connector):", StringComparison.Ordinal), TimeSpan.FromMinutes(5)))
                .Split(':', 2)[1].Trim();

            int anaplanPort = FreePort();
            ChildProcess emulator = ChildProcess.StartDotnet("emulator", paths.Emulator, ["--urls", $"http://127.0.0.1:{anaplanPort}", "--log-level", "Warning"]);
            started.Add(emulator);
            var anaplan = new Uri($"http://127.0.0.1:{anaplanPort}/");
            JsonObject model = await FirstModelAsync(anaplan, emulator);

            string masterKey = EncryptedFileCredentialStore.NewMasterKey();
            string credentials = Path.Combine(directory, "credentials.json");
            using (var store = new EncryptedFileCredentialStore(credentials, EncryptedFileCredentialStore.DecodeMasterKey(masterKey, "bench")))
            {
                await store.SetAsync(ApiKeyReference, apiKey);
                await store.SetAsync(PasswordReference, "emulator-demo-password");
            }

            string settings = Path.Combine(directory, "connector.settings.json");
            await File.WriteAllTextAsync(settings, Settings(storage, taskHub, credentials, agentPort, pin, anaplan, model, glRowsPerFile).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

            ChildProcess worker = ChildProcess.StartDotnet("worker", paths.Worker, ["worker", "--settings", settings], new Dictionary<string, string> { ["CONNECTOR_MASTER_KEY"] = masterKey }, directory);
            started.Add(worker);
            await worker.WaitForLineAsync(l => l.Contains("Worker and schedule tick running", StringComparison.Ordinal), TimeSpan.FromMinutes(3));

            // This process reads the same settings as a client only (no worker): it starts runs and reads what they did.
            Environment.SetEnvironmentVariable("CONNECTOR_MASTER_KEY", masterKey);
            IHost host = ConnectorHost.CreateBuilder(new ConfigurationBuilder().AddJsonFile(settings).Build(), runWorker: false).Build();
            await host.StartAsync();
            return new BenchStack(agent, emulator, worker, host, anaplan, model["id"]!.GetValue<string>());
        }
        catch
        {
            foreach (IAsyncDisposable part in Enumerable.Reverse(started))
            {
                await part.DisposeAsync();
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await this.Host.StopAsync(TimeSpan.FromSeconds(30));
        this.Host.Dispose();
        this.Admin.Dispose();
        await this.Worker.DisposeAsync();
        await this.Emulator.DisposeAsync();
        await this.Agent.DisposeAsync();
    }

    private static JsonObject Settings(string storage, string taskHub, string credentials, int agentPort, string pin, Uri anaplan, JsonObject model, int? glRowsPerFile)
    {
        // Schedules that never come due while the benchmark runs (29 February): every run here is started on demand.
        const string never = "0 0 0 29 2 *";
        return new JsonObject
        {
            ["Credentials"] = new JsonObject { ["Store"] = "EncryptedFile", ["File"] = credentials },
            // The client polls at the host's default (0.5 s): a run's time is read from the durable store (created to
            // completed), not from when the client saw it end.
            ["Durable"] = new JsonObject { ["ConnectionString"] = storage, ["TaskHubName"] = taskHub },
            ["Connector"] = new JsonObject
            {
                [nameof(ConnectorOptions.Storage)] = new JsonObject { ["ConnectionString"] = storage, ["StagingContainer"] = taskHub.ToLowerInvariant() + "-staging", ["TablePrefix"] = taskHub },
                ["Connections"] = new JsonArray(new JsonObject
                {
                    ["Id"] = ConnectionId,
                    ["CostCenterSegment"] = "Location",
                    ["Sage"] = new JsonObject
                    {
                        ["BaseUrl"] = $"https://127.0.0.1:{agentPort}",
                        ["Company"] = "LNG",
                        ["ApiKeyReference"] = ApiKeyReference,
                        ["TlsMode"] = "Pinned",
                        ["PinnedFingerprints"] = new JsonArray(pin),
                    },
                    ["Anaplan"] = new JsonObject
                    {
                        ["AuthUrl"] = anaplan.ToString(),
                        ["ApiUrl"] = new Uri(anaplan, "2/0/").ToString(),
                        ["WorkspaceId"] = model["workspaceId"]!.GetValue<string>(),
                        [nameof(AnaplanSideOptions.ModelId)] = model["id"]!.GetValue<string>(),
                        ["AuthMode"] = "Basic",
                        ["UserName"] = "integration@example.com",
                        ["PasswordReference"] = PasswordReference,
                    },
                    ["Actuals"] = glRowsPerFile is { } perFile
                        ? new JsonObject { ["Schedule"] = never, [nameof(ActualsFlowOptions.GlRowsPerFile)] = perFile }
                        : new JsonObject { ["Schedule"] = never },
                    ["Budgets"] = new JsonObject
                    {
                        ["Enabled"] = true,
                        ["Schedule"] = never,
                        ["Version"] = "Budget",
                        ["OffsetAccount"] = OffsetAccount,
                        ["Grouping"] = "VersionPeriodAccount",
                    },
                }),
            },
        };
    }

    private static async Task<JsonObject> FirstModelAsync(Uri anaplan, ChildProcess emulator)
    {
        using var http = new HttpClient { BaseAddress = anaplan };
        DateTime until = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            try
            {
                JsonArray? models = await http.GetFromJsonAsync<JsonArray>("_emulator/models");
                return models![0]!.AsObject();
            }
            catch (HttpRequestException ex) when (ex.StatusCode is null or HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < until)
            {
                await Task.Delay(200);
            }
            catch (HttpRequestException ex)
            {
                throw new InvalidOperationException($"The emulator did not answer: {ex.Message}\n{emulator.Tail()}", ex);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
