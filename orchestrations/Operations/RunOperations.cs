using System.Runtime.CompilerServices;
using System.Text.Json;
using Connector.Orchestrations.Durable;
using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Entities;

namespace Connector.Orchestrations.Operations;

/// <summary>
/// Starting and operating runs (orchestration instances): the code behind the HTTP starters and the operator
/// endpoints of the Functions app and behind the local <c>connector</c> command. It talks only to
/// <see cref="DurableTaskClient"/>, so it works the same on Azure Functions and on the local Durable Task host.
/// </summary>
/// <remarks>
/// Errors are the connector's own: <see cref="RunNotFoundException"/> when the run does not exist,
/// <see cref="RunStateException"/> when the run is in the wrong state for the action,
/// <see cref="ConnectorValidationException"/> for a malformed request, <see cref="OperationNotSupportedException"/>
/// when the backend cannot do it.
/// </remarks>
public class RunOperations
{
    private static readonly OrchestrationRuntimeStatus[] Terminal =
    [
        OrchestrationRuntimeStatus.Completed,
        OrchestrationRuntimeStatus.Failed,
        OrchestrationRuntimeStatus.Terminated,
    ];

    private readonly DurableTaskClient client;
    private readonly TimeProvider time;

    public RunOperations(DurableTaskClient client, TimeProvider? time = null)
    {
        this.client = client ?? throw new ArgumentNullException(nameof(client));
        this.time = time ?? TimeProvider.System;
    }

    /// <summary>For mocking.</summary>
    protected RunOperations()
    {
        this.client = null!;
        this.time = TimeProvider.System;
    }

    /// <summary>Gets the statuses of a finished run.</summary>
    public static IReadOnlyList<OrchestrationRuntimeStatus> FinishedStatuses => Terminal;

    /// <summary>
    /// Starts <paramref name="orchestrator"/> under <paramref name="instanceId"/> unless a run with that id already
    /// exists (in any state): instance ids are deterministic per schedule slot, so a duplicated trigger finds the
    /// first run instead of starting a second one. A failed run is rewound or replayed explicitly, never re-started
    /// silently under the same id.
    /// </summary>
    /// <remarks>
    /// Triggers racing for one id can each be told <c>Started</c> (the existence check cannot see a start in flight),
    /// but the engine keeps only the first ExecutionStarted of an instance, so the run executes once.
    /// </remarks>
    public virtual async Task<StartRunResult> StartAsync(
        string orchestrator, string instanceId, object? input, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(orchestrator);
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);

        OrchestrationMetadata? existing = await this.client.GetInstanceAsync(instanceId, false, cancellationToken);
        if (existing is not null)
        {
            return new StartRunResult(instanceId, Started: false, existing.RuntimeStatus);
        }

        try
        {
            await this.client.ScheduleNewOrchestrationInstanceAsync(
                orchestrator, input, new StartOrchestrationOptions(instanceId), cancellationToken);
        }
        catch (Exception ex) when (IsAlreadyExists(ex))
        {
            // Lost a race with a concurrent trigger for the same slot: the other one owns the run.
            OrchestrationMetadata? winner = await this.client.GetInstanceAsync(instanceId, false, cancellationToken);
            return new StartRunResult(instanceId, Started: false, winner?.RuntimeStatus ?? OrchestrationRuntimeStatus.Pending);
        }

