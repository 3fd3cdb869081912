using Azure.Storage.Blobs.Models;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Connector.Testing;
using Microsoft.DurableTask.Client;

namespace Connector.Orchestrations.Tests.Recovery;

/// <summary>
/// Terminate and purge act on a real actuals run's whole tree (the run and its <c>{run}|{step}</c> sub-runs): terminating
/// a run stuck inside the model lock stops every part of it, frees the lock for the next run and closes the audit row as
/// Terminated; purging removes the instances, the recorded steps, the staging and (unless kept) the audit; and what
/// cannot be rewound is refused with the reason.
/// </summary>
public sealed class TerminatePurgeTests(TerminatePurgeTests.Fixture fixture) : IClassFixture<TerminatePurgeTests.Fixture>
{
    [Fact]
    public async Task TerminateStuckRun_WholeTreeStops_LockFreed_AuditTerminated_ThenPurgeRemovesEverything()
    {
        var model = fixture.Environment.Anaplan.DefaultModel;
        string glImport = fixture.Import("GL Actuals from Sage").Id;

        // The GL import's status never comes back: the load sits inside the model lock.
        fixture.Environment.Anaplan.State.Faults.Delay($"GET /2/0/workspaces/*/models/*/imports/{glImport}/tasks/*", TimeSpan.FromMinutes(3));
        string runId = (await fixture.Starter.StartActualsAsync("stuck", "test", new ActualsRunRequest())).InstanceId;
        await Eventually.TrueAsync(
            async () => (await fixture.Operations.GetModelLockAsync(model.WorkspaceId, model.Id))?.LockedBy?.StartsWith(runId, StringComparison.Ordinal) == true,
            TimeSpan.FromMinutes(5),
            "the run holds the model lock");

        TerminateResult terminated = await fixture.Recovery.TerminateAsync(runId, "import hangs", "recovery test");

        Assert.True(terminated.Stopped);
        Assert.Contains(runId, terminated.Terminated);
        Assert.Contains(terminated.Terminated, id => id.StartsWith(runId + RunIds.SubRunSeparator, StringComparison.Ordinal));
        Assert.True(terminated.LocksReleased >= 1);
        Assert.Null((await fixture.Operations.GetModelLockAsync(model.WorkspaceId, model.Id))?.LockedBy);
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, (await fixture.Client.GetInstanceAsync(runId))!.RuntimeStatus);
        RunAudit row = (await fixture.Audit.GetRunAsync("stuck", runId))!;
        Assert.Equal(RunStatuses.Terminated, row.Status);
        Assert.Contains("import hangs", row.Error, StringComparison.Ordinal);
        Assert.NotNull(row.FinishedAt);

