using Connector.Local.Demo;
using Connector.Local.Hosting;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Connector.Testing;

/// <summary>
/// The whole product on one machine for end-to-end tests: the shared Azurite, the Sage agent with its simulated
/// companies over HTTPS, the Anaplan emulator with the FP&amp;A model, and the local Durable Task host (unique task hub,
/// staging container and tables) running the connector's orchestrations for the connections the test class declares.
/// </summary>
public abstract class ConnectorFlowFixture : IAsyncLifetime
{
    private static readonly System.Text.Json.JsonSerializerOptions SkipNulls = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
    private IHost? host;

    public LocalEnvironment Environment { get; private set; } = null!;

    public IServiceProvider Services => this.host?.Services ?? throw new InvalidOperationException("The host has not started.");

    public DurableTaskClient Client => this.Services.GetRequiredService<DurableTaskClient>();

    public FlowStarter Starter => this.Services.GetRequiredService<FlowStarter>();

    public RunOperations Operations => this.Services.GetRequiredService<RunOperations>();

    public RunRecovery Recovery => this.Services.GetRequiredService<RunRecovery>();

    public StepResultStore Steps => this.Services.GetRequiredService<StepResultStore>();

    public AuditStore Audit => this.Services.GetRequiredService<AuditStore>();

    public MappingStore Mappings => this.Services.GetRequiredService<MappingStore>();

    public ConnectorStorage Storage => this.Services.GetRequiredService<ConnectorStorage>();

    public string TaskHub { get; } = UniqueNames.TaskHub("Flow");

    /// <summary>Gets the staging container of this fixture.</summary>
    public string StagingContainer { get; } = UniqueNames.Container("staging");

    /// <summary>Gets the table prefix of this fixture.</summary>
    public string TablePrefix { get; } = UniqueNames.Table("C");

    /// <summary>Gets the connections (after start).</summary>
    public IReadOnlyList<ConnectionOptions> ConnectionList { get; private set; } = [];

    /// <summary>Gets a value indicating whether this process runs a worker (false: only a client; a worker process runs the hub).</summary>
    protected virtual bool RunWorker => true;

    public virtual async Task InitializeAsync()
    {
        string storage = await TestStorage.GetConnectionStringAsync();
        this.Environment = await LocalEnvironment.StartAsync(this.EnvironmentOptions(storage));
        IReadOnlyList<ConnectionOptions> connections = await this.ConnectionsAsync(this.Environment);
        this.ConnectionList = connections;
        string container = this.StagingContainer;
        string tables = this.TablePrefix;
        this.host = ConnectorHost.CreateBuilder(
            new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build(),
            runWorker: this.RunWorker,
            durable: o =>
            {
                o.ConnectionString = storage;
                o.TaskHubName = this.TaskHub;
                DurableHostFixture.ApplyTestTimings(o);
            },
            configure: services =>
            {
                services.AddSingleton(this.Environment.Credentials);
                services.Configure<ConnectorOptions>(o =>
                {
                    o.Storage.ConnectionString = storage;
                    o.Storage.StagingContainer = container;
                    o.Storage.TablePrefix = tables;
                    o.Connections.AddRange(connections);
                });
                this.ConfigureServices(services);
            }).Build();
        await this.host.StartAsync();
    }

    public virtual async Task DisposeAsync()
    {
        if (this.host is not null)
        {
            await this.host.StopAsync(TimeSpan.FromSeconds(30));
            this.host.Dispose();
        }

        if (this.Environment is not null)
        {
            await this.Environment.DisposeAsync();
        }

        await this.DisposeMoreAsync();
    }

    /// <summary>Disposes what a derived fixture started (after the host and the environment stopped).</summary>
    protected virtual ValueTask DisposeMoreAsync() => ValueTask.CompletedTask;

    /// <summary>Starts an actuals run and waits for its summary (fails the test if the run does not complete).</summary>
    public async Task<ActualsRunSummary> RunActualsAsync(string connectionId, ActualsRunRequest? request = null, TimeSpan? timeout = null)
        => Completed(await this.RunActualsToEndAsync(connectionId, request, timeout)).ReadOutputAs<ActualsRunSummary>()!;

    /// <summary>Starts a budgets run and waits for its summary (fails the test if the run does not complete).</summary>
    public async Task<Orchestrations.Flows.Budgets.BudgetRunSummary> RunBudgetsAsync(string connectionId, BudgetRunRequest request)
        => Completed(await this.RunBudgetsToEndAsync(connectionId, request)).ReadOutputAs<Orchestrations.Flows.Budgets.BudgetRunSummary>()!;

    /// <summary>Every entry's result of a budgets run (plan order), read from the blob its summary names.</summary>
    public async Task<IReadOnlyList<Orchestrations.Flows.Budgets.EntryResult>> ResultsAsync(Orchestrations.Flows.Budgets.BudgetRunSummary summary)
        => summary?.ResultsBlob is { } blob ? await Orchestrations.Flows.Budgets.BudgetRunResults.ReadAsync(this.Storage.StagingContainer, blob) : [];

