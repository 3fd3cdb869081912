using Connector.Orchestrations.Anaplan;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Anaplan;

/// <summary>
/// Orchestrator-side helpers for Anaplan tasks: poll with durable timers (a first check soon after the start, the
/// configured interval for the first minute, then Anaplan's growing schedule), give up and cancel after the task
/// timeout. Deterministic: time comes from the orchestration clock.
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

    /// <summary>
    /// How early a durable timer may fire on the Azure Storage backend: its message is made visible after the time left
    /// when the episode's messages are sent, truncated to whole seconds (queue visibility is in seconds). Measured on
    /// the local host: timers of 0.5 s and 1 s fired after 0.03–0.1 s, 2 s after 1.1 s, 3 s after 2.2 s.
    /// </summary>
    public static readonly TimeSpan TimerEarlyFire = TimeSpan.FromSeconds(1);

    /// <summary>The wait before the first status check of a task: a small task is often done by then.</summary>
    public static readonly TimeSpan FirstCheckWait = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The durable timer to set before status check number <paramref name="check"/> (0: the first after the start) of
    /// a task running for <paramref name="elapsed"/>: the first check after <see cref="FirstCheckWait"/>, then every
    /// <paramref name="firstMinuteInterval"/> in the first minute, then Anaplan's growing cadence (10 s, 30 s, 60 s).
    /// Each wait is rounded up to whole seconds and asked for <see cref="TimerEarlyFire"/> longer, so no timer is one
    /// the backend cannot honour and no wait is shorter than intended (no poll comes sooner than the interval).
    /// </summary>
    public static TimeSpan TimerBeforeCheck(int check, TimeSpan elapsed, TimeSpan firstMinuteInterval)
    {
        TimeSpan wait = check == 0 ? FirstCheckWait
            : elapsed < TimeSpan.FromMinutes(1) ? firstMinuteInterval
            : AnaplanPollSchedule.NextDelay(elapsed);
        double seconds = Math.Max(1, Math.Ceiling(wait.TotalSeconds));
        return TimeSpan.FromSeconds(seconds) + TimerEarlyFire;
    }

    /// <summary>Polls a started task until it is final, or cancels it after <paramref name="timeout"/>.</summary>
    public static async Task<TaskStatus> WaitAsync(
        TaskOrchestrationContext context, RunRef run, string actionType, TaskStatus started, TimeSpan firstMinuteInterval, TimeSpan timeout)
    {
        DateTime startedAt = context.CurrentUtcDateTime;
        TaskStatus status = started;
        var task = new TaskRef(run, actionType, started.ActionId, started.TaskId);
        for (int check = 0; !status.IsFinal; check++)
        {
            TimeSpan elapsed = context.CurrentUtcDateTime - startedAt;
            AnaplanPollDecision decision = AnaplanPollSchedule.Decide(new AnaplanTaskState(status.State), elapsed, timeout);
            if (decision.Action == AnaplanPollAction.GiveUp)
            {
                TaskStatus cancelled = await context.CallActivityAsync<TaskStatus>(nameof(CancelAnaplanTaskActivity), task, Retry);
                throw new TimeoutException(
                    $"Anaplan {actionType} task {started.TaskId} did not finish within {timeout}; it was cancelled (state {cancelled.State}).");
            }

            await context.CreateTimer(TimerBeforeCheck(check, elapsed, firstMinuteInterval), CancellationToken.None);
            status = await context.CallActivityAsync<TaskStatus>(nameof(GetAnaplanTaskStatusActivity), task, Retry);
        }

        return status;
    }
}
