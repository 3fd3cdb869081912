using System.Collections.Concurrent;
using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Operations;
using Connector.Testing;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Connector.Local.Tests;

/// <summary>The per-model mutex on the real local host (Durable Task Framework + Azurite, entities).</summary>
public sealed class ModelLockTests(ModelLockTests.Fixture fixture) : IClassFixture<ModelLockTests.Fixture>
{
    private const string Workspace = "8a81b09d5e8c6f27015ece3402487d33";

    [Fact]
    public async Task LockModel_FourRunsOnOneModel_CriticalSectionsNeverOverlap()
    {
        var probe = CriticalSectionProbe.Create();
        string model = NewModelId();

        // Each section waits a little for company; with a working lock it never gets any.
        string[] ids = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => fixture.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(LockedProbeOrchestrator), new ProbeInput(probe.Id, $"run{i}", Workspace, model, WaitForCompanyMs: 400))));
        foreach (string id in ids)
        {
            Assert.Equal(OrchestrationRuntimeStatus.Completed, (await fixture.WaitAsync(id)).RuntimeStatus);
        }

        Assert.Equal(4, probe.Sections.Count);
        Assert.Equal(1, probe.MaxInside);
        var ordered = probe.Sections.OrderBy(s => s.Enter).ToList();
        for (int i = 1; i < ordered.Count; i++)
        {
            Assert.True(
                ordered[i].Enter >= ordered[i - 1].Exit,
                $"{ordered[i].Who} entered at {ordered[i].Enter:O} before {ordered[i - 1].Who} left at {ordered[i - 1].Exit:O}");
        }

        ModelLockStatus status = await fixture.LockReleasedAsync(Workspace, model);
        Assert.Equal(4, status.Acquisitions);
        Assert.Null(status.Holder);
    }

    [Fact]
    public async Task LockModel_TwoDifferentModels_CriticalSectionsOverlap()
    {
        var probe = CriticalSectionProbe.Create();

        // Each section waits until the other one is inside too; that only happens if the two models do not share a lock.
        string a = await fixture.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(LockedProbeOrchestrator), new ProbeInput(probe.Id, "modelA", Workspace, NewModelId(), WaitForCompanyMs: 60_000));
        string b = await fixture.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(LockedProbeOrchestrator), new ProbeInput(probe.Id, "modelB", Workspace, NewModelId(), WaitForCompanyMs: 60_000));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await fixture.WaitAsync(a)).RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await fixture.WaitAsync(b)).RuntimeStatus);
        Assert.Equal(2, probe.MaxInside);
    }

    [Fact]
    public async Task LockModel_FailureInsideCriticalSection_ReleasesTheLock()
    {
        var probe = CriticalSectionProbe.Create();
        string model = NewModelId();

        string failing = await fixture.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(LockedProbeOrchestrator), new ProbeInput(probe.Id, "failing", Workspace, model, WaitForCompanyMs: 0, Fail: true));
        OrchestrationMetadata failed = await fixture.WaitAsync(failing);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, failed.RuntimeStatus);
        Assert.Contains("probe failure inside the critical section", failed.FailureDetails?.ErrorMessage, StringComparison.Ordinal);

        string next = await fixture.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(LockedProbeOrchestrator), new ProbeInput(probe.Id, "next", Workspace, model, WaitForCompanyMs: 0));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await fixture.WaitAsync(next, TimeSpan.FromSeconds(60))).RuntimeStatus);

        ModelLockStatus status = await fixture.LockReleasedAsync(Workspace, model);
        Assert.Equal(2, status.Acquisitions);
        Assert.Equal(next, status.LastReleased?.InstanceId);
    }

    [Fact]
    public async Task ReleaseOrphanedLocks_HolderTerminatedInsideSection_NextRunGetsTheLock()
    {
        var probe = CriticalSectionProbe.Create();
        string model = NewModelId();

        string stuck = await fixture.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(LockedProbeOrchestrator), new ProbeInput(probe.Id, "stuck", Workspace, model, WaitForCompanyMs: 0, WaitForEvent: true));
        await Eventually.TrueAsync(
            async () => (await fixture.Operations.GetModelLockAsync(Workspace, model))?.LockedBy == stuck,
            TimeSpan.FromSeconds(60),
            "the first run holds the model lock");

        await fixture.Operations.TerminateAsync(stuck, "operator gave up");
        await fixture.WaitAsync(stuck);

        string next = await fixture.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(LockedProbeOrchestrator), new ProbeInput(probe.Id, "next", Workspace, model, WaitForCompanyMs: 0));

        // Terminating a run does not release the entity locks it holds: the next run waits until an operator releases them.
        Assert.Equal(stuck, (await fixture.Operations.GetModelLockAsync(Workspace, model))?.LockedBy);
        Assert.True(await fixture.Operations.ReleaseOrphanedLocksAsync() >= 1);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await fixture.WaitAsync(next, TimeSpan.FromSeconds(60))).RuntimeStatus);
        Assert.Equal(next, (await fixture.LockReleasedAsync(Workspace, model)).LastReleased?.InstanceId);
    }

    [Fact]
    public async Task ReleaseOrphanedLocks_NoRunWaiting_TheLockNoLongerNamesTheDeadRun()
    {
        string model = NewModelId();
        string stuck = await StartHolderAsync(fixture.Client, fixture.Operations, Workspace, model);
        await fixture.Operations.TerminateAsync(stuck, "operator gave up");
        await fixture.WaitAsync(stuck);

        ModelLockStatus before = (await fixture.Operations.GetModelLockAsync(Workspace, model))!;
        Assert.True(before.HolderIsOrphaned);
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, before.HolderStatus);
        Assert.Contains(await fixture.Operations.FindOrphanedLocksAsync(), o => o.Holder == stuck && o.Key.EndsWith(model.ToLowerInvariant(), StringComparison.Ordinal));

        Assert.True(await fixture.Operations.ReleaseOrphanedLocksAsync() >= 1);

        // What an operator sees right after: free, and the dead run as the last holder, not the current one.
        ModelLockStatus after = (await fixture.Operations.GetModelLockAsync(Workspace, model))!;
        Assert.Null(after.LockedBy);
        Assert.Null(after.Holder);
        Assert.False(after.HolderIsOrphaned);
        Assert.Equal(stuck, after.LastReleased?.InstanceId);
        Assert.DoesNotContain(await fixture.Operations.FindOrphanedLocksAsync(), o => o.Holder == stuck);
    }

    [Fact]
    public async Task ListModelLocks_ShowsTheHolderAndWhoWaits_ThenTheWaitersStepsShowTheWaitAndTheHold()
    {
        string model = NewModelId();
        string holder = await StartHolderAsync(fixture.Client, fixture.Operations, Workspace, model);
        string waiter = await fixture.Client.ScheduleNewOrchestrationInstanceAsync(nameof(SelfTestOrchestrator), new SelfTestInput(Workspace, model));
        string key = ModelLock.IdFor(Workspace, model).Key;

        ModelLockStatus? seen = null;
        await Eventually.TrueAsync(
            async () => (seen = (await fixture.Operations.ListModelLocksAsync([])).SingleOrDefault(l => l.Key == key)) is { Waiting.Count: 1 },
            TimeSpan.FromSeconds(60),
            "the self-test is listed as waiting for the lock");
        Assert.Equal(holder, seen!.Holder?.InstanceId);
        Assert.Equal("probe stuck", seen.Holder?.Purpose);
        Assert.Equal(OrchestrationRuntimeStatus.Running, seen.HolderStatus);
        ModelLockWaiter waiting = Assert.Single(seen.Waiting);
        Assert.Equal(waiter, waiting.InstanceId);
        Assert.Equal("self-test", waiting.Purpose);
        Assert.Equal(waiting, Assert.Single((await fixture.Operations.GetModelLockAsync(Workspace, model))!.Waiting));

        // A model no run has locked yet is listed (free) when asked for; one that exists is listed anyway.
        string unused = NewModelId();
        IReadOnlyList<ModelLockStatus> all = await fixture.Operations.ListModelLocksAsync([(Workspace, unused)]);
        Assert.Contains(all, l => l.Key == ModelLock.IdFor(Workspace, unused).Key && l.Holder is null && l.Acquisitions == 0);
        Assert.Contains(all, l => l.Key == key);

        await fixture.Client.RaiseEventAsync(holder, "go", "done");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await fixture.WaitAsync(waiter, TimeSpan.FromSeconds(60))).RuntimeStatus);
        RunInspection inspection = await fixture.Operations.InspectAsync(waiter);
        RunStep wait = Assert.Single(inspection.Steps!, s => s.Kind == RunStep.Kinds.LockWait);
        RunStep held = Assert.Single(inspection.Steps!, s => s.Kind == RunStep.Kinds.LockHeld);
        Assert.Equal($"modellock {key}", wait.Name);
        Assert.Equal(RunStep.Statuses.Completed, held.Status);
        Assert.True(wait.Ended <= held.Started && held.Ended >= held.Started, $"wait {wait.Started:O}–{wait.Ended:O}, held {held.Started:O}–{held.Ended:O}");
        RunStep activity = Assert.Single(inspection.Steps!, s => s.Name == nameof(SelfTestActivity));
        Assert.True(activity.Started >= held.Started && activity.Ended <= held.Ended, "the activity ran while the lock was held");
        Assert.Empty((await fixture.Operations.ListModelLocksAsync([])).Single(l => l.Key == key).Waiting);
    }

    [Fact]
    public async Task Client_SignalAndGetEntity_OperateOnTheLockEntity()
    {
        // The operator view of a lock goes through the same client calls on both hosts.
        string model = NewModelId();
        Microsoft.DurableTask.Entities.EntityInstanceId id = ModelLock.IdFor(Workspace, model);
        await fixture.Client.Entities.SignalEntityAsync(id, nameof(ModelLock.Enter), new ModelLockHolder("operator-check", "manual", DateTime.UtcNow));

        await Eventually.TrueAsync(
            async () => (await fixture.Client.Entities.GetEntityAsync<ModelLockState>(id))?.State.Holder?.InstanceId == "operator-check",
            TimeSpan.FromSeconds(60),
            "the signalled operation is applied to the entity");
        ModelLockStatus? status = await fixture.Operations.GetModelLockAsync(Workspace, model);
        Assert.Equal(1, status?.Acquisitions);
        Assert.Null(status?.LockedBy); // a signal records, it does not lock
    }

    [Theory]
    [InlineData("", "M1")]
    [InlineData("ws", " ")]
    [InlineData("ws/evil", "M1")]
    [InlineData("ws", "M1#x")]
    public void IdFor_InvalidIds_AreRefused(string workspace, string model)
        => Assert.ThrowsAny<ArgumentException>(() => ModelLock.IdFor(workspace, model));

    [Fact]
    public void IdFor_CaseOfIds_DoesNotSplitTheLock()
        => Assert.Equal(ModelLock.IdFor("AbC", "dEf"), ModelLock.IdFor("abc", "DEF"));

    /// <summary>Starts a run that takes the model's lock and holds it (until its "go" event); returns once it is the recorded holder.</summary>
    public static async Task<string> StartHolderAsync(DurableTaskClient client, RunOperations operations, string workspace, string model)
    {
        string holder = await client.ScheduleNewOrchestrationInstanceAsync(
            nameof(LockedProbeOrchestrator), new ProbeInput(CriticalSectionProbe.Create().Id, "stuck", workspace, model, WaitForCompanyMs: 0, WaitForEvent: true));
        await Eventually.TrueAsync(
            async () => (await operations.GetModelLockAsync(workspace, model))?.Holder?.InstanceId == holder,
            TimeSpan.FromSeconds(60),
            "the run holds the model lock");
        return holder;
    }

    private static string NewModelId() => Guid.NewGuid().ToString("N").ToUpperInvariant();

    public sealed class Fixture : DurableHostFixture
    {
        protected override void RegisterTasks(DurableTaskRegistry registry)
        {
            registry.AddOrchestrator<LockedProbeOrchestrator>();
            registry.AddActivity<ProbeCriticalSectionActivity>();
        }

        /// <summary>
        /// Waits until the entity scheduler no longer records a lock holder and the lock's state shows none either. The
        /// release and the <see cref="ModelLock.Exit"/> signal after it are messages the run sends as it completes, so they
        /// land shortly after the run reports Completed, not with it (seen once in CI).
        /// </summary>
        public async Task<ModelLockStatus> LockReleasedAsync(string workspace, string model)
        {
            ModelLockStatus? status = null;
            await Eventually.TrueAsync(
                async () => (status = await this.Operations.GetModelLockAsync(workspace, model)) is { LockedBy: null, Holder: null },
                TimeSpan.FromSeconds(60),
                $"the lock on {model} is released");
            return status!;
        }
    }
}

