using Connector.Agent.CommandLine;
using Connector.Local.TestWorker;
using Connector.Orchestrations.Operations;
using Connector.Testing;
using Connector.Tests.Shared;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Connector.Local.Tests;

/// <summary>
/// The <c>connector</c> commands that change runs and locks, run as an operator runs them (the program as its own
/// process; standard input is what the operator answers) against a task hub whose worker runs in the test.
/// </summary>
public sealed class OperatorActionCommandTests(OperatorActionCommandTests.Fixture fixture) : IClassFixture<OperatorActionCommandTests.Fixture>
{
    private const string Workspace = "8a81b09d5e8c6f27015ece3402487d33";

    [Fact]
    public async Task PurgeOlderThan_AsksFirst_DryRunListsWhatItWouldPurge_YesPurgesOnlyFinishedRuns()
    {
        string done1 = await this.StartAsync();
        string done2 = await this.StartAsync();
        string running = await this.StartAsync();
        await this.ApproveAsync(done1);
        await this.ApproveAsync(done2);

        (int declined, _, string declinedErrors) = await this.ConnectorAsync("n\n", "runs", "purge-older-than", "0");
        (int noAnswer, _, _) = await this.ConnectorAsync(null, "runs", "purge-older-than", "0");
        Assert.Equal(ExitCodes.NotConfirmed, declined);
        Assert.Equal(ExitCodes.NotConfirmed, noAnswer);
        Assert.Contains("Not confirmed; nothing was changed. Add --yes to confirm without a prompt.", declinedErrors, StringComparison.Ordinal);
        Assert.NotNull(await fixture.Client.GetInstanceAsync(done1));

        int finished = (await fixture.Operations.ListPurgeableAsync(DateTimeOffset.MinValue, DateTimeOffset.UtcNow).ToListAsync()).Count;
        (int dryExit, string dry, _) = await this.ConnectorAsync(null, "runs", "purge-older-than", "0", "--dry-run");
        Assert.Equal(ExitCodes.Ok, dryExit);
        Assert.Contains($"Dry run: would purge {finished} finished run(s) and 0 sub-run(s)", dry, StringComparison.Ordinal);
        Assert.Contains(done1, dry, StringComparison.Ordinal);
        Assert.Contains(done2, dry, StringComparison.Ordinal);
        Assert.DoesNotContain(running, dry, StringComparison.Ordinal);
        Assert.NotNull(await fixture.Client.GetInstanceAsync(done2));

        (int yes, string purged, string errors) = await this.ConnectorAsync(null, "runs", "purge-older-than", "0", "--yes");
        Assert.True(yes == ExitCodes.Ok, errors);
        Assert.Contains($"Purged {finished} run(s) and sub-run(s)", purged, StringComparison.Ordinal);
        Assert.Null(await fixture.Client.GetInstanceAsync(done1));
        Assert.Null(await fixture.Client.GetInstanceAsync(done2));
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await fixture.Client.GetInstanceAsync(running))?.RuntimeStatus);
        await fixture.Client.TerminateInstanceAsync(running, "test over");
    }

    [Fact]
    public async Task SuspendResumeTerminate_SayWhatHappened_WrongStateIsAConflict_TerminateAsksFirst()
    {
        string id = await this.StartAsync();

        (int suspend, string suspended, string e1) = await this.ConnectorAsync(null, "runs", "suspend", id, "--reason", "maintenance");
        Assert.True(suspend == ExitCodes.Ok, e1);
        Assert.Contains($"Suspend applied: run {id} is now Suspended.", suspended, StringComparison.Ordinal);

        (int resume, string resumed, _) = await this.ConnectorAsync(null, "runs", "resume", id);
        Assert.Equal(ExitCodes.Ok, resume);
        Assert.Contains($"Resume applied: run {id} is now Running.", resumed, StringComparison.Ordinal);

        (int again, string againOut, string againErrors) = await this.ConnectorAsync(null, "runs", "resume", id);
        Assert.Equal(ExitCodes.Conflict, again);
        Assert.Contains($"Run '{id}' is Running; only a suspended run can be resumed.", againErrors, StringComparison.Ordinal);
        CommandLineTests.AssertNoStackTrace(againOut + againErrors);

        (int purgeRunning, _, string purgeErrors) = await this.ConnectorAsync(null, "runs", "purge", id, "--yes");
        Assert.Equal(ExitCodes.Conflict, purgeRunning);
        Assert.Contains("only finished runs can be purged", purgeErrors, StringComparison.Ordinal);

        (int unconfirmed, _, _) = await this.ConnectorAsync(null, "runs", "terminate", id);
        Assert.Equal(ExitCodes.NotConfirmed, unconfirmed);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await fixture.Client.GetInstanceAsync(id))?.RuntimeStatus);

        (int terminate, string terminated, _) = await this.ConnectorAsync("y\n", "runs", "terminate", id, "--reason", "not needed");
        Assert.Equal(ExitCodes.Ok, terminate);
        Assert.Contains($"Terminated run {id} and 0 sub-run(s)", terminated, StringComparison.Ordinal);
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, (await fixture.Client.GetInstanceAsync(id))?.RuntimeStatus);
    }

    [Fact]
    public async Task ReleaseOrphaned_DryRunThenRelease_ThenLockNoLongerShowsTheDeadRun()
    {
        string model = Guid.NewGuid().ToString("N").ToUpperInvariant();
        string stuck = await ModelLockTests.StartHolderAsync(fixture.Client, fixture.Operations, Workspace, model);
        // Terminated by the engine alone (as the Durable Functions Monitor does): `runs terminate` would free the lock itself.
        await fixture.Operations.TerminateAsync(stuck, "terminated elsewhere");
        await fixture.WaitAsync(stuck);

        (_, string held, _) = await this.ConnectorAsync(null, "lock", Workspace, model);
        Assert.Contains($"Held by       {stuck} (Terminated)", held, StringComparison.Ordinal);
        Assert.Contains("orphaned    that run no longer runs", held, StringComparison.Ordinal);

        (int dryExit, string dry, _) = await this.ConnectorAsync(null, "locks", "release-orphaned", "--dry-run");
        Assert.Equal(ExitCodes.Ok, dryExit);
        Assert.Contains(stuck, dry, StringComparison.Ordinal);
        Assert.Contains("Dry run: would release 1 orphaned lock(s).", dry, StringComparison.Ordinal);
        Assert.Equal(stuck, (await fixture.Operations.GetModelLockAsync(Workspace, model))?.LockedBy);

        (int unconfirmed, _, _) = await this.ConnectorAsync(null, "locks", "release-orphaned");
        Assert.Equal(ExitCodes.NotConfirmed, unconfirmed);

        (int release, string released, string releaseErrors) = await this.ConnectorAsync(null, "locks", "release-orphaned", "--yes");
        Assert.True(release == ExitCodes.Ok, releaseErrors);
        Assert.Contains("Released 1 orphaned lock(s).", released, StringComparison.Ordinal);

        (_, string free, _) = await this.ConnectorAsync(null, "lock", Workspace, model);
        Assert.Contains("Held by       nobody (free)", free, StringComparison.Ordinal);
        Assert.Contains($"Last released {stuck} (probe stuck)", free, StringComparison.Ordinal);
        Assert.DoesNotContain("orphaned", free, StringComparison.Ordinal);
    }

    private Task<(int Exit, string Output, string Errors)> ConnectorAsync(string? standardInput, params string[] args)
        => CommandProcess.RunAsync("connector.dll", [.. args, "--storage", fixture.ConnectionString, "--taskhub", fixture.TaskHub], standardInput);

    private async Task<string> StartAsync()
    {
        string id = $"cli:{Guid.NewGuid():N}";
        await fixture.Operations.StartAsync(nameof(ApprovalOrchestrator), id, "input");
        await Eventually.TrueAsync(
            async () => (await fixture.Client.GetInstanceAsync(id))?.RuntimeStatus == OrchestrationRuntimeStatus.Running,
            TimeSpan.FromSeconds(30),
            $"run {id} runs");
        return id;
    }

    private async Task ApproveAsync(string id)
    {
        await fixture.Client.RaiseEventAsync(id, "approve", "ok");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await fixture.WaitAsync(id)).RuntimeStatus);
    }

    public sealed class Fixture : DurableHostFixture
    {
        protected override void RegisterTasks(DurableTaskRegistry registry)
            => registry.AddOrchestrator<ApprovalOrchestrator>().AddOrchestrator<LockedProbeOrchestrator>().AddActivity<ProbeCriticalSectionActivity>();
    }
}
