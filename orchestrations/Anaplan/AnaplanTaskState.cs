namespace Connector.Orchestrations.Anaplan;

/// <summary>
/// A task state. Anaplan adds states over time, so this is a value over text: the known ones have names, any other is
/// kept as data (<see cref="IsKnown"/> false) and treated as not final.
/// </summary>
public readonly record struct AnaplanTaskState(string Value)
{
    public static readonly AnaplanTaskState NotStarted = new("NOT_STARTED");
    public static readonly AnaplanTaskState InProgress = new("IN_PROGRESS");
    public static readonly AnaplanTaskState Complete = new("COMPLETE");
    public static readonly AnaplanTaskState Cancelling = new("CANCELLING");
    public static readonly AnaplanTaskState Cancelled = new("CANCELLED");

    /// <summary>COMPLETE or CANCELLED: the task will not change any more.</summary>
    public bool IsFinal => this == Complete || this == Cancelled;

    /// <summary>Whether this client knows the state.</summary>
    public bool IsKnown => this == NotStarted || this == InProgress || this == Complete || this == Cancelling || this == Cancelled;

    public bool Equals(AnaplanTaskState other) => string.Equals(this.Value, other.Value, StringComparison.OrdinalIgnoreCase);

    public override int GetHashCode() => StringComparer.OrdinalIgnoreCase.GetHashCode(this.Value ?? string.Empty);

    public override string ToString() => this.Value ?? string.Empty;
}

/// <summary>What the caller should do after looking at a task's status.</summary>
public enum AnaplanPollAction
{
    /// <summary>The task is final (COMPLETE or CANCELLED): stop polling and read the result.</summary>
    Done,

    /// <summary>Poll again after <see cref="AnaplanPollDecision.Delay"/>.</summary>
    PollAgain,

    /// <summary>The task ran past the caller's limit: stop polling (and consider cancelling it).</summary>
    GiveUp,
}

/// <summary>A decision of <see cref="AnaplanPollSchedule.Decide"/>.</summary>
public readonly record struct AnaplanPollDecision(AnaplanPollAction Action, TimeSpan Delay);

/// <summary>
/// When to look at a running task again. Pure functions: the orchestration owns the waiting (durable timers).
/// Never sooner than 5 s (Anaplan's guidance), growing for long tasks: 5 s for the first minute, then 10 s, then 30 s
/// after 5 minutes, then 60 s after 30 minutes. Unknown states are polled like running ones, never in a tight loop.
/// </summary>
public static class AnaplanPollSchedule
{
    /// <summary>The shortest interval between two polls of one task.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(5);

    /// <summary>The default limit after which <see cref="Decide"/> gives up.</summary>
    public static readonly TimeSpan DefaultGiveUpAfter = TimeSpan.FromHours(6);

    /// <summary>The delay before the next poll of a task that has been running for <paramref name="elapsed"/>.</summary>
    public static TimeSpan NextDelay(TimeSpan elapsed) => elapsed switch
    {
        _ when elapsed < TimeSpan.FromMinutes(1) => MinimumInterval,
        _ when elapsed < TimeSpan.FromMinutes(5) => TimeSpan.FromSeconds(10),
        _ when elapsed < TimeSpan.FromMinutes(30) => TimeSpan.FromSeconds(30),
        _ => TimeSpan.FromSeconds(60),
    };

    /// <summary>Decides from a task's state and how long it has been running.</summary>
    public static AnaplanPollDecision Decide(AnaplanTaskState state, TimeSpan elapsed, TimeSpan? giveUpAfter = null)
    {
        if (state.IsFinal)
        {
            return new AnaplanPollDecision(AnaplanPollAction.Done, TimeSpan.Zero);
        }

        if (elapsed >= (giveUpAfter ?? DefaultGiveUpAfter))
        {
            return new AnaplanPollDecision(AnaplanPollAction.GiveUp, TimeSpan.Zero);
        }

        return new AnaplanPollDecision(AnaplanPollAction.PollAgain, NextDelay(elapsed));
    }
}