public sealed record ProbeInput(
    string ProbeId, string Who, string WorkspaceId, string ModelId, int WaitForCompanyMs, bool Fail = false, bool WaitForEvent = false);

/// <summary>Takes the model lock and runs the probe activity inside it.</summary>
public sealed class LockedProbeOrchestrator : TaskOrchestrator<ProbeInput, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, ProbeInput input)
    {
        await using (await context.LockModelAsync(input.WorkspaceId, input.ModelId, $"probe {input.Who}"))
        {
            if (input.WaitForEvent)
            {
                await context.WaitForExternalEvent<string>("go");
            }

            await context.CallActivityAsync(nameof(ProbeCriticalSectionActivity), input);
        }

        return input.Who;
    }
}

/// <summary>Records when it is inside a critical section and how many are inside at once.</summary>
public sealed class ProbeCriticalSectionActivity : TaskActivity<ProbeInput, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, ProbeInput input)
    {
        CriticalSectionProbe probe = CriticalSectionProbe.Get(input.ProbeId);
        DateTime enter = DateTime.UtcNow;
        probe.Enter();
        try
        {
            if (input.Fail)
            {
                throw new InvalidOperationException("probe failure inside the critical section");
            }

            // Wait for another section to be inside at the same time; returns early only if one is.
            await probe.WaitForCompanyAsync(TimeSpan.FromMilliseconds(input.WaitForCompanyMs));
            return true;
        }
        finally
        {
            probe.Exit(input.Who, enter, DateTime.UtcNow);
        }
    }
}