        return new StartRunResult(instanceId, Started: true, OrchestrationRuntimeStatus.Pending);
    }

    /// <summary>Gets one run with its input, output and custom status as JSON; null when it does not exist.</summary>
    public virtual async Task<RunDetails?> GetAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        OrchestrationMetadata? metadata = await this.client.GetInstanceAsync(instanceId, true, cancellationToken);
        return metadata is null ? null : RunDetails.From(metadata);
    }

    /// <summary>
    /// Gets one run in depth: its details, the steps it took (from the orchestration history: every activity, sub-run
    /// and timer with its start, end and outcome) and the tree of its sub-runs.
    /// </summary>
    /// <exception cref="RunNotFoundException">The run does not exist.</exception>
    public virtual Task<RunInspection> InspectAsync(string instanceId, CancellationToken cancellationToken = default)
        => this.InspectAsync(instanceId, withSubRunSteps: false, cancellationToken);

    /// <summary>
    /// Gets one run in depth (<see cref="InspectAsync(string, CancellationToken)"/>); with <paramref name="withSubRunSteps"/>
    /// every sub-run of the tree carries its own steps too, read from its history (one read per sub-run).
    /// </summary>
    /// <exception cref="RunNotFoundException">The run does not exist.</exception>
    public virtual async Task<RunInspection> InspectAsync(string instanceId, bool withSubRunSteps, CancellationToken cancellationToken = default)
    {
        RunDetails details = await this.GetAsync(instanceId, cancellationToken) ?? throw new RunNotFoundException(instanceId);
        IReadOnlyList<RunStep>? steps = null;
        string? unavailable = null;
        try
        {
            IList<HistoryEvent> history = await this.client.GetOrchestrationHistoryAsync(instanceId, cancellationToken);
            steps = RunSteps.From(history);
        }
        catch (Exception ex) when (ex is NotSupportedException or NotImplementedException)
        {
            unavailable = $"The durable backend does not give the run's history ({ex.Message}).";
        }

        var children = new List<RunSummary>();
        await foreach (RunSummary run in this.ListAsync(
            new RunQuery { InstanceIdPrefix = instanceId + RunIds.SubRunSeparator, IncludeSubRuns = true }, cancellationToken))
        {
            children.Add(run);
        }

        Dictionary<string, IReadOnlyList<RunStep>>? subRunSteps = null;
        if (withSubRunSteps && steps is not null)
        {
            subRunSteps = new Dictionary<string, IReadOnlyList<RunStep>>(StringComparer.Ordinal);
            foreach (RunSummary child in children)
            {
                if (await this.StepsOrNullAsync(child.InstanceId, cancellationToken) is { } own)
                {
                    subRunSteps[child.InstanceId] = own;
                }
            }
        }

        return new RunInspection(details, steps, unavailable, RunNode.Tree(instanceId, children, subRunSteps))
        {
            FailurePath = steps is null ? [] : await this.FailurePathAsync(instanceId, steps, cancellationToken),
        };
    }

    /// <summary>
    /// Lists runs, newest first: top-level runs only unless <see cref="RunQuery.IncludeSubRuns"/>, narrowed by the
    /// query's connection, flow, statuses and creation time, at most <see cref="RunQuery.Max"/>.
    /// </summary>
    /// <remarks>
    /// The store returns runs in key order, not by time, so every run that passes the filters is read before the newest
    /// are returned; narrow by time or connection on a large task hub.
    /// </remarks>
    public virtual async IAsyncEnumerable<RunSummary> ListAsync(
        RunQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.CreatedFrom is { } from && query.CreatedTo is { } to && from > to)
        {
            throw new ConnectorValidationException("from", $"The time range is empty: from {from:u} is after to {to:u}.");
        }

        if (query.Flow is { Length: > 0 } flow && !RunIds.Flows.All.Contains(flow) && !query.IncludeSubRuns)
        {
            throw new ConnectorValidationException("flow", $"Unknown flow '{flow}': use {string.Join(", ", RunIds.Flows.All)}.");
        }

        string? connectionPrefix = query.ConnectionId is { Length: > 0 } connection ? connection + ":" : null;
        var filter = new OrchestrationQuery
        {
            CreatedFrom = query.CreatedFrom,
            CreatedTo = query.CreatedTo,
            Statuses = query.Statuses,
            InstanceIdPrefix = Longest(query.InstanceIdPrefix, connectionPrefix),
            PageSize = query.PageSize,
            FetchInputsAndOutputs = false,
        };

        var runs = new List<RunSummary>();
        await foreach (OrchestrationMetadata metadata in this.client.GetAllInstancesAsync(filter).WithCancellation(cancellationToken))
        {
            // Entities share the instance store; operators list runs, not lock entities.
            string id = metadata.InstanceId;
            if (id.StartsWith('@')
                || (!query.IncludeSubRuns && RunIds.IsSubRun(id))
                || (query.InstanceIdPrefix is { } prefix && !id.StartsWith(prefix, StringComparison.Ordinal))
                || (connectionPrefix is not null && !id.StartsWith(connectionPrefix, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            RunSummary summary = RunSummary.From(metadata);
            if (query.Flow is { Length: > 0 } wanted && !string.Equals(summary.Flow, wanted, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            runs.Add(summary);
        }

        IEnumerable<RunSummary> newestFirst = runs.OrderByDescending(r => r.CreatedAt).ThenBy(r => r.InstanceId, StringComparer.Ordinal);
        foreach (RunSummary run in query.Max is int max ? newestFirst.Take(max) : newestFirst)
        {
            yield return run;
        }
    }

    /// <summary>Rewinds a failed run: its failed steps run again, its completed steps are kept.</summary>
    public virtual async Task RewindAsync(string instanceId, string reason, CancellationToken cancellationToken = default)
    {
        OrchestrationMetadata metadata = await this.RequireAsync(instanceId, cancellationToken);
        if (metadata.RuntimeStatus != OrchestrationRuntimeStatus.Failed)
        {
            throw new RunStateException(
                instanceId, metadata.RuntimeStatus, $"Run '{instanceId}' is {metadata.RuntimeStatus}; only a failed run can be rewound.");
        }

        await Supported(() => this.client.RewindInstanceAsync(instanceId, reason, cancellationToken), "rewind");
    }

    /// <summary>
    /// Replays a finished run: starts a new run of the same orchestration with the same input, under a new id derived
    /// from the original (<c>{id}~replay-{yyyyMMddHHmmss}</c>) so the audit trail links the two.
    /// </summary>
    public virtual async Task<string> ReplayAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        OrchestrationMetadata metadata = await this.client.GetInstanceAsync(instanceId, true, cancellationToken)
            ?? throw new RunNotFoundException(instanceId);
        if (!Terminal.Contains(metadata.RuntimeStatus))
        {
            throw new RunStateException(
                instanceId,
                metadata.RuntimeStatus,
                $"Run '{instanceId}' is {metadata.RuntimeStatus}; wait for it to finish (or terminate it) before replaying.");
        }

        JsonElement? input = metadata.SerializedInput is null ? null : metadata.ReadInputAs<JsonElement>();
        string baseId = instanceId.Split("~replay-", 2)[0];
        string replayId = $"{baseId}~replay-{this.time.GetUtcNow():yyyyMMddHHmmss}";
        StartRunResult started = await this.StartAsync(metadata.Name, replayId, input, cancellationToken);
        if (!started.Started)
        {
            throw new RunStateException(
                replayId, started.Status, $"A replay of '{instanceId}' was already started this second ({replayId}, {started.Status}).");
        }

        return replayId;
    }

    /// <summary>Terminates a running run.</summary>
    public virtual async Task TerminateAsync(string instanceId, string reason, CancellationToken cancellationToken = default)
    {
        OrchestrationMetadata metadata = await this.RequireAsync(instanceId, cancellationToken);
        if (Terminal.Contains(metadata.RuntimeStatus))
        {
            throw new RunStateException(instanceId, metadata.RuntimeStatus, $"Run '{instanceId}' is already {metadata.RuntimeStatus}.");
        }

        await this.client.TerminateInstanceAsync(instanceId, reason, cancellationToken);
    }

    /// <summary>Suspends a running run.</summary>
    public virtual async Task SuspendAsync(string instanceId, string reason, CancellationToken cancellationToken = default)
    {
        OrchestrationMetadata metadata = await this.RequireAsync(instanceId, cancellationToken);
        if (metadata.RuntimeStatus is not (OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending))
        {
            throw new RunStateException(
                instanceId, metadata.RuntimeStatus, $"Run '{instanceId}' is {metadata.RuntimeStatus}; only a running or pending run can be suspended.");
        }

        await Supported(() => this.client.SuspendInstanceAsync(instanceId, reason, cancellationToken), "suspend");
    }

    /// <summary>Resumes a suspended run.</summary>
    public virtual async Task ResumeAsync(string instanceId, string reason, CancellationToken cancellationToken = default)
    {
        OrchestrationMetadata metadata = await this.RequireAsync(instanceId, cancellationToken);
        if (metadata.RuntimeStatus != OrchestrationRuntimeStatus.Suspended)
        {
            throw new RunStateException(
                instanceId, metadata.RuntimeStatus, $"Run '{instanceId}' is {metadata.RuntimeStatus}; only a suspended run can be resumed.");
        }

        await Supported(() => this.client.ResumeInstanceAsync(instanceId, reason, cancellationToken), "resume");
    }

    /// <summary>Raises an event to a run.</summary>
    public virtual async Task RaiseEventAsync(
        string instanceId, string eventName, object? payload, CancellationToken cancellationToken = default)
    {
        await this.RequireAsync(instanceId, cancellationToken);
        await this.client.RaiseEventAsync(instanceId, eventName, payload, cancellationToken);
    }

    /// <summary>
    /// Waits until a run leaves <paramref name="from"/> (an action was applied) or <paramref name="timeout"/> passes;
    /// returns the status it has then. Operator actions are messages the worker applies when it next processes the run.
    /// </summary>
    public virtual async Task<OrchestrationRuntimeStatus?> WaitForChangeAsync(
        string instanceId, OrchestrationRuntimeStatus from, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        DateTimeOffset until = this.time.GetUtcNow() + timeout;
        while (true)
        {
            OrchestrationMetadata? metadata = await this.client.GetInstanceAsync(instanceId, false, cancellationToken);
            if (metadata is null || metadata.RuntimeStatus != from || this.time.GetUtcNow() >= until)
            {
                return metadata?.RuntimeStatus;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), this.time, cancellationToken);
        }
    }

    /// <summary>Purges one finished run's history and state.</summary>
    public virtual async Task<int> PurgeAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        OrchestrationMetadata metadata = await this.RequireAsync(instanceId, cancellationToken);
        if (!Terminal.Contains(metadata.RuntimeStatus))
        {
            throw new RunStateException(
                instanceId, metadata.RuntimeStatus, $"Run '{instanceId}' is {metadata.RuntimeStatus}; only finished runs can be purged.");
        }

        PurgeResult result = await Supported(() => this.client.PurgeInstanceAsync(instanceId, cancellation: cancellationToken), "purge");
        return result.PurgedInstanceCount;
    }

    /// <summary>
    /// Lists what <see cref="PurgeAsync(DateTimeOffset, DateTimeOffset, IReadOnlyCollection{OrchestrationRuntimeStatus}?, CancellationToken)"/>
    /// would purge with the same arguments: every finished run and sub-run created in the range, newest first.
    /// </summary>
    public virtual IAsyncEnumerable<RunSummary> ListPurgeableAsync(
        DateTimeOffset createdFrom,
        DateTimeOffset createdTo,
        IReadOnlyCollection<OrchestrationRuntimeStatus>? statuses = null,
        CancellationToken cancellationToken = default)
        => this.ListAsync(
            new RunQuery { CreatedFrom = createdFrom, CreatedTo = createdTo, Statuses = PurgeStatuses(statuses), IncludeSubRuns = true },
            cancellationToken);

    /// <summary>Purges finished runs (and sub-runs) created in a time range (all finished statuses unless narrowed).</summary>
    public virtual async Task<int> PurgeAsync(
        DateTimeOffset createdFrom,
        DateTimeOffset createdTo,
        IReadOnlyCollection<OrchestrationRuntimeStatus>? statuses = null,
        CancellationToken cancellationToken = default)
    {
        if (createdFrom > createdTo)
        {
            throw new ConnectorValidationException("createdFrom", $"The time range is empty: createdFrom {createdFrom:u} is after createdTo {createdTo:u}.");
        }

        IReadOnlyCollection<OrchestrationRuntimeStatus> selected = PurgeStatuses(statuses);
        PurgeResult result = await Supported(
            () => this.client.PurgeAllInstancesAsync(new PurgeInstancesFilter(createdFrom, createdTo, selected), cancellation: cancellationToken),
            "purge");
        return result.PurgedInstanceCount;
    }

    /// <summary>Gets who holds the lock of one Anaplan model (null when the lock has never been used).</summary>
    public virtual async Task<ModelLockStatus?> GetModelLockAsync(
        string workspaceId, string modelId, CancellationToken cancellationToken = default)
    {
        EntityInstanceId id;
        try
        {
            id = ModelLock.IdFor(workspaceId, modelId);
        }
        catch (ArgumentException ex)
        {
            throw new ConnectorValidationException(ex.ParamName, ex.Message.Split(" (Parameter", 2)[0], ex);
        }

        EntityMetadata<ModelLockState>? entity = await this.client.Entities.GetEntityAsync<ModelLockState>(id, includeState: true, cancellationToken);
        if (entity is null)
        {
            return null;
        }

        return await this.LockStatusAsync(entity, await this.LockWaitersAsync(cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Lists every model lock: those of <paramref name="models"/> (workspace and model ids; a lock never used shows as
    /// free) and every other lock entity that exists, each with its holder and the runs waiting for it.
    /// </summary>
    public virtual async Task<IReadOnlyList<ModelLockStatus>> ListModelLocksAsync(
        IEnumerable<(string WorkspaceId, string ModelId)> models, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(models);
        ILookup<string, ModelLockWaiter> waiting = await this.LockWaitersAsync(cancellationToken);
        var locks = new Dictionary<string, ModelLockStatus>(StringComparer.Ordinal);
        await foreach (EntityMetadata<ModelLockState> entity in this.client.Entities.GetAllEntitiesAsync<ModelLockState>(
            new EntityQuery { InstanceIdStartsWith = $"@{ModelLock.EntityName}@", IncludeState = true }).WithCancellation(cancellationToken))
        {
            locks[entity.Id.Key] = await this.LockStatusAsync(entity, waiting, cancellationToken);
        }

        foreach ((string workspaceId, string modelId) in models)
        {
            string key = ModelLock.IdFor(workspaceId, modelId).Key;
            if (!locks.ContainsKey(key))
            {
                locks[key] = new ModelLockStatus(key, null, null, null, 0) { Waiting = [.. waiting[key]] };
            }
        }

        return [.. locks.Values.OrderBy(l => l.Key, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Lists the model locks held by runs that no longer run (finished, terminated or purged): what
    /// <see cref="ReleaseOrphanedLocksAsync"/> would release.
    /// </summary>
    public virtual async Task<IReadOnlyList<OrphanedLock>> FindOrphanedLocksAsync(CancellationToken cancellationToken = default)
    {
        var orphaned = new List<OrphanedLock>();
        await foreach (EntityMetadata<ModelLockState> entity in this.client.Entities.GetAllEntitiesAsync<ModelLockState>(
            new EntityQuery { InstanceIdStartsWith = $"@{ModelLock.EntityName}@", IncludeState = true }).WithCancellation(cancellationToken))
        {
            foreach (string holder in new[] { entity.LockedBy, entity.State?.Holder?.InstanceId }.OfType<string>().Distinct(StringComparer.Ordinal))
            {
                OrchestrationMetadata? run = await this.client.GetInstanceAsync(holder, false, cancellationToken);
                if (run is null || Terminal.Contains(run.RuntimeStatus))
                {
                    orphaned.Add(new OrphanedLock(entity.Id.Key, holder, run?.RuntimeStatus, entity.State?.Holder?.Purpose, entity.State?.Holder?.Since));
                    break;
                }
            }
        }

        return orphaned;
    }

    /// <summary>
    /// Releases model locks whose holder no longer runs (for example a run terminated inside its critical section:
    /// terminating a run does not release the locks it holds), then clears that holder from the lock's own record, so
    /// the lock shows it is free. Returns once a scan finds no orphaned lock left.
    /// </summary>
    /// <returns>How many locks were orphaned.</returns>
    /// <remarks>
    /// Seen on the Azure Storage backend: a release sent while the entity has no queued lock request can be ignored,
    /// leaving the lock held. The release is safe to repeat (it only applies while the dead run still holds the lock),
    /// so this scans again until nothing orphaned is left, at most <paramref name="maxScans"/> times. The entity
    /// scheduler frees the lock but knows nothing of <see cref="ModelLockState.Holder"/>, which the dead run never got
    /// to clear; <see cref="ModelLock.Exit"/> is sent for it on the run's behalf.
    /// </remarks>
    public virtual async Task<int> ReleaseOrphanedLocksAsync(int maxScans = 10, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<OrphanedLock> before = await this.FindOrphanedLocksAsync(cancellationToken);
        int found = -1;
        for (int scan = 0; ; scan++)
        {
            if (scan >= maxScans)
            {
                throw new RunStateException(
                    $"Orphaned entity locks were still held after {maxScans} release attempts; check the entity dispatcher is running.");
            }

            CleanEntityStorageResult result = await this.client.Entities.CleanEntityStorageAsync(
                new CleanEntityStorageRequest { ReleaseOrphanedLocks = true, RemoveEmptyEntities = false },
                continueUntilComplete: true,
                cancellationToken);
            if (found < 0)
            {
                found = result.OrphanedLocksReleased;
            }

            if (result.OrphanedLocksReleased == 0)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), this.time, cancellationToken);
        }

        await this.ClearDeadHoldersAsync(before, cancellationToken);
        return Math.Max(found, before.Count);
    }

    /// <summary>
    /// The way down to what failed: the run's last failed step and, while that step is a sub-run, the sub-run's own
    /// last failed step, so the last entry is the activity (or timer, or sub-run without history) that failed first.
    /// </summary>
    private async Task<IReadOnlyList<FailedStep>> FailurePathAsync(string instanceId, IReadOnlyList<RunStep> steps, CancellationToken cancellationToken)
    {
        var path = new List<FailedStep>();
        string run = instanceId;
        RunStep? failed = steps.LastOrDefault(s => s.Status == RunStep.Statuses.Failed);
        while (failed is not null && path.Count < 16)
        {
            path.Add(new FailedStep(run, failed));
            if (failed.Kind != RunStep.Kinds.SubRun || failed.InstanceId is not { } child)
            {
                break;
            }

            IList<HistoryEvent> history;
            try
            {
                history = await this.client.GetOrchestrationHistoryAsync(child, cancellationToken);
            }
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException or NotImplementedException)
            {
                break; // purged, or no history on this backend: the path ends at the sub-run
            }

            run = child;
            failed = RunSteps.From(history).LastOrDefault(s => s.Status == RunStep.Statuses.Failed);
        }

        return path;
    }

    private static IReadOnlyCollection<OrchestrationRuntimeStatus> PurgeStatuses(IReadOnlyCollection<OrchestrationRuntimeStatus>? statuses)
    {
        IReadOnlyCollection<OrchestrationRuntimeStatus> selected = statuses is { Count: > 0 } ? statuses : Terminal;
        foreach (OrchestrationRuntimeStatus status in selected.Where(s => !Terminal.Contains(s)))
        {
            throw new ConnectorValidationException("statuses", $"Only finished runs (Completed, Failed, Terminated) can be purged, not {status} ones.");
        }

        return selected;
    }

    private static string? Longest(string? a, string? b) => (a?.Length ?? 0) >= (b?.Length ?? 0) ? a : b;

    private static bool IsAlreadyExists(Exception ex)
        => ex.GetType().Name.Contains("AlreadyExists", StringComparison.Ordinal)
            || (ex is InvalidOperationException && ex.Message.Contains("already exists", StringComparison.OrdinalIgnoreCase));

    private static async Task Supported(Func<Task> action, string what)
    {
        try
        {
            await action();
        }
        catch (Exception ex) when (ex is NotSupportedException or NotImplementedException)
        {
            throw new OperationNotSupportedException($"The durable backend cannot {what} runs: {ex.Message}", ex);
        }
    }

    private static async Task<T> Supported<T>(Func<Task<T>> action, string what)
    {
        try
        {
            return await action();
        }
        catch (Exception ex) when (ex is NotSupportedException or NotImplementedException)
        {
            throw new OperationNotSupportedException($"The durable backend cannot {what} runs: {ex.Message}", ex);
        }
    }

    private async Task ClearDeadHoldersAsync(IReadOnlyList<OrphanedLock> orphaned, CancellationToken cancellationToken)
    {
        var pending = new List<(EntityInstanceId Id, string Holder)>();
        foreach (OrphanedLock orphan in orphaned)
        {
            var id = new EntityInstanceId(ModelLock.EntityName, orphan.Key);
            EntityMetadata<ModelLockState>? entity = await this.client.Entities.GetEntityAsync<ModelLockState>(id, includeState: true, cancellationToken);
            if (entity?.State?.Holder is { } holder && holder.InstanceId == orphan.Holder)
            {
                // Exit only applies while that run is still the recorded holder, so a run that took the lock since is untouched.
                await this.client.Entities.SignalEntityAsync(
                    id, nameof(ModelLock.Exit), new ModelLockRelease(holder.InstanceId, this.time.GetUtcNow().UtcDateTime), cancellation: cancellationToken);
                pending.Add((id, holder.InstanceId));
            }
        }

        DateTimeOffset until = this.time.GetUtcNow() + TimeSpan.FromSeconds(60);
        while (pending.Count > 0)
        {
            for (int i = pending.Count - 1; i >= 0; i--)
            {
                EntityMetadata<ModelLockState>? entity = await this.client.Entities.GetEntityAsync<ModelLockState>(pending[i].Id, includeState: true, cancellationToken);
                if (entity?.State?.Holder?.InstanceId != pending[i].Holder)
                {
                    pending.RemoveAt(i);
                }
            }

            if (pending.Count == 0)
            {
                return;
            }

            if (this.time.GetUtcNow() >= until)
            {
                throw new RunStateException(
                    $"The lock record of {string.Join(", ", pending.Select(p => p.Id.Key))} still names its dead holder after 60 s; check the entity dispatcher is running.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), this.time, cancellationToken);
        }
    }

    private async Task<ModelLockStatus> LockStatusAsync(
        EntityMetadata<ModelLockState> entity, ILookup<string, ModelLockWaiter> waiting, CancellationToken cancellationToken)
    {
        ModelLockState state = entity.State ?? new ModelLockState();
        string? holder = state.Holder?.InstanceId ?? entity.LockedBy;
        OrchestrationRuntimeStatus? holderStatus = holder is null
            ? null
            : (await this.client.GetInstanceAsync(holder, false, cancellationToken))?.RuntimeStatus;
        return new ModelLockStatus(entity.Id.Key, entity.LockedBy, state.Holder, state.LastReleased, state.Acquisitions)
        {
            HolderStatus = holderStatus,
            HolderIsOrphaned = holder is not null && (holderStatus is null || Terminal.Contains(holderStatus.Value)),
            Waiting = [.. waiting[entity.Id.Key].Where(w => w.InstanceId != holder)],
            Backlog = entity.BacklogQueueSize,
        };
    }

    /// <summary>
    /// The runs waiting for a model lock, by lock key, longest waiting first: running orchestrations whose progress says
    /// <see cref="ModelLockProgress.Waiting"/> (set by <see cref="ModelLockExtensions.LockModelAsync"/>).
    /// </summary>
    private async Task<ILookup<string, ModelLockWaiter>> LockWaitersAsync(CancellationToken cancellationToken)
    {
        var waiters = new List<(string Lock, ModelLockWaiter Waiter)>();
        var query = new OrchestrationQuery
        {
            Statuses = [OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Suspended],
            FetchInputsAndOutputs = true,
            PageSize = 100,
        };
        await foreach (OrchestrationMetadata run in this.client.GetAllInstancesAsync(query).WithCancellation(cancellationToken))
        {
            if (!run.InstanceId.StartsWith('@') && LockProgress(run.SerializedCustomStatus) is { Step: ModelLockProgress.Waiting } progress)
            {
                waiters.Add((progress.Lock, new ModelLockWaiter(run.InstanceId, RunIds.Root(run.InstanceId), progress.Detail, progress.Since)));
            }
        }

        return waiters.OrderBy(w => w.Waiter.Since).ToLookup(w => w.Lock, w => w.Waiter, StringComparer.Ordinal);
    }

    private static ModelLockProgress? LockProgress(string? customStatus)
    {
        if (customStatus is null || !customStatus.Contains(ModelLockProgress.Waiting, StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(customStatus);
            JsonElement e = document.RootElement;
            string? Text(string name) => (e.TryGetProperty(name, out JsonElement v) || e.TryGetProperty(char.ToLowerInvariant(name[0]) + name[1..], out v)) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            return Text(nameof(ModelLockProgress.Step)) is { } step && Text(nameof(ModelLockProgress.Lock)) is { } key
                ? new ModelLockProgress(
                    step,
                    key,
                    Text(nameof(ModelLockProgress.Detail)) ?? string.Empty,
                    DateTime.TryParse(Text(nameof(ModelLockProgress.Since)), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out DateTime since) ? since : default)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task<IReadOnlyList<RunStep>?> StepsOrNullAsync(string instanceId, CancellationToken cancellationToken)
    {
        try
        {
            return RunSteps.From(await this.client.GetOrchestrationHistoryAsync(instanceId, cancellationToken));
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or NotImplementedException)
        {
            return null; // purged meanwhile, or no history on this backend
        }
    }

    private async Task<OrchestrationMetadata> RequireAsync(string instanceId, CancellationToken cancellationToken)
        => await this.client.GetInstanceAsync(instanceId, false, cancellationToken)
            ?? throw new RunNotFoundException(instanceId);
}
