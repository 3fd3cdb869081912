using Connector.Orchestrations.Anaplan;
using Connector.Orchestrations.Durable;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Anaplan;

/// <summary>
/// Orchestrator-side helpers for Anaplan tasks: poll with durable timers (a first check when the task is expected to be
/// done, learned per action by the start activity (<see cref="FirstCheckEstimator"/>), the configured interval for the
/// first minute, then Anaplan's growing schedule), give up and cancel after the task timeout. Deterministic: time comes from the orchestration clock. Each check is told its moment, which the status
/// activity waits for when its timer fired early (timers are whole seconds and may fire a second early) or when the
/// wait was too short for a timer: checks come on the schedule, neither sooner nor a second later.
/// </summary>
internal static class AnaplanPolling
{
    /// <summary>
    /// Retries of activities that talk to Anaplan or Sage, on top of the clients' own short retries: 5 attempts, the
    /// first retry after <see cref="DurableRetry.FirstInterval"/> (<c>Durable:RetryFirstInterval</c>, 5 s by default),
    /// each wait twice the last, at most 2 minutes; failures that will not heal by waiting (<see cref="IsPermanent"/>) are
    /// surfaced at once. Fixed for the life of the process (see <see cref="DurableRetry"/>).
    /// </summary>
    public static TaskOptions Retry => DurableRetry.Activities;

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

    /// <summary>The shortest durable timer the backend honours: one that cannot fire before a second has passed.</summary>
    public static readonly TimeSpan ShortestTimer = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The longest a status check waits inside its activity for the scheduled moment: what a timer may fire early, or a
    /// wait too short for a timer (<see cref="ShortestTimer"/>). A check that finds itself later than that waits no more.
    /// </summary>
    public static readonly TimeSpan LongestTopUp = ShortestTimer;

    /// <summary>
    /// The wait before the first status check of a task of an action nothing was learned about yet (a small task is often
    /// done by then); afterwards the start activity gives the wait learned for the action (<see cref="FirstCheckEstimator"/>).
    /// </summary>
    public static readonly TimeSpan FirstCheckWait = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The wait before status check number <paramref name="check"/> (0: the first after the start) of a task running for
    /// <paramref name="elapsed"/>: <paramref name="firstCheck"/> (what the start activity learned for the action, by
    /// default <see cref="FirstCheckWait"/>), then every <paramref name="firstMinuteInterval"/> in the first minute, then
    /// Anaplan's growing cadence (10 s, 30 s, 60 s). No check comes sooner: the status activity is told the moment
    /// (<see cref="TaskRef.NotBefore"/>) and waits for it if its timer fired early.
    /// </summary>
    public static TimeSpan WaitBeforeCheck(int check, TimeSpan elapsed, TimeSpan firstMinuteInterval, TimeSpan? firstCheck = null)
        => check == 0 ? firstCheck ?? FirstCheckWait
            : elapsed < TimeSpan.FromMinutes(1) ? firstMinuteInterval
            : AnaplanPollSchedule.NextDelay(elapsed);

    /// <summary>
    /// The durable timer to set before status check number <paramref name="check"/>: the wait rounded up to whole seconds,
    /// or none when the wait is shorter than <see cref="ShortestTimer"/> (a shorter timer fires at once on the Azure Storage
    /// backend; the status activity waits out such a wait itself). A timer may fire up to <see cref="TimerEarlyFire"/>
    /// early; the status activity waits out the rest, so the check comes on time rather than a second late.
    /// </summary>
    public static TimeSpan? TimerBeforeCheck(int check, TimeSpan elapsed, TimeSpan firstMinuteInterval, TimeSpan? firstCheck = null)
    {
        TimeSpan wait = WaitBeforeCheck(check, elapsed, firstMinuteInterval, firstCheck);
        return wait < ShortestTimer ? null : TimeSpan.FromSeconds(Math.Ceiling(wait.TotalSeconds));
    }

    /// <summary>
    /// Polls a started task until it is final, or cancels it after <paramref name="timeout"/>. The first check of a task
    /// this run started (<see cref="TaskStatus.StartedAt"/>) comes after the wait the start activity learned for the action
    /// (<see cref="TaskStatus.FirstCheck"/>) and teaches the next tasks of the action what it found; <paramref name="rows"/>
    /// are the rows an import reads (null for an export).
    /// </summary>
    public static async Task<TaskStatus> WaitAsync(
        TaskOrchestrationContext context, RunRef run, string actionType, TaskStatus started, TimeSpan firstMinuteInterval, TimeSpan timeout, long? rows = null)
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

            // The first check of a task this run started is due the learned wait after the start request (what the wait is
            // learned from), not after this episode, which comes a round trip later.
            TimeSpan wait = WaitBeforeCheck(check, elapsed, firstMinuteInterval, started.FirstCheck);
            DateTime? requested = check == 0 ? started.StartedAt : null;
            DateTime due = requested is { } at
                ? new DateTime(Math.Max(context.CurrentUtcDateTime.Ticks, (at + wait).Ticks), DateTimeKind.Utc)
                : context.CurrentUtcDateTime + wait;
            if (TimerBeforeCheck(check, elapsed, firstMinuteInterval, started.FirstCheck) is { } timer)
            {
                await context.CreateTimer(timer, CancellationToken.None);
            }

            TaskRef checkRef = requested is null ? task with { NotBefore = due } : task with { NotBefore = due, StartedAt = requested, Rows = rows };
            status = await context.CallActivityAsync<TaskStatus>(nameof(GetAnaplanTaskStatusActivity), checkRef, Retry);
        }

        return status;
    }
}
