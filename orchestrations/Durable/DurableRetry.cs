using Connector.Orchestrations.Flows.Anaplan;
using Connector.Orchestrations.Flows.Budgets;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Durable;

/// <summary>
/// The first interval of the connector's durable retry policies (<see cref="AnaplanPolling.Retry"/>,
/// <see cref="BudgetSyncOrchestrator.PostRetry"/>), setting <c>Durable:RetryFirstInterval</c>: 5 s by default, each next
/// wait twice the last (at most 2 minutes), the same number of attempts whatever the interval. A host fixes it once at
/// start-up (<see cref="Use"/>), before its worker runs an orchestration; orchestrators read it as a constant and never
/// from configuration or any other I/O, so every episode of an orchestration in one process schedules the same timers.
/// </summary>
/// <remarks>
/// A value changed between deployments does not break the replay of runs in flight. Durable Task's retry
/// (<c>RetryPolicy</c> becomes DurableTask.Core's <c>RetryOptions</c>, run by its <c>RetryInterceptor</c>, see
/// <c>TaskOrchestrationContextWrapper.CallActivityAsync</c> and <c>RetryPolicyExtensions</c> in microsoft/durabletask-dotnet)
/// waits with a durable timer created at <c>CurrentUtcDateTime + delay</c>; on replay DurableTask.Core matches a recorded
/// <c>TimerCreated</c> event to the replayed action by its sequence number and kind only, never by its fire time
/// (<c>TaskOrchestrationContext.HandleTimerCreatedEvent</c> in Azure/durabletask), and the timer's fire message already
/// queued keeps the time it was created with. So a run that was waiting when the setting changed retries at the old time,
/// and its later retries wait the new intervals. What must not change under runs in flight is the number of attempts or
/// which failures are retried (a different number of timers and tasks in the replay is a non-determinism error); this
/// setting changes neither. No retry timeout is set, so the interval cannot change whether a retry happens either.
/// </remarks>
public static class DurableRetry
{
    /// <summary>The setting's name.</summary>
    public const string Setting = "Durable:RetryFirstInterval";

    /// <summary>The production default: the first retry 5 s after the failure.</summary>
    public static readonly TimeSpan DefaultFirstInterval = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between two attempts, whatever the first interval.</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromMinutes(2);

    /// <summary>How much longer each wait is than the one before.</summary>
    public const double BackoffCoefficient = 2.0;

    private static readonly Lock Gate = new();
    private static Policies current = new(DefaultFirstInterval, fixedAtStart: false);

    /// <summary>Gets the first retry interval this process runs with.</summary>
    public static TimeSpan FirstInterval => current.FirstInterval;

    /// <summary>Gets the retries of activities that talk to Anaplan or Sage (<see cref="AnaplanPolling.Retry"/>).</summary>
    internal static TaskOptions Activities => current.Activities;

    /// <summary>Gets the retries of the budget postings (<see cref="BudgetSyncOrchestrator.PostRetry"/>).</summary>
    internal static TaskOptions Posting => current.Posting;

    /// <summary>Throws, naming the setting, when <paramref name="firstInterval"/> cannot be a retry interval.</summary>
    public static void Validate(TimeSpan firstInterval)
    {
        if (firstInterval <= TimeSpan.Zero || firstInterval > MaxInterval)
        {
            throw new InvalidOperationException(
                $"{Setting} must be more than 0 and at most {MaxInterval:c} (e.g. 00:00:05, the default); it is {firstInterval:c}.");
        }
    }

    /// <summary>
    /// Fixes the first retry interval of this process: called by a host as its worker starts. The first call decides; a
    /// later call with another value (a second worker in the same process configured differently) throws, naming the
    /// setting, so no orchestration sees the policy change under it.
    /// </summary>
    public static void Use(TimeSpan firstInterval)
    {
        Validate(firstInterval);
        lock (Gate)
        {
            if (current.FixedAtStart)
            {
                if (current.FirstInterval != firstInterval)
                {
                    throw new InvalidOperationException(
                        $"{Setting} is fixed for the life of the process: its workers retry after {current.FirstInterval:c} first, so a worker set to {firstInterval:c} cannot start in it.");
                }

                return;
            }

            current = new Policies(firstInterval, fixedAtStart: true);
        }
    }

    /// <summary>The policy of activities that talk to Anaplan or Sage, with the given first interval.</summary>
    public static RetryPolicy ActivityPolicy(TimeSpan firstInterval) => new(
        maxNumberOfAttempts: 5,
        firstRetryInterval: firstInterval,
        backoffCoefficient: BackoffCoefficient,
        maxRetryInterval: MaxInterval)
    {
        // Failures that will not heal by waiting are surfaced at once.
        HandleFailure = failure => !AnaplanPolling.IsPermanent(failure),
    };

    /// <summary>The policy of budget postings (Sage locked or unavailable longer than the client's own retries).</summary>
    public static RetryPolicy PostingPolicy(TimeSpan firstInterval) => new(
        maxNumberOfAttempts: 6,
        firstRetryInterval: firstInterval,
        backoffCoefficient: BackoffCoefficient,
        maxRetryInterval: MaxInterval)
    {
        HandleFailure = failure => failure.IsCausedBy<SageBusyException>() || failure.IsCausedBy<HttpRequestException>() || failure.IsCausedBy<TimeoutException>(),
    };

    private sealed class Policies(TimeSpan firstInterval, bool fixedAtStart)
    {
        public TimeSpan FirstInterval { get; } = firstInterval;

        public bool FixedAtStart { get; } = fixedAtStart;

        public TaskOptions Activities { get; } = TaskOptions.FromRetryPolicy(ActivityPolicy(firstInterval));

        public TaskOptions Posting { get; } = TaskOptions.FromRetryPolicy(PostingPolicy(firstInterval));
    }
}
