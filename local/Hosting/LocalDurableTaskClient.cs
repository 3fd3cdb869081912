using System.Globalization;
using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTask.Core.Entities;
using DurableTask.Core.Exceptions;
using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Options;
using Core = DurableTask.Core;
using CoreQuery = DurableTask.Core.Query;
using PurgeResult = Microsoft.DurableTask.Client.PurgeResult;

namespace Connector.Local.Hosting;

/// <summary>
/// A <see cref="DurableTaskClient"/> over the Durable Task Framework's Azure Storage backend, so that the starters and
/// operator code written against the SDK client (the same code the Functions app runs with its durable client) work
/// against the local host: schedule, wait, query, raise events, suspend/resume, terminate, rewind, purge, entities.
/// </summary>
public sealed class LocalDurableTaskClient : DurableTaskClient
{
    private static readonly Core.OrchestrationStatus[] RunningStatuses =
    [
        Core.OrchestrationStatus.Pending,
        Core.OrchestrationStatus.Running,
        Core.OrchestrationStatus.ContinuedAsNew,
        Core.OrchestrationStatus.Suspended,
    ];

    private readonly AzureStorageOrchestrationService service;
    private readonly DataConverter converter;
    private readonly TimeSpan pollingInterval;
    private readonly LocalDurableEntityClient entities;

