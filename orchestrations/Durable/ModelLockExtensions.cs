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
    /// between is not cleared by it).
    /// </remarks>
    /// <param name="context">The orchestration context.</param>
    /// <param name="workspaceId">The Anaplan workspace id.</param>
    /// <param name="modelId">The Anaplan model id.</param>
    /// <param name="purpose">What the section does (shown to operators), e.g. "import GL Actuals from Sage".</param>
    public static async Task<IAsyncDisposable> LockModelAsync(
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
        return new Section(context, id, locks, enter);
    }

    private sealed class Section(TaskOrchestrationContext context, EntityInstanceId id, IAsyncDisposable locks, Task enter)
        : IAsyncDisposable
    {
        private bool disposed;

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
                await enter;
            }
            finally
            {
                await locks.DisposeAsync();
                await context.Entities.SignalEntityAsync(
                    id, nameof(ModelLock.Exit), new ModelLockRelease(context.InstanceId, context.CurrentUtcDateTime));
                context.SetCustomStatus(null);
            }
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
