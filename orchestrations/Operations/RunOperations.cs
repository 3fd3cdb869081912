using System.Runtime.CompilerServices;
using System.Text.Json;
using Connector.Orchestrations.Durable;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;

namespace Connector.Orchestrations.Operations;

/// <summary>
/// Starting and operating runs (orchestration instances): the code behind the HTTP starters and the operator
/// endpoints of the Functions app and behind the local <c>connector</c> command. It talks only to
/// <see cref="DurableTaskClient"/>, so it works the same on Azure Functions and on the local Durable Task host.
/// </summary>
/// <remarks>
/// Exceptions: <see cref="RunNotFoundException"/> when the run does not exist (HTTP 404),
/// <see cref="InvalidOperationException"/> when the run is in the wrong state for the action (HTTP 409),
/// <see cref="NotSupportedException"/> or <see cref="NotImplementedException"/> when the backend cannot (HTTP 501).
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

    /// <summary>Gets one run with its input, output and custom status; null when it does not exist.</summary>
    public virtual async Task<RunDetails?> GetAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        OrchestrationMetadata? metadata = await this.client.GetInstanceAsync(instanceId, true, cancellationToken);
        return metadata is null ? null : RunDetails.From(metadata);
    }

    /// <summary>Lists runs, newest filter first as the backend returns them.</summary>
    public virtual async IAsyncEnumerable<RunSummary> ListAsync(
        RunQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var filter = new OrchestrationQuery
        {
            CreatedFrom = query.CreatedFrom,
            CreatedTo = query.CreatedTo,
            Statuses = query.Statuses,
            InstanceIdPrefix = query.InstanceIdPrefix,
            PageSize = query.PageSize,
            FetchInputsAndOutputs = false,
        };

        int returned = 0;
        await foreach (OrchestrationMetadata metadata in this.client.GetAllInstancesAsync(filter).WithCancellation(cancellationToken))
        {
            // Entities share the instance store; operators list runs, not lock entities.
            if (metadata.InstanceId.StartsWith('@'))
            {
                continue;
            }

            yield return RunSummary.From(metadata);
            if (query.Max is int max && ++returned >= max)
            {
                yield break;
            }
        }
    }

    /// <summary>Rewinds a failed run: its failed steps run again, its completed steps are kept.</summary>
    public virtual async Task RewindAsync(string instanceId, string reason, CancellationToken cancellationToken = default)
    {
        OrchestrationMetadata metadata = await this.RequireAsync(instanceId, cancellationToken);
        if (metadata.RuntimeStatus != OrchestrationRuntimeStatus.Failed)
        {
            throw new InvalidOperationException(
                $"Run '{instanceId}' is {metadata.RuntimeStatus}; only a failed run can be rewound.");
        }

        await this.client.RewindInstanceAsync(instanceId, reason, cancellationToken);
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
            throw new InvalidOperationException(
                $"Run '{instanceId}' is {metadata.RuntimeStatus}; wait for it to finish (or terminate it) before replaying.");
        }

        JsonElement? input = metadata.SerializedInput is null ? null : metadata.ReadInputAs<JsonElement>();
        string baseId = instanceId.Split("~replay-", 2)[0];
        string replayId = $"{baseId}~replay-{this.time.GetUtcNow():yyyyMMddHHmmss}";
        await this.client.ScheduleNewOrchestrationInstanceAsync(
            metadata.Name, input, new StartOrchestrationOptions(replayId), cancellationToken);
        return replayId;
    }

    /// <summary>Terminates a running run.</summary>
    public virtual async Task TerminateAsync(string instanceId, string reason, CancellationToken cancellationToken = default)
    {
        OrchestrationMetadata metadata = await this.RequireAsync(instanceId, cancellationToken);
        if (Terminal.Contains(metadata.RuntimeStatus))
        {
            throw new InvalidOperationException($"Run '{instanceId}' is already {metadata.RuntimeStatus}.");
        }

        await this.client.TerminateInstanceAsync(instanceId, reason, cancellationToken);
    }

    /// <summary>Suspends a running run.</summary>
    public virtual async Task SuspendAsync(string instanceId, string reason, CancellationToken cancellationToken = default)
    {
        await this.RequireAsync(instanceId, cancellationToken);
        await this.client.SuspendInstanceAsync(instanceId, reason, cancellationToken);
    }

    /// <summary>Resumes a suspended run.</summary>
    public virtual async Task ResumeAsync(string instanceId, string reason, CancellationToken cancellationToken = default)
    {
        await this.RequireAsync(instanceId, cancellationToken);
        await this.client.ResumeInstanceAsync(instanceId, reason, cancellationToken);
    }

    /// <summary>Raises an event to a run.</summary>
    public virtual async Task RaiseEventAsync(
        string instanceId, string eventName, object? payload, CancellationToken cancellationToken = default)
    {
        await this.RequireAsync(instanceId, cancellationToken);
        await this.client.RaiseEventAsync(instanceId, eventName, payload, cancellationToken);
    }

    /// <summary>Purges one finished run's history and state.</summary>
    public virtual async Task<int> PurgeAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        OrchestrationMetadata metadata = await this.RequireAsync(instanceId, cancellationToken);
        if (!Terminal.Contains(metadata.RuntimeStatus))
        {
            throw new InvalidOperationException(
                $"Run '{instanceId}' is {metadata.RuntimeStatus}; only finished runs can be purged.");
        }

        PurgeResult result = await this.client.PurgeInstanceAsync(instanceId, cancellation: cancellationToken);
        return result.PurgedInstanceCount;
    }

    /// <summary>Purges finished runs created in a time range (all terminal statuses unless narrowed).</summary>
    public virtual async Task<int> PurgeAsync(
        DateTimeOffset createdFrom,
        DateTimeOffset createdTo,
        IReadOnlyCollection<OrchestrationRuntimeStatus>? statuses = null,
        CancellationToken cancellationToken = default)
    {
        IReadOnlyCollection<OrchestrationRuntimeStatus> selected = statuses is { Count: > 0 } ? statuses : Terminal;
        if (selected.Any(s => !Terminal.Contains(s)))
        {
            throw new InvalidOperationException("Only finished runs (Completed, Failed, Terminated) can be purged.");
        }

        PurgeResult result = await this.client.PurgeAllInstancesAsync(
            new PurgeInstancesFilter(createdFrom, createdTo, selected), cancellation: cancellationToken);
        return result.PurgedInstanceCount;
    }

    /// <summary>Gets who holds the lock of one Anaplan model (null when the lock has never been used).</summary>
    public virtual async Task<ModelLockStatus?> GetModelLockAsync(
        string workspaceId, string modelId, CancellationToken cancellationToken = default)
    {
        EntityMetadata<ModelLockState>? entity = await this.client.Entities.GetEntityAsync<ModelLockState>(
            ModelLock.IdFor(workspaceId, modelId), includeState: true, cancellationToken);
        return entity is null
            ? null
            : new ModelLockStatus(entity.Id.Key, entity.LockedBy, entity.State.Holder, entity.State.LastReleased, entity.State.Acquisitions);
    }

    /// <summary>
    /// Releases entity locks whose holder no longer runs (for example a run terminated inside its critical section:
    /// terminating a run does not release the locks it holds). Returns once a scan finds no orphaned lock left.
    /// </summary>
    /// <returns>How many orphaned locks the first scan found.</returns>
    /// <remarks>
    /// Seen on the Azure Storage backend: a release sent while the entity has no queued lock request can be ignored,
    /// leaving the lock held. The release is safe to repeat (it only applies while the dead run still holds the lock),
    /// so this scans again until nothing orphaned is left, at most <paramref name="maxScans"/> times.
    /// </remarks>
    public virtual async Task<int> ReleaseOrphanedLocksAsync(int maxScans = 10, CancellationToken cancellationToken = default)
    {
        int found = -1;
        for (int scan = 0; scan < maxScans; scan++)
        {
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
                return found;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), this.time, cancellationToken);
        }

        throw new InvalidOperationException(
            $"Orphaned entity locks were still held after {maxScans} release attempts; check the entity dispatcher is running.");
    }

    private static bool IsAlreadyExists(Exception ex)
        => ex.GetType().Name.Contains("AlreadyExists", StringComparison.Ordinal)
            || (ex is InvalidOperationException && ex.Message.Contains("already exists", StringComparison.OrdinalIgnoreCase));

    private async Task<OrchestrationMetadata> RequireAsync(string instanceId, CancellationToken cancellationToken)
        => await this.client.GetInstanceAsync(instanceId, false, cancellationToken)
            ?? throw new RunNotFoundException(instanceId);
}