    public LocalDurableTaskClient(
        string name,
        AzureStorageOrchestrationService service,
        IOptionsMonitor<DurableTaskClientOptions> clientOptions,
        IOptions<LocalDurableOptions> localOptions)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(clientOptions);
        ArgumentNullException.ThrowIfNull(localOptions);
        this.service = service ?? throw new ArgumentNullException(nameof(service));
        this.converter = clientOptions.Get(name).DataConverter;
        this.pollingInterval = localOptions.Value.ClientPollingInterval;
        this.entities = new LocalDurableEntityClient(name, service, this.converter);
    }

    /// <inheritdoc/>
    public override DurableEntityClient Entities => this.entities;

    private IOrchestrationServiceClient Client => this.service;

    /// <inheritdoc/>
    public override async Task<string> ScheduleNewOrchestrationInstanceAsync(
        TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default)
    {
        cancellation.ThrowIfCancellationRequested();
        string instanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N");
        var instance = new OrchestrationInstance { InstanceId = instanceId, ExecutionId = Guid.NewGuid().ToString("N") };
        var tags = options?.Tags?.ToDictionary(kv => kv.Key, kv => kv.Value) ?? [];
        tags[OrchestrationTags.CreateTraceForNewOrchestration] = "true";
        tags[OrchestrationTags.RequestTime] = DateTimeOffset.UtcNow.ToString(CultureInfo.InvariantCulture);

        var message = new TaskMessage
        {
            OrchestrationInstance = instance,
            Event = new ExecutionStartedEvent(-1, this.converter.Serialize(input))
            {
                Name = orchestratorName.Name,
                Version = options?.Version?.Version ?? string.Empty,
                OrchestrationInstance = instance,
                ScheduledStartTime = options?.StartAt?.UtcDateTime,
                Tags = tags,
            },
        };

        // Like Durable Functions: an id may be reused once its previous run has finished, never while it runs.
        Core.OrchestrationStatus[] dedupe = options?.DedupeStatuses is { Count: > 0 } requested
            ? requested.Select(s => ToCore(Enum.Parse<OrchestrationRuntimeStatus>(s, ignoreCase: true))).ToArray()
            : RunningStatuses;
        await this.Client.CreateTaskOrchestrationAsync(message, dedupe).WaitAsync(cancellation);
        return instanceId;
    }

    /// <inheritdoc/>
    public override Task RaiseEventAsync(
        string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        return this.SendAsync(instanceId, new EventRaisedEvent(-1, this.converter.Serialize(eventPayload)) { Name = eventName }, cancellation);
    }

    /// <inheritdoc/>
    public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default)
        => this.SendAsync(instanceId, new ExecutionSuspendedEvent(-1, reason), cancellation);

    /// <inheritdoc/>
    public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default)
        => this.SendAsync(instanceId, new ExecutionResumedEvent(-1, reason), cancellation);

    /// <inheritdoc/>
    public override Task TerminateInstanceAsync(string instanceId, TerminateInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        cancellation.ThrowIfCancellationRequested();
        return this.Client.ForceTerminateTaskOrchestrationAsync(instanceId, this.converter.Serialize(options?.Output));
    }

    /// <inheritdoc/>
    public override Task RewindInstanceAsync(string instanceId, string reason, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        cancellation.ThrowIfCancellationRequested();
        return this.service.RewindTaskOrchestrationAsync(instanceId, reason);
    }

    /// <inheritdoc/>
    public override async Task<OrchestrationMetadata?> GetInstancesAsync(
        string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        cancellation.ThrowIfCancellationRequested();
        IList<Core.OrchestrationState> states = await this.service.GetOrchestrationStateAsync(instanceId, allExecutions: false, fetchInput: getInputsAndOutputs);
        Core.OrchestrationState? state = states?.FirstOrDefault(s => s is not null);
        return state is null ? null : this.ToMetadata(state, getInputsAndOutputs);
    }

    /// <inheritdoc/>
    public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null)
        => Pageable.Create(async (continuation, pageSize, cancellation) =>
        {
            var query = new CoreQuery.OrchestrationQuery
            {
                RuntimeStatus = filter?.Statuses?.Select(ToCore).ToList(),
                CreatedTimeFrom = filter?.CreatedFrom?.UtcDateTime,
                CreatedTimeTo = filter?.CreatedTo?.UtcDateTime,
                TaskHubNames = filter?.TaskHubNames?.ToList(),
                PageSize = pageSize ?? filter?.PageSize ?? OrchestrationQuery.DefaultPageSize,
                ContinuationToken = continuation ?? filter?.ContinuationToken,
                InstanceIdPrefix = filter?.InstanceIdPrefix,
                FetchInputsAndOutputs = filter?.FetchInputsAndOutputs ?? false,
                ExcludeEntities = true,
            };
            CoreQuery.OrchestrationQueryResult result = await this.service.GetOrchestrationWithQueryAsync(query, cancellation);
            return new Page<OrchestrationMetadata>(
                [.. result.OrchestrationState.Select(s => this.ToMetadata(s, query.FetchInputsAndOutputs))],
                result.ContinuationToken);
        });

    /// <inheritdoc/>
    public override async Task<OrchestrationMetadata> WaitForInstanceStartAsync(
        string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        while (true)
        {
            OrchestrationMetadata? metadata = await this.GetInstancesAsync(instanceId, getInputsAndOutputs, cancellation);
            if (metadata is not null && metadata.RuntimeStatus != OrchestrationRuntimeStatus.Pending)
            {
                return metadata;
            }

            await Task.Delay(this.pollingInterval, cancellation);
        }
    }

    /// <inheritdoc/>
    public override async Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(
        string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        while (true)
        {
            OrchestrationMetadata? metadata = await this.GetInstancesAsync(instanceId, getInputsAndOutputs, cancellation);
            if (metadata is { IsCompleted: true })
            {
                return metadata;
            }

            await Task.Delay(this.pollingInterval, cancellation);
        }
    }

    /// <inheritdoc/>
    public override async Task<PurgeResult> PurgeInstanceAsync(
        string instanceId, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        OrchestrationMetadata? metadata = await this.GetInstancesAsync(instanceId, false, cancellation);
        if (metadata is null)
        {
            return new PurgeResult(0);
        }

        if (!metadata.IsCompleted && !instanceId.StartsWith('@'))
        {
            throw new InvalidOperationException(
                $"Only finished orchestrations can be purged; '{instanceId}' is {metadata.RuntimeStatus}.");
        }

        Core.PurgeResult result = await ((IOrchestrationServicePurgeClient)this.service).PurgeInstanceStateAsync(instanceId);
        return new PurgeResult(result.DeletedInstanceCount);
    }

    /// <inheritdoc/>
    public override async Task<PurgeResult> PurgeAllInstancesAsync(
        PurgeInstancesFilter filter, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        cancellation.ThrowIfCancellationRequested();
        var coreFilter = new PurgeInstanceFilter(
            filter.CreatedFrom?.UtcDateTime ?? DateTime.MinValue,
            filter.CreatedTo?.UtcDateTime,
            filter.Statuses?.Select(ToCore));
        Core.PurgeResult result = await ((IOrchestrationServicePurgeClient)this.service).PurgeInstanceStateAsync(coreFilter);
        return new PurgeResult(result.DeletedInstanceCount);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The Azure Storage backend gives the latest execution's history as JSON without type names; each event is
    /// rebuilt as its <see cref="HistoryEvent"/> type from its <c>EventType</c>.
    /// </remarks>
    public override async Task<IList<HistoryEvent>> GetOrchestrationHistoryAsync(string instanceId, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        cancellation.ThrowIfCancellationRequested();
        if (await this.GetInstancesAsync(instanceId, false, cancellation) is null)
        {
            throw new ArgumentException($"No orchestration with id '{instanceId}' exists.", nameof(instanceId));
        }

        string json = await this.service.GetOrchestrationHistoryAsync(instanceId, executionId: null!).WaitAsync(cancellation);
        return LocalHistory.Parse(json);
    }

    /// <inheritdoc/>
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    internal static Core.OrchestrationStatus ToCore(OrchestrationRuntimeStatus status) => (Core.OrchestrationStatus)(int)status;

    private static TaskFailureDetails? FromCore(FailureDetails? details)
        => details is null
            ? null
            : new TaskFailureDetails(details.ErrorType, details.ErrorMessage, details.StackTrace, FromCore(details.InnerFailure), details.Properties);

    private OrchestrationMetadata ToMetadata(Core.OrchestrationState state, bool includeData)
    {
        var status = (OrchestrationRuntimeStatus)(int)state.OrchestrationStatus;
        TaskFailureDetails? failure = FromCore(state.FailureDetails);
        if (failure is null && status == OrchestrationRuntimeStatus.Failed)
        {
            // This backend can leave FailureDetails empty; the failure text is then the output.
            failure = new TaskFailureDetails("OrchestrationFailed", state.Output ?? "The orchestration failed.", null, null, null);
        }

        return new OrchestrationMetadata(state.Name, state.OrchestrationInstance.InstanceId)
        {
            DataConverter = includeData ? this.converter : null,
            RuntimeStatus = status,
            CreatedAt = state.CreatedTime,
            LastUpdatedAt = state.LastUpdatedTime,
            SerializedInput = includeData ? state.Input : null,
            SerializedOutput = includeData ? state.Output : null,
            SerializedCustomStatus = state.Status,
            FailureDetails = failure,
            Tags = state.Tags is null ? new Dictionary<string, string>() : new Dictionary<string, string>(state.Tags),
        };
    }

    private async Task SendAsync(string instanceId, HistoryEvent historyEvent, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        cancellation.ThrowIfCancellationRequested();
        if (await this.GetInstancesAsync(instanceId, false, cancellation) is null)
        {
            throw new ArgumentException($"No orchestration with id '{instanceId}' exists.", nameof(instanceId));
        }

        await this.Client.SendTaskOrchestrationMessageAsync(new TaskMessage
        {
            OrchestrationInstance = new OrchestrationInstance { InstanceId = instanceId },
            Event = historyEvent,
        });
    }
}