public sealed class CriticalSectionProbe
{
    private static readonly ConcurrentDictionary<string, CriticalSectionProbe> Probes = new();
    private readonly object gate = new();
    private readonly List<(string Who, DateTime Enter, DateTime Exit)> sections = [];
    private int inside;
    private TaskCompletionSource company = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Id { get; } = Guid.NewGuid().ToString("N");

    public int MaxInside { get; private set; }

    public IReadOnlyList<(string Who, DateTime Enter, DateTime Exit)> Sections
    {
        get
        {
            lock (this.gate)
            {
                return [.. this.sections];
            }
        }
    }

    public static CriticalSectionProbe Create()
    {
        var probe = new CriticalSectionProbe();
        Probes[probe.Id] = probe;
        return probe;
    }

    public static CriticalSectionProbe Get(string id) => Probes[id];

    public void Enter()
    {
        lock (this.gate)
        {
            this.inside++;
            this.MaxInside = Math.Max(this.MaxInside, this.inside);
            if (this.inside >= 2)
            {
                this.company.TrySetResult();
            }
        }
    }

    public async Task WaitForCompanyAsync(TimeSpan timeout)
    {
        Task wait;
        lock (this.gate)
        {
            wait = this.company.Task;
        }

        await Task.WhenAny(wait, Task.Delay(timeout));
    }

    public void Exit(string who, DateTime enter, DateTime exit)
    {
        lock (this.gate)
        {
            this.inside--;
            if (this.inside < 2 && this.company.Task.IsCompleted)
            {
                this.company = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            this.sections.Add((who, enter, exit));
        }
    }
}