/// <summary>The outcome of <see cref="RunOperations.StartAsync"/>.</summary>
public sealed record StartRunResult(string InstanceId, bool Started, OrchestrationRuntimeStatus Status);

/// <summary>A filter for listing runs.</summary>
public sealed record RunQuery
{
    public DateTimeOffset? CreatedFrom { get; init; }

    public DateTimeOffset? CreatedTo { get; init; }

    public IReadOnlyCollection<OrchestrationRuntimeStatus>? Statuses { get; init; }

    public string? InstanceIdPrefix { get; init; }

    public int PageSize { get; init; } = 100;

    public int? Max { get; init; }
}

/// <summary>One run in a listing.</summary>
public sealed record RunSummary(
    string InstanceId, string Name, OrchestrationRuntimeStatus Status, DateTimeOffset CreatedAt, DateTimeOffset LastUpdatedAt)
{
    internal static RunSummary From(OrchestrationMetadata m)
        => new(m.InstanceId, m.Name, m.RuntimeStatus, m.CreatedAt, m.LastUpdatedAt);
}

/// <summary>One run in detail. Input, output and custom status are the raw JSON the orchestration recorded.</summary>
public sealed record RunDetails(
    string InstanceId,
    string Name,
    OrchestrationRuntimeStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt,
    string? Input,
    string? Output,
    string? CustomStatus,
    string? FailureType,
    string? FailureMessage)
{
    internal static RunDetails From(OrchestrationMetadata m)
        => new(
            m.InstanceId,
            m.Name,
            m.RuntimeStatus,
            m.CreatedAt,
            m.LastUpdatedAt,
            m.SerializedInput,
            m.SerializedOutput,
            m.SerializedCustomStatus,
            m.FailureDetails?.ErrorType,
            m.FailureDetails?.ErrorMessage);
}

/// <summary>The state of one model lock.</summary>
public sealed record ModelLockStatus(
    string Key, string? LockedBy, ModelLockHolder? Holder, ModelLockHolder? LastReleased, long Acquisitions);

/// <summary>Thrown when an operator action names a run that does not exist.</summary>
public sealed class RunNotFoundException : Exception
{
    public RunNotFoundException(string instanceId)
        : base($"No run with id '{instanceId}' exists.")
    {
        this.InstanceId = instanceId;
    }

    public RunNotFoundException()
    {
        this.InstanceId = string.Empty;
    }

    public RunNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
        this.InstanceId = string.Empty;
    }

    public string InstanceId { get; }
}
