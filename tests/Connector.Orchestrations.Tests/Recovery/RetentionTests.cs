using Azure.Storage.Blobs.Models;
using Connector.Local.Demo;
using Connector.Local.Hosting;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Connector.Testing;
using Connector.Tests.Shared;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Connector.Orchestrations.Tests.Recovery;

/// <summary>
/// Retention (<c>Connector:Retention:Days</c>) as the local worker runs it (<see cref="LocalRetention"/>, the same purge as the
/// Functions app's <c>RetentionPurge</c> timer) on real actuals runs: a finished run older than the setting loses its
/// instances (sub-runs included), audit rows, recorded steps and staging; a newer finished run and an older run still
/// running keep everything.
/// </summary>
public sealed class RetentionTests(RetentionTests.Fixture fixture) : IClassFixture<RetentionTests.Fixture>
{
    [Fact]
    public async Task RetentionJob_PurgesOnlyFinishedRunsOlderThanTheSetting()
    {
        // An old finished run, then an old run that is still running: its agent's port resets every connection, and the
        // client keeps retrying (up to 20 times within its 5-minute budget per call), so the run stays Running.
        OrchestrationMetadata old = await fixture.RunActualsToEndAsync(Fixture.Kept, timeout: TimeSpan.FromMinutes(5));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, old.RuntimeStatus);
        fixture.Gate.Down = true;
        string running = (await fixture.Starter.StartActualsAsync(Fixture.Down, "test", new ActualsRunRequest())).InstanceId;
        await Eventually.TrueAsync(
            async () => (await fixture.Client.GetInstanceAsync(running))?.RuntimeStatus == OrchestrationRuntimeStatus.Running && fixture.Gate.Refused > 0,
            TimeSpan.FromMinutes(2),
            "the second run is running and trying to reach its agent");

