using Connector.Orchestrations.Storage;

namespace Connector.Orchestrations.Flows.Anaplan;

/// <summary>
/// When to check a started Anaplan task for the first time, learned per action from earlier tasks of the same action on
/// the same model. Only the first check teaches anything, and only a bound: one that finds the task done says it took at
/// most that long, one that finds it running says longer. The rule, per unit of work (a row uploaded for an import, the
/// whole task for an export; a task smaller than the one last learned from is waited for as long as that one):
/// <list type="bullet">
/// <item>nothing learned: <see cref="AnaplanPolling.FirstCheckWait"/> (1 s), and never later than that until a first
/// check of the action has found a task running;</item>
/// <item>found done: the next wait is <see cref="Sooner"/> of the shorter of the wait and the check's moment, but never
/// less than <see cref="Margin"/> over the floor (the longest first check that found a task running, which is forgotten
/// by <see cref="FloorKept"/> at each check that finds a task done, so a task that got faster is probed sooner again);
/// once a run: the action's later tasks in the same run, found done, keep the wait (see <see cref="LearnedTaskDuration.LoweredIn"/>);</item>
/// <item>found running: the floor rises to the check's moment, and the next wait is the length the task's progress
/// points to (elapsed ÷ progress) with the <see cref="Margin"/>, or, with no progress, <see cref="Later"/> times the
/// check's moment.</item>
/// </list>
/// A miss costs the cadence (5 s), a probe a little late costs that little: so the wait comes down by small steps and goes
/// up by big ones, and, once a task was found running, stays over that floor for a long while (it is forgotten by 0.2 % a
/// task): simulated over tasks whose length varies by 10-20 %, about one first check in a hundred misses once settled. The wait is kept between <see cref="ShortestWait"/> and
/// the first-minute interval. Pure: the activities read and write what is learned (<see cref="TaskDurationStore"/>).
/// </summary>
public static class FirstCheckEstimator
{
    /// <summary>The soonest first check: a task is never checked sooner after its start.</summary>
    public static readonly TimeSpan ShortestWait = TimeSpan.FromSeconds(0.2);

    /// <summary>
    /// What a first check that found the task done leaves of the wait for the next task. 0.95: the wait comes down slowly,
    /// because until a first check of the action has found a task running nothing bounds it from below, and the first
    /// miss costs the cadence (5 s). With 0.85 the 2 M-row bench's sixth GL file, about 0.5 s of import, was first checked
    /// at 0.44 s and waited 5 s more.
    /// </summary>
    public const double Sooner = 0.95;

    /// <summary>How much later than the known lower bound (the floor, or the length progress points to) the next first check comes.</summary>
    public const double Margin = 1.25;

    /// <summary>How much later than a first check that found the task running (with no progress) the next one comes.</summary>
    public const double Later = 1.5;

    /// <summary>What a first check that found the task done keeps of the floor.</summary>
    public const double FloorKept = 0.998;

    /// <summary>The units of work of a task: the rows uploaded for an import (at least one), one for an export.</summary>
    public static double Units(long? rows) => rows is { } r ? Math.Max(1, r) : 1;

    /// <summary>The wait before the first status check of a task of <paramref name="rows"/> rows (null: an export).</summary>
    public static TimeSpan Wait(LearnedTaskDuration? learned, long? rows, TimeSpan firstMinuteInterval)
    {
        if (learned is null)
        {
            return AnaplanPolling.FirstCheckWait;
        }

        // Until a first check of the action found a task running, nothing says its tasks take longer than the default:
        // a larger import than the ones learned from is not checked later than it.
        double seconds = learned.Wait * Scaled(learned, rows);
        if (learned.Misses == 0)
        {
            seconds = Math.Min(seconds, AnaplanPolling.FirstCheckWait.TotalSeconds);
        }

        TimeSpan longest = firstMinuteInterval > ShortestWait ? firstMinuteInterval : ShortestWait;
        return double.IsFinite(seconds) && seconds < longest.TotalSeconds
            ? (seconds > ShortestWait.TotalSeconds ? TimeSpan.FromSeconds(seconds) : ShortestWait)
            : longest;
    }

    /// <summary>
    /// What a first check teaches: it came <paramref name="elapsed"/> after the task's start and found it
    /// <paramref name="done"/> or not, with <paramref name="progress"/> (0 to 1) when Anaplan gave one.
    /// </summary>
    /// <param name="run">
    /// The run the task is part of (null: a run of its own). A found-done check brings the wait down once a run: a run's
    /// tasks of one action come minutes apart at most, in a model that grows with each import, so a step a task walks the
    /// wait down within one run, past what the run's last, largest-model task needs. The 2 M-row bench's eighth GL file,
    /// checked 5 % a file sooner than the first (0.66 s against 0.99 s), was still running and waited Anaplan's 5 s more, in
    /// two runs of four (session 15; and in both of session 13's full runs). Across runs the wait comes down as before, a step a run, and a check that finds a task running
    /// raises it at once, in any run.
    /// </param>
    public static LearnedTaskDuration Learn(LearnedTaskDuration? learned, long? rows, TimeSpan elapsed, bool done, double? progress, string? run = null)
    {
        double units = Units(rows);
        double at = Math.Max(elapsed.TotalSeconds, 0) / units;
        double wait = learned is null ? AnaplanPolling.FirstCheckWait.TotalSeconds / units : learned.Wait * Scaled(learned, rows) / units; // this task's, per unit
        double floor = learned?.Floor ?? 0;
        long checks = (learned?.Checks ?? 0) + 1, misses = learned?.Misses ?? 0;
        if (done)
        {
            // A wait already at the soonest check is not brought further down: no check comes sooner anyway.
            double bound = Math.Max(Math.Min(wait, at), ShortestWait.TotalSeconds / units);
            bool lowered = run is not null && learned?.LoweredIn == run; // this run brought the wait down already
            return new LearnedTaskDuration(Math.Max(floor * Margin, lowered ? bound : bound * Sooner), floor * FloorKept, checks, misses, units, run);
        }

        floor = Math.Max(floor, at);
        double next = progress is > 0 and < 1 ? at / progress.Value * Margin : at * Later;
        return new LearnedTaskDuration(Math.Max(next, floor * Margin), floor, checks, misses + 1, units, learned?.LoweredIn);
    }

    /// <summary>
    /// The units the learned per-unit wait is multiplied by for a task of <paramref name="rows"/>: its own, but never fewer
    /// than the task last learned from. Scaled up, a per-unit wait errs late (a task's fixed costs are spread over more
    /// units); scaled down it would err early: after two GL files imported as one (500 k rows) were found done at 0.9 s,
    /// the next file alone (250 k) was checked at 0.43 s, still running, and waited Anaplan's 5 s cadence (1 M-row bench).
    /// </summary>
    private static double Scaled(LearnedTaskDuration learned, long? rows) => Math.Max(Units(rows), learned.Units);
}
