using Connector.Orchestrations.Flows.Anaplan;
using Connector.Orchestrations.Storage;

namespace Connector.Orchestrations.Tests.Anaplan;

/// <summary>
/// The first status check's wait, learned per action: 1 s before anything is learned; sooner after a first check that found
/// the task done, later after one that found it running (by its progress when Anaplan gives one); scaled by the rows an
/// import reads, up but not down from the import last learned from; never sooner than 0.2 s nor later than the first-minute interval; and, walked over many tasks of one
/// length, settling just over it with rare misses, from above and from below.
/// </summary>
public sealed class FirstCheckEstimatorTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    [Fact]
    public void Wait_NothingLearned_TheDefaultSecond()
    {
        Assert.Equal(AnaplanPolling.FirstCheckWait, FirstCheckEstimator.Wait(null, 250_000, Interval));
        Assert.Equal(TimeSpan.FromSeconds(1), FirstCheckEstimator.Wait(null, null, Interval));
    }

    [Fact]
    public void Learn_FoundDone_NextTaskCheckedSooner_FoundRunning_Later()
    {
        LearnedTaskDuration done = FirstCheckEstimator.Learn(null, 1000, TimeSpan.FromSeconds(1), done: true, progress: null);
        TimeSpan sooner = FirstCheckEstimator.Wait(done, 1000, Interval);
        Assert.True(sooner < TimeSpan.FromSeconds(1), $"after a task done at its first check: {sooner}");
        Assert.Equal(0, done.Misses);

        LearnedTaskDuration running = FirstCheckEstimator.Learn(done, 1000, sooner, done: false, progress: null);
        TimeSpan later = FirstCheckEstimator.Wait(running, 1000, Interval);
        Assert.True(later > sooner, $"after a task found running at {sooner}: {later}");
        Assert.Equal(1, running.Misses);

        // Found running again after the longer wait: later still.
        Assert.True(FirstCheckEstimator.Wait(FirstCheckEstimator.Learn(running, 1000, later, done: false, progress: null), 1000, Interval) > later);
    }

    [Fact]
    public void Learn_FoundRunningWithProgress_WaitsForWhatTheProgressPointsTo()
    {
        // A quarter done after 1 s: about 4 s in all, and a margin.
        LearnedTaskDuration learned = FirstCheckEstimator.Learn(null, null, TimeSpan.FromSeconds(1), done: false, progress: 0.25);
        TimeSpan wait = FirstCheckEstimator.Wait(learned, null, TimeSpan.FromSeconds(30));
        Assert.InRange(wait, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(4 * FirstCheckEstimator.Margin));

        // No progress (0, or none): the check's moment times Later.
        LearnedTaskDuration none = FirstCheckEstimator.Learn(null, null, TimeSpan.FromSeconds(1), done: false, progress: 0);
        Assert.Equal(TimeSpan.FromSeconds(FirstCheckEstimator.Later), FirstCheckEstimator.Wait(none, null, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Wait_ScalesWithTheRowsOfTheImport_ClampedToTheSoonestAndTheInterval()
    {
        LearnedTaskDuration done = FirstCheckEstimator.Learn(null, 100_000, TimeSpan.FromSeconds(1), done: true, progress: null);
        TimeSpan at100k = FirstCheckEstimator.Wait(done, 100_000, Interval);

        // A smaller import is not checked sooner than the one learned from: an import has fixed costs, so half the rows
        // is not half the time.
        Assert.Equal(at100k, FirstCheckEstimator.Wait(done, 50_000, Interval));
        Assert.Equal(at100k, FirstCheckEstimator.Wait(done, 10, Interval));

        // What a smaller import found teaches about imports of its size: once learned from 10 rows done at the soonest
        // check, 10 rows are checked then.
        LearnedTaskDuration small = FirstCheckEstimator.Learn(null, 10, FirstCheckEstimator.ShortestWait, done: true, progress: null);
        Assert.Equal(FirstCheckEstimator.ShortestWait, FirstCheckEstimator.Wait(small, 10, Interval));

        // Only found done so far: a larger import is not checked later than the default second.
        Assert.Equal(AnaplanPolling.FirstCheckWait, FirstCheckEstimator.Wait(done, 200_000, Interval));

        // Once a task was found running, the wait scales up too, to the first-minute interval at most.
        LearnedTaskDuration missed = FirstCheckEstimator.Learn(null, 100_000, TimeSpan.FromSeconds(1), done: false, progress: null);
        TimeSpan missedAt100k = FirstCheckEstimator.Wait(missed, 100_000, Interval);
        Assert.Equal(missedAt100k * 2, FirstCheckEstimator.Wait(missed, 200_000, Interval));
        Assert.Equal(Interval, FirstCheckEstimator.Wait(missed, 100_000_000, Interval));
    }

    [Fact]
    public void Learn_ALargerImportFoundDone_ThenASmallerOne_IsNotCheckedBeforeItCouldEnd()
    {
        // The 1 M-row bench's case: an 83 k-row import taught the action, two GL files went in one 500 k-row import found
        // done at 1 s, then a 250 k-row file taking 0.6 s. Scaled down per row, its check came at about 0.45 s and missed
        // (then Anaplan's 5 s cadence); it now waits about as long as the larger import did.
        LearnedTaskDuration learned = FirstCheckEstimator.Learn(null, 83_336, TimeSpan.FromSeconds(1), done: true, progress: null);
        TimeSpan merged = FirstCheckEstimator.Wait(learned, 500_000, Interval);
        Assert.Equal(AnaplanPolling.FirstCheckWait, merged);
        learned = FirstCheckEstimator.Learn(learned, 500_000, merged, done: true, progress: null);

        TimeSpan single = FirstCheckEstimator.Wait(learned, 250_000, Interval);
        Assert.InRange(single, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(1));
        learned = FirstCheckEstimator.Learn(learned, 250_000, single, done: true, progress: null);

        // Files of that size from then on come down by the usual small steps, not by the rows' ratio.
        TimeSpan next = FirstCheckEstimator.Wait(learned, 250_000, Interval);
        Assert.InRange(next, single * 0.94, single * 0.96);
    }

    [Fact]
    public void Learn_TasksOfOneRunFoundDone_BringTheWaitDownOnce_TheNextRunOnceMore()
    {
        // The 2 M-row bench's eight GL files in one run: each found done at its first check. Brought down a step a file, the
        // eighth was checked at 0.66 s and found running; brought down once a run, every file of the run waits the same.
        LearnedTaskDuration? learned = null;
        var waits = new List<TimeSpan>();
        foreach (string run in new[] { "warm-up", "run-2", "run-2", "run-2", "run-2", "run-2", "run-2", "run-2", "run-2" })
        {
            TimeSpan wait = FirstCheckEstimator.Wait(learned, 250_000, Interval);
            waits.Add(wait);
            learned = FirstCheckEstimator.Learn(learned, 250_000, wait, done: true, progress: null, run);
        }

        Assert.Equal(AnaplanPolling.FirstCheckWait, waits[0]);
        Assert.InRange(waits[1], waits[0] * 0.94, waits[0] * 0.96); // the warm-up run's step
        Assert.InRange(waits[2], waits[1] * 0.94, waits[1] * 0.96); // the second run's one step, at its first file
        Assert.All(waits[3..], w => Assert.Equal(waits[2], w));
        Assert.Equal("run-2", learned!.LoweredIn);

        // The next run brings it down again, once.
        TimeSpan third = FirstCheckEstimator.Wait(learned, 250_000, Interval);
        learned = FirstCheckEstimator.Learn(learned, 250_000, third, done: true, progress: null, "run-3");
        Assert.InRange(FirstCheckEstimator.Wait(learned, 250_000, Interval), third * 0.94, third * 0.96);

        // A task of the run found running still raises the wait at once, and the run does not bring it down after that.
        LearnedTaskDuration running = FirstCheckEstimator.Learn(learned, 250_000, third * 0.95, done: false, progress: null, "run-3");
        TimeSpan raised = FirstCheckEstimator.Wait(running, 250_000, Interval);
        Assert.True(raised > third, $"found running at {third * 0.95}: {raised}");
        Assert.True(FirstCheckEstimator.Wait(FirstCheckEstimator.Learn(running, 250_000, raised, done: true, progress: null, "run-3"), 250_000, Interval) >= raised * 0.999);
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.45)]
    [InlineData(2.0)]
    [InlineData(4.5)]
    public void Walk_TasksOfOneLength_SettlesJustOverIt_FewMisses(double seconds)
    {
        TimeSpan length = TimeSpan.FromSeconds(seconds);
        (LearnedTaskDuration? learned, int misses, List<TimeSpan> waits) = Walk(null, length, 300);

        // The wait settles over the task's length (or at the soonest check), never far over it, and misses are rare.
        TimeSpan last = waits[^1];
        Assert.InRange(last, length < FirstCheckEstimator.ShortestWait ? FirstCheckEstimator.ShortestWait : length, Max(FirstCheckEstimator.ShortestWait, length * 1.6));
        Assert.InRange(misses, 0, 8);
        Assert.NotNull(learned);
    }

    [Fact]
    public void Walk_TaskGetsSlowerThenFaster_TheWaitFollowsBothWays()
    {
        (LearnedTaskDuration? learned, _, List<TimeSpan> fast) = Walk(null, TimeSpan.FromSeconds(0.3), 100);
        Assert.True(fast[^1] < TimeSpan.FromSeconds(0.5), $"settled at {fast[^1]} for 0.3 s tasks");

        (learned, int misses, List<TimeSpan> slow) = Walk(learned, TimeSpan.FromSeconds(2), 100);
        Assert.InRange(slow[^1], TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3.2));
        Assert.InRange(misses, 1, 8); // ×1.5 a miss from 0.3 s up to 2 s, then rarely

        // Down again: the floor the slow tasks set is forgotten slowly (0.2 % a task), so this takes some hundreds of tasks.
        (_, _, List<TimeSpan> fastAgain) = Walk(learned, TimeSpan.FromSeconds(0.3), 1000);
        Assert.True(fastAgain[^1] < TimeSpan.FromSeconds(0.5), $"settled at {fastAgain[^1]} once the tasks got fast again");
    }

    /// <summary>Tasks of <paramref name="length"/>, each first checked at the learned wait (as the status activity does).</summary>
    private static (LearnedTaskDuration? Learned, int Misses, List<TimeSpan> Waits) Walk(LearnedTaskDuration? learned, TimeSpan length, int tasks)
    {
        var waits = new List<TimeSpan>();
        int misses = 0;
        for (int i = 0; i < tasks; i++)
        {
            TimeSpan wait = FirstCheckEstimator.Wait(learned, 50_000, Interval);
            waits.Add(wait);
            bool done = length <= wait;
            misses += done ? 0 : 1;
            learned = FirstCheckEstimator.Learn(learned, 50_000, wait, done, progress: null);
        }

        return (learned, misses, waits);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
