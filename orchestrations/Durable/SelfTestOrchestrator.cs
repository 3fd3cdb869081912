using Microsoft.DurableTask;

namespace Connector.Orchestrations.Durable;

/// <summary>Input of <see cref="SelfTestOrchestrator"/>.</summary>
public sealed record SelfTestInput(string WorkspaceId, string ModelId);

/// <summary>Result of <see cref="SelfTestOrchestrator"/>.</summary>
public sealed record SelfTestResult(
    string InstanceId, string Worker, DateTime LockedAt, DateTime ReleasedAt, long LockAcquisitions);

/// <summary>
/// Proves a deployment's durable plumbing end to end without touching Sage or Anaplan: it takes the per-model
/// lock, runs an activity inside the critical section (storage queues, the activity dispatcher, the entity
/// scheduler) and reports which worker ran it. Operators run it after a deployment; the local demo runs it too.
/// </summary>
public sealed class SelfTestOrchestrator : TaskOrchestrator<SelfTestInput, SelfTestResult>
{
    /// <inheritdoc/>
    public override async Task<SelfTestResult> RunAsync(TaskOrchestrationContext context, SelfTestInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);

        DateTime lockedAt;
        string worker;
        ModelLockState state;
        await using (ModelLockSection section = await context.LockModelAsync(input.WorkspaceId, input.ModelId, "self-test"))
        {
            lockedAt = context.CurrentUtcDateTime;
            worker = await context.CallActivityAsync<string>(nameof(SelfTestActivity), context.InstanceId);
            await section.Entered; // one call at a time to the locked entity
            state = await context.Entities.CallEntityAsync<ModelLockState>(
                ModelLock.IdFor(input.WorkspaceId, input.ModelId), nameof(ModelLock.Get));
        }

        return new SelfTestResult(context.InstanceId, worker, lockedAt, context.CurrentUtcDateTime, state.Acquisitions);
    }
}

/// <summary>Reports which worker process ran it.</summary>
public sealed class SelfTestActivity : TaskActivity<string, string>
{
    /// <inheritdoc/>
    public override Task<string> RunAsync(TaskActivityContext context, string input)
        => Task.FromResult($"{Environment.MachineName}/{Environment.ProcessId}");
}