    /// <summary>Starts an actuals run and waits until it ends, however it ends.</summary>
    public async Task<OrchestrationMetadata> RunActualsToEndAsync(string connectionId, ActualsRunRequest? request = null, TimeSpan? timeout = null)
    {
        StartRunResult started = await this.Starter.StartActualsAsync(connectionId, "test", request ?? new ActualsRunRequest());
        return await this.WaitAsync(started.InstanceId, timeout ?? TimeSpan.FromMinutes(4));
    }

    /// <summary>Starts a budgets run and waits until it ends, however it ends.</summary>
    public async Task<OrchestrationMetadata> RunBudgetsToEndAsync(string connectionId, BudgetRunRequest request)
    {
        StartRunResult started = await this.Starter.StartBudgetsAsync(connectionId, "test", request);
        return await this.WaitAsync(started.InstanceId, TimeSpan.FromMinutes(3));
    }

    public Task<OrchestrationMetadata> WaitAsync(string instanceId, TimeSpan timeout)
        => DurableHostFixture.WaitForRunAsync(this.Client, instanceId, timeout);

    /// <summary>
    /// Writes the settings file a separate worker process (<c>Connector.Local.TestWorker runtime</c>) needs to run this
    /// fixture's connections on its task hub, storage and credential file; returns its path.
    /// </summary>
    public string WriteWorkerSettings(string directory)
    {
        var durable = new LocalDurableOptions { ConnectionString = this.Environment.StorageConnectionString, TaskHubName = this.TaskHub };
        DurableHostFixture.ApplyTestTimings(durable);
        var settings = new
        {
            Durable = durable,
            Connector = new
            {
                Storage = new { ConnectionString = this.Environment.StorageConnectionString, this.StagingContainer, this.TablePrefix },
                Connections = this.ConnectionList,
            },
            Credentials = new { Store = "EncryptedFile", File = this.Environment.CredentialFile },
        };

        // Unset options stay out of the file, so the worker keeps its defaults (a null URI would not bind as "none").
        string path = Path.Combine(directory, "worker.settings.json");
        File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(settings, SkipNulls));
        return path;
    }

    /// <summary>How many times each activity was scheduled in a run and its sub-runs, read from the task hub's history.</summary>
    public async Task<Dictionary<string, int>> ScheduledActivitiesAsync(string instanceId)
    {
        Azure.Data.Tables.TableClient history = new Azure.Data.Tables.TableServiceClient(this.Environment.StorageConnectionString).GetTableClient($"{this.TaskHub}History");
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        await foreach (Azure.Data.Tables.TableEntity row in history.QueryAsync<Azure.Data.Tables.TableEntity>(
            r => r.PartitionKey.CompareTo(instanceId) >= 0 && r.PartitionKey.CompareTo(instanceId + "\uffff") < 0))
        {
            if (row.GetString("EventType") == "TaskScheduled" && (row.PartitionKey == instanceId || row.PartitionKey.StartsWith(instanceId + "|", StringComparison.Ordinal)))
            {
                string name = $"{row.GetString("Name")} in {row.PartitionKey}";
                counts[name] = counts.GetValueOrDefault(name) + 1;
            }
        }

        return counts;
    }

    private static OrchestrationMetadata Completed(OrchestrationMetadata done)
    {
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"run {done.InstanceId} ended {done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage}");
        return done;
    }

    /// <summary>The connections of the test class.</summary>
    protected abstract IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment);

    /// <summary>The connections, when finding them needs the running systems (discovery); by default <see cref="Connections"/>.</summary>
    protected virtual Task<IReadOnlyList<ConnectionOptions>> ConnectionsAsync(LocalEnvironment environment) => Task.FromResult(this.Connections(environment));

    /// <summary>Adds or replaces services of the connector host (after the fixture's own).</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    /// <summary>The environment's settings (override to change the simulated companies' size or the emulator).</summary>
    protected virtual LocalEnvironmentOptions EnvironmentOptions(string storage) => new() { StorageConnectionString = storage };

    /// <summary>
    /// The environment with the emulator's default model whose cost-centre and vendor imports create no list items, as a
    /// model builder may set them: rows on a department or vendor the model lacks are rejected or fail.
    /// </summary>
    protected static LocalEnvironmentOptions WithoutNewCostCentersOrVendors(string storage)
        => new()
        {
            StorageConnectionString = storage,
            ConfigureAnaplan = ImportsCreatingNoItems("Cost Centers from Sage", "Vendors from Sage"),
        };

    /// <summary>
    /// Loads the emulator's default model with the named imports creating no list items, as a model builder may set them:
    /// a row naming an item the list lacks is rejected, not added.
    /// </summary>
    protected static Action<Connector.Emulators.Anaplan.AnaplanEmulatorOptions> ImportsCreatingNoItems(params string[] importNames)
        => options =>
        {
            var definition = Connector.Emulators.Anaplan.Model.TenantDefinition.LoadDefault();
            foreach (string name in importNames)
            {
                definition.Workspaces[0].Models[0].Imports.Single(i => i.Name == name).CreateItems = false;
            }

            options.Definition = definition;
        };
}