        // The retention boundary: everything above is older, the next run newer.
        DateTimeOffset boundary = DateTimeOffset.UtcNow;
        await Eventually.TrueAsync(() => Task.FromResult(DateTimeOffset.UtcNow > boundary), TimeSpan.FromSeconds(5), "the clock passed the boundary");
        OrchestrationMetadata recent = await fixture.RunActualsToEndAsync(Fixture.Kept, timeout: TimeSpan.FromMinutes(5));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, recent.RuntimeStatus);

        List<string> oldTree = await this.TreeAsync(old.InstanceId);
        Assert.NotEmpty(oldTree);
        Assert.NotEmpty(await this.StagedAsync(Fixture.Kept, old.InstanceId));
        Assert.NotEmpty(await fixture.Steps.GetAsync(old.InstanceId));
        Assert.NotNull(await fixture.Audit.GetRunAsync(Fixture.Kept, old.InstanceId));
        List<string> recentTree = await this.TreeAsync(recent.InstanceId);
        int recentStaged = (await this.StagedAsync(Fixture.Kept, recent.InstanceId)).Count;
        Assert.True(recentStaged > 0);
        // The running run has no sub-run yet: it reads the Sage side itself before the dimension sub-run starts, and its
        // agent is down (the held run of the next test has sub-runs, and keeps them).
        List<string> runningTree = await this.TreeAsync(running);

        // The held run is still running when the job starts (a run that had ended would rightly be purged: it is finished
        // and older than the boundary).
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await fixture.Client.GetInstanceAsync(running))?.RuntimeStatus);

        (int runs, int instances) = await RunRetentionJobAsync(fixture, boundary);

        // Exactly the old run, its instance and its sub-runs.
        Assert.Equal(1, runs);
        Assert.Equal(oldTree.Count + 1, instances);

        // The old finished run is gone whole.
        Assert.Null(await fixture.Client.GetInstanceAsync(old.InstanceId));
        Assert.Empty(await this.TreeAsync(old.InstanceId));
        Assert.Null(await fixture.Audit.GetRunAsync(Fixture.Kept, old.InstanceId));
        Assert.Empty(await fixture.Steps.GetAsync(old.InstanceId));
        Assert.Empty(await this.StagedAsync(Fixture.Kept, old.InstanceId));

        // The newer finished run and the older running one keep everything.
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await fixture.Client.GetInstanceAsync(recent.InstanceId))!.RuntimeStatus);
        Assert.Equal(recentTree, await this.TreeAsync(recent.InstanceId));
        Assert.Equal(RunStatuses.Completed, (await fixture.Audit.GetRunAsync(Fixture.Kept, recent.InstanceId))!.Status);
        Assert.Equal(recentStaged, (await this.StagedAsync(Fixture.Kept, recent.InstanceId)).Count);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await fixture.Client.GetInstanceAsync(running))!.RuntimeStatus);
        Assert.Equal(runningTree, await this.TreeAsync(running));
        Assert.Equal(RunStatuses.Running, (await fixture.Audit.GetRunAsync(Fixture.Down, running))!.Status);

        await fixture.Recovery.TerminateAsync(running, "test finished", "retention test");
        fixture.Gate.Down = false;
    }

    /// <summary>
    /// Runs the worker's retention job once, its clock set so that "now minus the setting" is <paramref name="boundary"/>,
    /// and returns the runs and instances it reported purged.
    /// </summary>
    internal static async Task<(int Runs, int Instances)> RunRetentionJobAsync(ConnectorFlowFixture fixture, DateTimeOffset boundary)
    {
        int days = fixture.Services.GetRequiredService<IOptionsMonitor<ConnectorOptions>>().CurrentValue.Retention.Days;
        Assert.Equal(90, days);
        var logs = new CapturingLoggerProvider();
        using (var loggers = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Information)))
        using (var job = new LocalRetention(
            fixture.Recovery,
            fixture.Services.GetRequiredService<IOptionsMonitor<ConnectorOptions>>(),
            new FakeTimeProvider(boundary.AddDays(days)),
            loggers.CreateLogger<LocalRetention>()))
        {
            await job.StartAsync(CancellationToken.None);
            await Eventually.TrueAsync(
                () => Task.FromResult(logs.Lines.Any(l => l.Contains("[122]", StringComparison.Ordinal) || l.Contains("[123]", StringComparison.Ordinal))),
                TimeSpan.FromMinutes(2),
                "the retention job reported");
            await job.StopAsync(CancellationToken.None);
        }

        Assert.DoesNotContain(logs.Lines, l => l.Contains("[123]", StringComparison.Ordinal));
        string report = Assert.Single(logs.Lines, l => l.Contains("[122]", StringComparison.Ordinal));
        System.Text.RegularExpressions.Match counts = System.Text.RegularExpressions.Regex.Match(report, @"purged (\d+) run\(s\), (\d+) instance\(s\)");
        Assert.True(counts.Success, report);
        return (int.Parse(counts.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(counts.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    internal static async Task<List<string>> TreeAsync(ConnectorFlowFixture fixture, string runId)
    {
        var tree = new List<string>();
        await foreach (RunSummary run in fixture.Operations.ListAsync(new RunQuery { InstanceIdPrefix = runId + RunIds.SubRunSeparator, IncludeSubRuns = true }))
        {
            tree.Add(run.InstanceId);
        }

        return tree.Order(StringComparer.Ordinal).ToList();
    }

    private Task<List<string>> TreeAsync(string runId) => TreeAsync(fixture, runId);

    private Task<List<string>> StagedAsync(string connection, string runId) => StagedAsync(fixture, connection, runId);

    internal static async Task<List<string>> StagedAsync(ConnectorFlowFixture fixture, string connection, string runId)
    {
        var blobs = new List<string>();
        await foreach (BlobItem blob in fixture.Storage.StagingContainer.GetBlobsAsync(BlobTraits.None, BlobStates.None, Datasets.RunFolder(connection, runId), default))
        {
            blobs.Add(blob.Name);
        }

        return blobs;
    }

    /// <summary>Two connections to the simulated ABC company: one direct, one through a gate a test can take down.</summary>
    public sealed class Fixture : ConnectorFlowFixture
    {
        public const string Kept = "ret";
        public const string Down = "ret-down";

        private TcpGate? gate;

        public TcpGate Gate => this.gate ?? throw new InvalidOperationException("The fixture has not started.");

        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
        {
            ArgumentNullException.ThrowIfNull(environment);
            this.gate = new TcpGate(environment.Agent.BaseAddress);
            ConnectionOptions down = environment.Connection(Down, "ABC", "Department");
            down.Sage.BaseUrl = this.gate.Address;

            // Long client retries: the run stays Running for the whole test instead of failing.
            down.Sage.MaxRetryAttempts = 20;
            down.Sage.RetryBaseDelay = TimeSpan.FromSeconds(2);
            return [environment.Connection(Kept, "ABC", "Department"), down];
        }

        protected override async ValueTask DisposeMoreAsync()
        {
            if (this.gate is not null)
            {
                await this.gate.DisposeAsync();
            }
        }
    }
}

/// <summary>
/// Retention never purges a run that has not finished, nor any part of it: a run held inside the model lock (its
/// dimension and vendor sub-runs already Completed, its GL load waiting on Anaplan) and a suspended run keep their
/// instances, every sub-run, audit rows, recorded steps and staging, while a finished older run goes.
/// </summary>
public sealed class RetentionUnfinishedRunsTests(RetentionTests.Fixture fixture) : IClassFixture<RetentionTests.Fixture>
{
    [Fact]
    public async Task RetentionJob_NeverPurgesARunningOrSuspendedRun_NorItsFinishedSubRuns()
    {
        OrchestrationMetadata finished = await fixture.RunActualsToEndAsync(RetentionTests.Fixture.Kept, timeout: TimeSpan.FromMinutes(5));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, finished.RuntimeStatus);
        List<string> finishedTree = await RetentionTests.TreeAsync(fixture, finished.InstanceId);

        // Held: the GL import's status never comes back, so the run sits inside the model lock with finished sub-runs.
        var model = fixture.Environment.Anaplan.DefaultModel;
        string glImport = Emulators.Anaplan.Model.TenantDefinition.LoadDefault().Workspaces[0].Models[0].Imports.Single(i => i.Name == "GL Actuals from Sage").Id;
        fixture.Environment.Anaplan.State.Faults.Delay($"GET /2/0/workspaces/*/models/*/imports/{glImport}/tasks/*", TimeSpan.FromMinutes(10));
        string held = (await fixture.Starter.StartActualsAsync(RetentionTests.Fixture.Kept, "test", new ActualsRunRequest())).InstanceId;
        await Eventually.TrueAsync(
            async () => (await fixture.Operations.GetModelLockAsync(model.WorkspaceId, model.Id))?.LockedBy?.StartsWith(held, StringComparison.Ordinal) == true
                && (await fixture.Client.GetInstanceAsync(held + RunIds.SubRunSeparator + "dimensions"))?.RuntimeStatus == OrchestrationRuntimeStatus.Completed,
            TimeSpan.FromMinutes(5),
            "the held run finished aligning dimensions and holds the model lock");

        // Suspended: a second run (waiting for the lock) suspended by an operator.
        string suspended = (await fixture.Starter.StartActualsAsync(RetentionTests.Fixture.Down, "test", new ActualsRunRequest())).InstanceId;
        await Eventually.TrueAsync(
            async () => (await fixture.Client.GetInstanceAsync(suspended))?.RuntimeStatus == OrchestrationRuntimeStatus.Running,
            TimeSpan.FromMinutes(2),
            "the second run is running");
        await fixture.Operations.SuspendAsync(suspended, "retention test");
        await Eventually.TrueAsync(
            async () => (await fixture.Client.GetInstanceAsync(suspended))?.RuntimeStatus == OrchestrationRuntimeStatus.Suspended,
            TimeSpan.FromMinutes(2),
            "the second run is suspended");

        DateTimeOffset boundary = DateTimeOffset.UtcNow;
        await Eventually.TrueAsync(() => Task.FromResult(DateTimeOffset.UtcNow > boundary), TimeSpan.FromSeconds(5), "the clock passed the boundary");
        var before = new Dictionary<string, (List<string> Tree, int Steps, int Staged, string? Audit)>();
        foreach ((string id, string connection) in new[] { (held, RetentionTests.Fixture.Kept), (suspended, RetentionTests.Fixture.Down) })
        {
            before[id] = (await RetentionTests.TreeAsync(fixture, id), (await fixture.Steps.GetAsync(id)).Count,
                (await RetentionTests.StagedAsync(fixture, connection, id)).Count, (await fixture.Audit.GetRunAsync(connection, id))?.Status);
        }

        Assert.Contains(before[held].Tree, id => id.EndsWith(RunIds.SubRunSeparator + "dimensions", StringComparison.Ordinal));
        Assert.NotEmpty(await fixture.Steps.GetAsync(held));
        Assert.Equal(RunStatuses.Running, before[held].Audit);

        (int runs, int instances) = await RetentionTests.RunRetentionJobAsync(fixture, boundary);

        // Only the finished run went.
        Assert.Equal(1, runs);
        Assert.Equal(finishedTree.Count + 1, instances);
        Assert.Null(await fixture.Client.GetInstanceAsync(finished.InstanceId));

        // The held and the suspended run keep everything, sub-runs included.
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await fixture.Client.GetInstanceAsync(held))?.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Suspended, (await fixture.Client.GetInstanceAsync(suspended))?.RuntimeStatus);
        foreach ((string id, string connection) in new[] { (held, RetentionTests.Fixture.Kept), (suspended, RetentionTests.Fixture.Down) })
        {
            // Nothing of it went (a sub-run its children started since may have been added: suspending a run does not
            // suspend the sub-runs already started).
            List<string> tree = await RetentionTests.TreeAsync(fixture, id);
            Assert.All(before[id].Tree, part => Assert.Contains(part, tree));
            Assert.True((await fixture.Steps.GetAsync(id)).Count >= before[id].Steps);
            Assert.True((await RetentionTests.StagedAsync(fixture, connection, id)).Count >= before[id].Staged);
            Assert.Equal(before[id].Audit, (await fixture.Audit.GetRunAsync(connection, id))?.Status);
        }

        fixture.Environment.Anaplan.State.Faults.Clear();
        await fixture.Recovery.TerminateAsync(suspended, "test finished", "retention test");
        await fixture.Recovery.TerminateAsync(held, "test finished", "retention test");
    }
}
