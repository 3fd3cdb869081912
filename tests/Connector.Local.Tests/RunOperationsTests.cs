using Connector.Local.TestWorker;
using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Operations;
using Connector.Testing;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Connector.Local.Tests;

/// <summary>The operator API (the code behind the HTTP ops endpoints and the CLI) against the real local host.</summary>
public sealed class RunOperationsTests(RunOperationsTests.Fixture fixture) : IClassFixture<RunOperationsTests.Fixture>
{
    private RunOperations Ops => fixture.Operations;

    [Fact]
    public async Task Start_SameInstanceIdTwice_StartsOneRun()
    {
        string id = $"conn1:actuals:{Guid.NewGuid():N}";
        StartRunResult first = await this.Ops.StartAsync(nameof(ApprovalOrchestrator), id, "first");
        StartRunResult second = await this.Ops.StartAsync(nameof(ApprovalOrchestrator), id, "second");

        Assert.True(first.Started);
        Assert.False(second.Started);
        await fixture.Client.RaiseEventAsync(id, "approve", "ok");
        OrchestrationMetadata done = await fixture.WaitAsync(id);
        Assert.Equal("first:ok", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Start_ConcurrentDuplicates_RunOnce()
    {
        // Five triggers race for one schedule slot. The check in StartAsync cannot see the others in flight, but the
        // engine keeps only the first ExecutionStarted of an instance: exactly one execution runs its steps.
        string dir = Directory.CreateTempSubdirectory("dup-").FullName;
        string id = $"conn1:dup:{Guid.NewGuid():N}";
        StartRunResult[] results = await Task.WhenAll(Enumerable.Range(0, 5).Select(i =>
            this.Ops.StartAsync(nameof(StepsProbeOrchestrator), id, new StepsProbeInput(dir, [$"fire{i}"]))));

        Assert.Contains(results, r => r.Started);
        OrchestrationMetadata done = await fixture.WaitAsync(id);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Single(Directory.GetFiles(dir, "*.run"));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task SuspendResumeRaiseEvent_DriveTheRun()
    {
        string id = $"ops:{Guid.NewGuid():N}";
        await this.Ops.StartAsync(nameof(ApprovalOrchestrator), id, "input");
        await Eventually.TrueAsync(async () => (await this.Ops.GetAsync(id))?.Status == OrchestrationRuntimeStatus.Running, TimeSpan.FromSeconds(30), "the run starts");

        await this.Ops.SuspendAsync(id, "pause");
        await Eventually.TrueAsync(async () => (await this.Ops.GetAsync(id))?.Status == OrchestrationRuntimeStatus.Suspended, TimeSpan.FromSeconds(30), "the run is suspended");
        await this.Ops.RaiseEventAsync(id, "approve", "late");
        await this.Ops.ResumeAsync(id, "go on");

        OrchestrationMetadata done = await fixture.WaitAsync(id);
        Assert.Equal("input:late", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Terminate_ThenPurge_RemovesTheRun()
    {
        string id = $"ops:{Guid.NewGuid():N}";
        await this.Ops.StartAsync(nameof(ApprovalOrchestrator), id, "input");
        await Assert.ThrowsAsync<RunStateException>(() => this.Ops.PurgeAsync(id)); // still running

        await this.Ops.TerminateAsync(id, "not needed");
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, (await fixture.WaitAsync(id)).RuntimeStatus);
        await Assert.ThrowsAsync<RunStateException>(() => this.Ops.TerminateAsync(id, "again"));

        Assert.Equal(1, await this.Ops.PurgeAsync(id));
        Assert.Null(await this.Ops.GetAsync(id));
        await Assert.ThrowsAsync<RunNotFoundException>(() => this.Ops.PurgeAsync(id));
    }

    [Fact]
    public async Task Replay_FinishedRun_StartsNewRunWithSameInput()
    {
        string id = $"ops:{Guid.NewGuid():N}";
        await this.Ops.StartAsync(nameof(ApprovalOrchestrator), id, "same input");
        await fixture.Client.RaiseEventAsync(id, "approve", "one");
        await fixture.WaitAsync(id);

        string replay = await this.Ops.ReplayAsync(id);
        Assert.StartsWith($"{id}~replay-", replay, StringComparison.Ordinal);
        await Eventually.TrueAsync(async () => (await this.Ops.GetAsync(replay))?.Status == OrchestrationRuntimeStatus.Running, TimeSpan.FromSeconds(30), "the replay starts");
        await fixture.Client.RaiseEventAsync(replay, "approve", "two");
        Assert.Equal("same input:two", (await fixture.WaitAsync(replay)).ReadOutputAs<string>());
    }

    [Fact]
    public async Task List_ByPrefixAndStatus_FindsTheRuns_AndHidesLockEntities()
    {
        string prefix = $"list{Guid.NewGuid():N}";
        for (int i = 0; i < 3; i++)
        {
            await this.Ops.StartAsync(nameof(SelfTestOrchestrator), $"{prefix}:{i}", new SelfTestInput("ws", "model" + i));
        }

        foreach (int i in new[] { 0, 1, 2 })
        {
            await fixture.WaitAsync($"{prefix}:{i}");
        }

        var runs = await this.Ops.ListAsync(new RunQuery { InstanceIdPrefix = prefix, Statuses = [OrchestrationRuntimeStatus.Completed] }).ToListAsync();
        Assert.Equal(3, runs.Count);
        Assert.All(runs, r => Assert.Equal(nameof(SelfTestOrchestrator), r.Name));

        var all = await this.Ops.ListAsync(new RunQuery()).ToListAsync();
        Assert.DoesNotContain(all, r => r.InstanceId.StartsWith('@'));
    }

    [Fact]
    public async Task UnknownRun_ActionsSayNotFound()
    {
        await Assert.ThrowsAsync<RunNotFoundException>(() => this.Ops.RewindAsync("nope", "x"));
        await Assert.ThrowsAsync<RunNotFoundException>(() => this.Ops.ReplayAsync("nope"));
        await Assert.ThrowsAsync<RunNotFoundException>(() => this.Ops.TerminateAsync("nope", "x"));
        Assert.Null(await this.Ops.GetAsync("nope"));
    }

    public sealed class Fixture : DurableHostFixture
    {
        protected override void RegisterTasks(DurableTaskRegistry registry) => registry.AddOrchestrator<ApprovalOrchestrator>().AddProbeTasks();
    }
}

/// <summary>Waits for an "approve" event and returns its input joined with the event payload.</summary>
public sealed class ApprovalOrchestrator : TaskOrchestrator<string, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
        => $"{input}:{await context.WaitForExternalEvent<string>("approve")}";
}
