using Connector.Orchestrations.Telemetry;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;

namespace Connector.Orchestrations.Durable;

/// <summary>The orchestrator-side helper every Anaplan action goes through.</summary>
public static class ModelLockExtensions
{
    /// <summary>
    /// Enters the critical section of one Anaplan model: returns once no other orchestration holds the model's lock.
    /// Dispose the result (<c>await using</c>) to leave it; disposal also runs when the section throws, so a failure
    /// never leaves the model locked.
    /// </summary>
    /// <remarks>
    /// Inside the section only activities and timers may be awaited (Durable Task forbids sub-orchestrations while
    /// holding locks). Keep sections short and release between datasets so other flows on the model are not starved.
    /// While it waits and while it holds the lock, the orchestration's custom status is a <see cref="ModelLockProgress"/>
    /// (which lock, for what, since when): that is how operators see who waits for a model; it is cleared on release.
    /// The entity records the holder (<see cref="ModelLock.Enter"/>) with a call sent as the section opens, answered while
    /// the section's first activity runs (awaited when the section ends, so it costs no round trip of its own), and the
    /// release (<see cref="ModelLock.Exit"/>) with a signal sent right after the lock is released (a locked entity cannot
    /// be signalled from inside the section; the signal is delivered after the release, and a holder that entered in
    /// between is not cleared by it). A section that calls the lock entity itself awaits <see cref="ModelLockSection.Entered"/>
    /// first: a critical section may have one call pending per locked entity.
    /// </remarks>
    /// <param name="context">The orchestration context.</param>
    /// <param name="workspaceId">The Anaplan workspace id.</param>
    /// <param name="modelId">The Anaplan model id.</param>
    /// <param name="purpose">What the section does (shown to operators), e.g. "import GL Actuals from Sage".</param>
    public static async Task<ModelLockSection> LockModelAsync(
        this TaskOrchestrationContext context, string workspaceId, string modelId, string purpose)
    {
        ArgumentNullException.ThrowIfNull(context);
        EntityInstanceId id = ModelLock.IdFor(workspaceId, modelId);
        DateTime asked = context.CurrentUtcDateTime;

        context.SetCustomStatus(new ModelLockProgress(ModelLockProgress.Waiting, id.Key, purpose, asked));
        IAsyncDisposable locks = await context.Entities.LockEntitiesAsync(id);
        ConnectorTelemetry.ModelLockWaited(context.IsReplaying, modelId, context.CurrentUtcDateTime - asked);
        context.SetCustomStatus(new ModelLockProgress(ModelLockProgress.Holding, id.Key, purpose, context.CurrentUtcDateTime));
        Task enter = context.Entities.CallEntityAsync(
            id, nameof(ModelLock.Enter), new ModelLockHolder(context.InstanceId, purpose, context.CurrentUtcDateTime));
        return new ModelLockSection(context, id, locks, enter);
    }
}

/// <summary>An open critical section on a model's lock (<see cref="ModelLockExtensions.LockModelAsync"/>); dispose it to leave.</summary>
public sealed class ModelLockSection : IAsyncDisposable
{
    private readonly TaskOrchestrationContext context;
    private readonly EntityInstanceId id;
    private readonly IAsyncDisposable locks;
    private readonly Task enter;
    private bool disposed;

    internal ModelLockSection(TaskOrchestrationContext context, EntityInstanceId id, IAsyncDisposable locks, Task enter)
        => (this.context, this.id, this.locks, this.enter) = (context, id, locks, enter);

    /// <summary>Gets the call that records the holder (<see cref="ModelLock.Enter"/>): await it before calling the lock entity inside the section.</summary>
    public Task Entered => this.enter;

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (this.disposed)
        {
            return;
        }

        this.disposed = true;
        try
        {
            // The holder's record is answered before the lock goes: its failure, if any, belongs to this section.
            await this.enter;
        }
        finally
        {
            await this.locks.DisposeAsync();
            await this.context.Entities.SignalEntityAsync(
                this.id, nameof(ModelLock.Exit), new ModelLockRelease(this.context.InstanceId, this.context.CurrentUtcDateTime));
            this.context.SetCustomStatus(null);
        }
    }
}

/// <summary>
/// The custom status of an orchestration at a model lock: <see cref="Waiting"/> for it or <see cref="Holding"/> it, the
/// lock's key (<c>{workspace}:{model}</c>, lower case), what for and since when (orchestration time, UTC).
/// </summary>
public sealed record ModelLockProgress(string Step, string Lock, string Detail, DateTime Since)
{
    /// <summary>The step while the orchestration waits for the lock.</summary>
    public const string Waiting = "waiting for the model lock";

    /// <summary>The step while the orchestration holds the lock.</summary>
    public const string Holding = "holding the model lock";
}