/// <summary>The entity half of <see cref="LocalDurableTaskClient"/>.</summary>
internal sealed class LocalDurableEntityClient(string name, AzureStorageOrchestrationService service, DataConverter converter)
    : DurableEntityClient(name)
{
    private EntityBackendQueries Queries
        => ((IEntityOrchestrationService)service).EntityBackendQueries
            ?? throw new NotSupportedException("The storage backend does not support entity queries.");

    public override async Task SignalEntityAsync(
        EntityInstanceId id, string operationName, object? input = null, SignalEntityOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(operationName);
        cancellation.ThrowIfCancellationRequested();
        EntityBackendProperties properties = ((IEntityOrchestrationService)service).EntityBackendProperties!;
        DateTime now = DateTime.UtcNow;
        (DateTime, DateTime)? scheduled = options?.SignalTime is { } at
            ? (at.UtcDateTime, properties.GetCappedScheduledTime(now, at.UtcDateTime))
            : null;
        EntityMessageEvent message = ClientEntityHelpers.EmitOperationSignal(
            new OrchestrationInstance { InstanceId = id.ToString() },
            Guid.NewGuid(),
            operationName,
            converter.Serialize(input),
            scheduled);
        await service.SendTaskOrchestrationMessageAsync(message.AsTaskMessage());
    }

    public override async Task<EntityMetadata?> GetEntityAsync(
        EntityInstanceId id, bool includeState = true, CancellationToken cancellation = default)
    {
        EntityBackendQueries.EntityMetadata? metadata = await this.Queries.GetEntityAsync(
            new EntityId(id.Name, id.Key), includeState, false, cancellation);
        return metadata is { } m ? this.Convert(m) : null;
    }

    public override async Task<EntityMetadata<T>?> GetEntityAsync<T>(
        EntityInstanceId id, bool includeState = true, CancellationToken cancellation = default)
    {
        EntityBackendQueries.EntityMetadata? metadata = await this.Queries.GetEntityAsync(
            new EntityId(id.Name, id.Key), includeState, false, cancellation);
        return metadata is { } m ? this.Convert<T>(m) : null;
    }

    public override AsyncPageable<EntityMetadata> GetAllEntitiesAsync(EntityQuery? filter = null)
        => this.Query(filter, this.Convert);

    public override AsyncPageable<EntityMetadata<T>> GetAllEntitiesAsync<T>(EntityQuery? filter = null)
        => this.Query(filter, this.Convert<T>);

    public override async Task<CleanEntityStorageResult> CleanEntityStorageAsync(
        CleanEntityStorageRequest? request = null, bool continueUntilComplete = true, CancellationToken cancellation = default)
    {
        CleanEntityStorageRequest r = request ?? CleanEntityStorageRequest.Default;
        int removed = 0, released = 0;
        string? continuation = r.ContinuationToken;
        do
        {
            EntityBackendQueries.CleanEntityStorageResult result = await this.Queries.CleanEntityStorageAsync(
                new EntityBackendQueries.CleanEntityStorageRequest
                {
                    RemoveEmptyEntities = r.RemoveEmptyEntities,
                    ReleaseOrphanedLocks = r.ReleaseOrphanedLocks,
                    ContinuationToken = continuation,
                },
                cancellation);
            removed += result.EmptyEntitiesRemoved;
            released += result.OrphanedLocksReleased;
            continuation = result.ContinuationToken;
        }
        while (continueUntilComplete && continuation is not null);

        return new CleanEntityStorageResult
        {
            EmptyEntitiesRemoved = removed,
            OrphanedLocksReleased = released,
            ContinuationToken = continuation,
        };
    }

    private AsyncPageable<TMetadata> Query<TMetadata>(EntityQuery? filter, Func<EntityBackendQueries.EntityMetadata, TMetadata> select)
        where TMetadata : notnull
        => Pageable.Create(async (continuation, pageSize, cancellation) =>
        {
            EntityBackendQueries.EntityQueryResult result = await this.Queries.QueryEntitiesAsync(
                new EntityBackendQueries.EntityQuery
                {
                    InstanceIdStartsWith = filter?.InstanceIdStartsWith ?? string.Empty,
                    LastModifiedFrom = filter?.LastModifiedFrom?.UtcDateTime,
                    LastModifiedTo = filter?.LastModifiedTo?.UtcDateTime,
                    IncludeState = filter?.IncludeState ?? true,
                    IncludeTransient = filter?.IncludeTransient ?? false,
                    PageSize = pageSize ?? filter?.PageSize,
                    ContinuationToken = continuation ?? filter?.ContinuationToken,
                },
                cancellation);
            return new Page<TMetadata>([.. result.Results.Select(select)], result.ContinuationToken);
        });

    private EntityMetadata Convert(EntityBackendQueries.EntityMetadata m)
        => new(new EntityInstanceId(m.EntityId.Name, m.EntityId.Key), m.SerializedState is null ? null : new SerializedData(m.SerializedState, converter))
        {
            LastModifiedTime = m.LastModifiedTime,
            BacklogQueueSize = m.BacklogQueueSize,
            LockedBy = m.LockedBy,
        };

    private EntityMetadata<T> Convert<T>(EntityBackendQueries.EntityMetadata m)
        => new(new EntityInstanceId(m.EntityId.Name, m.EntityId.Key), converter.Deserialize<T>(m.SerializedState)!)
        {
            LastModifiedTime = m.LastModifiedTime,
            BacklogQueueSize = m.BacklogQueueSize,
            LockedBy = m.LockedBy,
        };
}
