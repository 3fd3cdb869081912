using Connector.Local.TestWorker;
using Connector.Testing;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Connector.Local.Tests;

/// <summary>Real durability on the local host: crash takeover by another process, and rewind after a fix.</summary>
public sealed class DurabilityTests(DurabilityTests.Fixture fixture) : IClassFixture<DurabilityTests.Fixture>, IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("durability-").FullName;

    [Fact]
    public async Task WorkerKilledMidRun_NewProcessTakesOver_FinishedStepsAreNotRerun()
    {
        // A task hub of its own with no in-process worker: only the child processes run it.
        string hub = UniqueNames.TaskHub("Kill");
        string storage = fixture.ConnectionString;
        File.WriteAllText(Path.Combine(this.dir, "b.block"), string.Empty);

        using WorkerProcess first = await WorkerProcess.StartAsync([storage, hub]);
        await using var handle = LocalClient.Create(storage, hub);
        DurableTaskClient client = handle.Client;
        string id = await client.ScheduleNewOrchestrationInstanceAsync(
            nameof(StepsProbeOrchestrator), new StepsProbeInput(this.dir, ["a", "b", "c"]));

        string startedMarker = Path.Combine(this.dir, $"b.started.{first.Id}");
        await Eventually.TrueAsync(() => File.Exists(startedMarker), TimeSpan.FromSeconds(90), "step b runs in the first worker");
        Assert.Equal(1, StepActivity.RunCount(this.dir, "a"));

        first.Kill(); // SIGKILL: no graceful shutdown, leases and messages are left as they are
        await first.WaitForExitAsync(TimeSpan.FromSeconds(30));
        File.WriteAllText(Path.Combine(this.dir, "b.release"), string.Empty);

        using WorkerProcess second = await WorkerProcess.StartAsync([storage, hub]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        OrchestrationMetadata done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        List<string> ranIn = done.ReadOutputAs<List<string>>()!;
        Assert.Equal(first.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), ranIn[0]);
        Assert.Equal(second.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), ranIn[1]);
        Assert.Equal(second.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), ranIn[2]);
        Assert.Equal(1, StepActivity.RunCount(this.dir, "a")); // finished before the crash: never re-run
        Assert.Equal(2, StepActivity.RunCount(this.dir, "b")); // in flight at the crash: run again by the new worker
        Assert.Equal(1, StepActivity.RunCount(this.dir, "c"));
    }

    [Fact]
    public async Task FailedRun_RewoundAfterFix_CompletesWithoutRerunningFinishedSteps()
    {
        File.WriteAllText(Path.Combine(this.dir, "b.fail"), string.Empty);
        string id = await fixture.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(StepsProbeOrchestrator), new StepsProbeInput(this.dir, ["a", "b", "c"]));
        OrchestrationMetadata failed = await fixture.WaitAsync(id);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, failed.RuntimeStatus);
        Assert.Contains("step b was told to fail", failed.FailureDetails?.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(0, StepActivity.RunCount(this.dir, "c"));

        File.Delete(Path.Combine(this.dir, "b.fail")); // the fault is fixed
        await fixture.Operations.RewindAsync(id, "fault fixed");
        await Eventually.TrueAsync(
            async () => (await fixture.Client.GetInstanceAsync(id))?.RuntimeStatus == OrchestrationRuntimeStatus.Completed,
            TimeSpan.FromSeconds(90),
            "the rewound run completes");

        Assert.Equal(1, StepActivity.RunCount(this.dir, "a"));
        Assert.Equal(2, StepActivity.RunCount(this.dir, "b"));
        Assert.Equal(1, StepActivity.RunCount(this.dir, "c"));
    }

    [Fact]
    public async Task Rewind_RunThatDidNotFail_IsRefused()
    {
        string id = await fixture.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(StepsProbeOrchestrator), new StepsProbeInput(this.dir, ["a"]));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await fixture.WaitAsync(id)).RuntimeStatus);

        var ex = await Assert.ThrowsAsync<Connector.Orchestrations.Operations.RunStateException>(() => fixture.Operations.RewindAsync(id, "why not"));
        Assert.Contains("only a failed run can be rewound", ex.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(this.dir, recursive: true);

    public sealed class Fixture : DurableHostFixture
    {
        protected override void RegisterTasks(DurableTaskRegistry registry) => registry.AddProbeTasks();
    }
}
