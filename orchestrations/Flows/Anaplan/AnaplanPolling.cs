using Connector.Orchestrations.Anaplan;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Anaplan;

/// <summary>
/// Orchestrator-side helpers for Anaplan tasks: poll with durable timers (the configured interval for the first
/// minute, then Anaplan's growing schedule), give up and cancel after the task timeout. Deterministic: time comes
/// from the orchestration clock.
/// </summary>
internal static class AnaplanPolling
{
    /// <summary>Retries of activities that talk to Anaplan or Sage, on top of the clients' own short retries.</summary>
    public static readonly TaskOptions Retry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 5,
        firstRetryInterval: TimeSpan.FromSeconds(5),
        backoffCoefficient: 2.0,
        maxRetryInterval: TimeSpan.FromMinutes(2))
    {
        // Failures that will not heal by waiting are surfaced at once.
        HandleFailure = failure => !IsPermanent(failure),
    });

    public static bool IsPermanent(TaskFailureDetails failure)
        => failure.IsCausedBy<AnaplanHeaderMismatchException>()
            || failure.IsCausedBy<AnaplanActionException>()
            || failure.IsCausedBy<ConnectorConfigurationException>()
            || failure.IsCausedBy<AnaplanAuthenticationException>()
            || failure.IsCausedBy<AnaplanNotFoundException>()
            || failure.IsCausedBy<AnaplanModelStateException>()
            || failure.IsCausedBy<Credentials.CredentialNotFoundException>()
            || failure.IsCausedBy<Credentials.CredentialUnavailableException>()
            || failure.IsCausedBy<Sage100.SageAgentRefusedException>()
            || failure.IsCausedBy<ArgumentException>()
            || failure.IsCausedBy<InvalidDataException>()
            || failure.IsCausedBy<KeyNotFoundException>()
            || failure.IsCausedBy<Operations.ConnectionNotFoundException>();

    /// <summary>Polls a started task until it is final, or cancels it after <paramref name="timeout"/>.</summary>
    public static async Task<TaskStatus> WaitAsync(
        TaskOrchestrationContext context, RunRef run, string actionType, TaskStatus started, TimeSpan firstMinuteInterval, TimeSpan timeout)
    {
        DateTime startedAt = context.CurrentUtcDateTime;
        TaskStatus status = started;
        var task = new TaskRef(run, actionType, started.ActionId, started.TaskId);
        while (!status.IsFinal)
        {
            TimeSpan elapsed = context.CurrentUtcDateTime - startedAt;
            AnaplanPollDecision decision = AnaplanPollSchedule.Decide(new AnaplanTaskState(status.State), elapsed, timeout);
            if (decision.Action == AnaplanPollAction.GiveUp)
            {
                TaskStatus cancelled = await context.CallActivityAsync<TaskStatus>(nameof(CancelAnaplanTaskActivity), task, Retry);
                throw new TimeoutException(
                    $"Anaplan {actionType} task {started.TaskId} did not finish within {timeout}; it was cancelled (state {cancelled.State}).");
            }

            TimeSpan delay = elapsed < TimeSpan.FromMinutes(1) ? firstMinuteInterval : decision.Delay;
            await context.CreateTimer(delay, CancellationToken.None);
            status = await context.CallActivityAsync<TaskStatus>(nameof(GetAnaplanTaskStatusActivity), task, Retry);
        }

        return status;
    }
}
