using Connector.Emulators.Anaplan.Model;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Connector.Testing;
using Connector.Tests.Shared;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Connector.Orchestrations.Tests.Recovery;

/// <summary>
/// The whole product for recovery tests: the agent behind a <see cref="TcpGate"/> (so a test can take it down), the
/// agent's request log captured (which Sage reads a run made), and helpers to rewind a run and to count what reached
/// Anaplan and Sage in each attempt.
/// </summary>
public abstract class RecoveryFixture : ConnectorFlowFixture
{
    private TcpGate? gate;

    /// <summary>Gets the gate in front of the agent.</summary>
    public TcpGate Gate => this.gate ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>Gets what the agent logged: one line per request it served (method, path, status).</summary>
    public CapturingLoggerProvider AgentLog { get; } = new();

    public EmulatedModel Model => this.Environment.Anaplan.DefaultModel;

    /// <summary>How many requests the agent served whose path contains <paramref name="fragment"/>.</summary>
    public int AgentReads(string fragment) => this.AgentLog.Lines.Count(l => l.Contains(fragment, StringComparison.Ordinal));

    /// <summary>How many requests Anaplan took (answered 2xx) with this method and a path containing <paramref name="fragment"/>.</summary>
    public int AnaplanRequests(string method, string fragment)
        => this.Environment.Anaplan.State.Requests.Find(method, fragment).Count(r => r.StatusCode is >= 200 and < 300);

    /// <summary>Replaces a secret in the environment's credential file (a key rotated, then put right).</summary>
    public Task SetSecretAsync(string reference, string value)
        => ((Orchestrations.Credentials.EncryptedFileCredentialStore)this.Environment.Credentials).SetAsync(reference, value);

    /// <summary>The id of the shipped model's import with that name.</summary>
    public ImportDefinition Import(string name) => Shipped.Imports.Single(i => i.Name == name);

    /// <summary>The id of the shipped model's export with that name.</summary>
    public string Export(string name) => Shipped.Exports.Single(e => e.Name == name).Id;

    /// <summary>The shipped FP&amp;A model's definition (the emulator's default model).</summary>
    private static ModelDefinition Shipped { get; } = TenantDefinition.LoadDefault().Workspaces[0].Models[0];

    /// <summary>A connection to the simulated ABC company, through the gate.</summary>
    public ConnectionOptions Through(ConnectionOptions connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        connection.Sage.BaseUrl = this.gate!.Address;
        return connection;
    }

    /// <summary>Rewinds a run as an operator would, then waits for the new attempt to end.</summary>
    public async Task<OrchestrationMetadata> RewindToEndAsync(string runId, string reason)
    {
        RewindResult rewound = await this.Recovery.RewindAsync(runId, reason, "recovery test");
        Assert.True(rewound.Started, $"the rewind of {runId} was not seen starting (still {rewound.Status})");
        return await this.WaitAsync(runId, TimeSpan.FromMinutes(5));
    }

    /// <summary>The attempt a run's input carries.</summary>
    public static int AttemptOf(OrchestrationMetadata run)
        => System.Text.Json.JsonDocument.Parse(run.SerializedInput!).RootElement.EnumerateObject()
            .Single(p => string.Equals(p.Name, "attempt", StringComparison.OrdinalIgnoreCase)).Value.GetInt32();

    /// <summary>Asserts that the run's audit shows the rewind (who, why, which attempt) and the run row as it ended.</summary>
    public async Task AssertAuditedRewindAsync(string connectionId, string runId, string reason, string status)
    {
        RunAuditReport audit = await RunAuditReport.ReadAsync(this.Audit, connectionId, runId, 100);
        RunEvent rewind = Assert.Single(audit.Events, e => e.Action == RunEventActions.Rewind);
        Assert.Equal(2, rewind.Attempt);
        Assert.Equal("recovery test", rewind.By);
        Assert.Equal(reason, rewind.Reason);
        Assert.Equal(status, audit.Run.Status);
        Assert.Equal(2, audit.Run.Attempt);
        Assert.NotNull(audit.Run.FinishedAt);
    }

    protected override LocalEnvironmentOptions EnvironmentOptions(string storage)
        => new() { StorageConnectionString = storage, ConfigureAgentLogging = b => b.AddProvider(this.AgentLog).SetMinimumLevel(LogLevel.Information) };

    protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        this.gate = new TcpGate(environment.Agent.BaseAddress);
        return [.. this.ConnectionsThroughGate(environment).Select(this.Through)];
    }

    /// <summary>The test class's connections (their agent address is replaced by the gate's).</summary>
    protected abstract IEnumerable<ConnectionOptions> ConnectionsThroughGate(LocalEnvironment environment);

    protected override async ValueTask DisposeMoreAsync()
    {
        if (this.gate is not null)
        {
            await this.gate.DisposeAsync();
        }
    }
}