        // The next run gets the lock and completes.
        fixture.Environment.Anaplan.State.Faults.Clear();
        OrchestrationMetadata next = await fixture.RunActualsToEndAsync("stuck", timeout: TimeSpan.FromMinutes(5));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, next.RuntimeStatus);

        // Purge the terminated run's tree with its audit, steps and staging.
        List<string> tree = await this.TreeAsync(runId);
        Assert.NotEmpty(tree);
        Assert.NotEmpty(await fixture.Steps.GetAsync(runId));
        Assert.NotEmpty(await this.StagedAsync("stuck", runId));

        PurgeRunResult purged = await fixture.Recovery.PurgeAsync(runId, keepAudit: false);

        Assert.Equal(tree.Count + 1, purged.Instances);
        Assert.Null(await fixture.Client.GetInstanceAsync(runId));
        Assert.Empty(await this.TreeAsync(runId));
        Assert.Empty(await fixture.Steps.GetAsync(runId));
        Assert.Empty(await this.StagedAsync("stuck", runId));
        Assert.Null(await fixture.Audit.GetRunAsync("stuck", runId));
        Assert.True(purged.AuditRows > 0);

        // What later runs read (the state a watermark names) was never in the purged run's folders; the next run still
        // completes on top of it.
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await fixture.RunActualsToEndAsync("stuck", timeout: TimeSpan.FromMinutes(5))).RuntimeStatus);
    }

    [Fact]
    public async Task PurgeKeepingAudit_ThenRewindRefused_AndOtherRefusalsSayWhy()
    {
        OrchestrationMetadata clean = await fixture.RunActualsToEndAsync("kept", timeout: TimeSpan.FromMinutes(5));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, clean.RuntimeStatus);
        string runId = clean.InstanceId;

        // A clean completed run: nothing to rewind.
        RunStateException cleanRefusal = await Assert.ThrowsAsync<RunStateException>(() => fixture.Recovery.RewindAsync(runId, "why not", "recovery test"));
        Assert.Contains("nothing failed", cleanRefusal.Message, StringComparison.Ordinal);

        // A sub-run: name the run instead.
        string sub = (await this.TreeAsync(runId)).First();
        RunStateException subRefusal = await Assert.ThrowsAsync<RunStateException>(() => fixture.Recovery.RewindAsync(sub, "why not", "recovery test"));
        Assert.Contains($"name the run '{runId}'", subRefusal.Message, StringComparison.Ordinal);

        PurgeRunResult purged = await fixture.Recovery.PurgeAsync(runId, keepAudit: true);

        Assert.True(purged.AuditKept);
        Assert.Equal(0, purged.AuditRows);
        Assert.Null(await fixture.Client.GetInstanceAsync(runId));
        Assert.Equal(RunStatuses.Completed, (await fixture.Audit.GetRunAsync("kept", runId))!.Status);
        RunStateException purgedRefusal = await Assert.ThrowsAsync<RunStateException>(() => fixture.Recovery.RewindAsync(runId, "why not", "recovery test"));
        Assert.Contains("was purged", purgedRefusal.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<RunNotFoundException>(() => fixture.Recovery.RewindAsync("kept:actuals:no-such-run", "why not", "recovery test"));
    }

    [Fact]
    public async Task BulkRewind_DryRunListsOnlyTheFailedRunsOfTheRange_ThenRewindsThemToCompleted()
    {
        DateTimeOffset from = DateTimeOffset.UtcNow.AddSeconds(-1);
        string glImport = fixture.Import("GL Actuals from Sage").Name;
        fixture.Environment.Anaplan.State.Faults.FailNextImportRun(glImport);
        OrchestrationMetadata failed = await fixture.RunActualsToEndAsync("bulk", timeout: TimeSpan.FromMinutes(5));
        Assert.Equal(RunStatuses.CompletedWithFailures, failed.ReadOutputAs<ActualsRunSummary>()!.Status);
        OrchestrationMetadata clean = await fixture.RunActualsToEndAsync("bulk", timeout: TimeSpan.FromMinutes(5));
        Assert.Equal(RunStatuses.Completed, clean.ReadOutputAs<ActualsRunSummary>()!.Status);

        IReadOnlyList<BulkRunResult> dry = await fixture.Recovery.RewindManyAsync("bulk", from, null, "GL import fixed", "recovery test", dryRun: true);

        BulkRunResult listed = Assert.Single(dry);
        Assert.Equal((failed.InstanceId, "would rewind"), (listed.RunId, listed.Action));
        Assert.Equal(1, RecoveryFixture.AttemptOf((await fixture.Client.GetInstanceAsync(failed.InstanceId, true))!)); // nothing done

        IReadOnlyList<BulkRunResult> done = await fixture.Recovery.RewindManyAsync("bulk", from, null, "GL import fixed", "recovery test", dryRun: false);

        BulkRunResult rewound = Assert.Single(done);
        Assert.Equal((failed.InstanceId, "rewound", 2), (rewound.RunId, rewound.Action, rewound.Attempt));
        OrchestrationMetadata end = await fixture.WaitAsync(failed.InstanceId, TimeSpan.FromMinutes(5));
        Assert.Equal(RunStatuses.Completed, end.ReadOutputAs<ActualsRunSummary>()!.Status);
        Assert.Empty(await fixture.Recovery.RewindManyAsync("bulk", from, null, "again", "recovery test", dryRun: true));
    }

    private async Task<List<string>> TreeAsync(string runId)
    {
        var tree = new List<string>();
        await foreach (RunSummary run in fixture.Operations.ListAsync(new RunQuery { InstanceIdPrefix = runId + RunIds.SubRunSeparator, IncludeSubRuns = true }))
        {
            tree.Add(run.InstanceId);
        }

        return tree;
    }

    private async Task<List<string>> StagedAsync(string connection, string runId)
    {
        var blobs = new List<string>();
        await foreach (BlobItem blob in fixture.Storage.StagingContainer.GetBlobsAsync(BlobTraits.None, BlobStates.None, Datasets.RunFolder(connection, runId), default))
        {
            blobs.Add(blob.Name);
        }

        return blobs;
    }

    public sealed class Fixture : RecoveryFixture
    {
        protected override IEnumerable<ConnectionOptions> ConnectionsThroughGate(LocalEnvironment environment)
            => [environment.Connection("stuck", "ABC", "Department"), environment.Connection("kept", "ABC", "Department"), environment.Connection("bulk", "ABC", "Department")];
    }
}
