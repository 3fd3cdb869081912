using Connector.Orchestrations.Flows.Anaplan;

namespace Connector.Orchestrations.Tests.Anaplan;

/// <summary>
/// The schedule of task status checks: a first check soon after the start (1 s before anything is learned about the
/// action, then the wait the start activity learned for it), then the documented cadence. Each wait of two
/// seconds or more is a durable timer of whole seconds (the Azure Storage backend fires timers up to a second early, and
/// sub-second ones at once); the status activity is told the moment and waits out what the timer left, and a wait too
/// short for a timer is waited out by the activity alone.
/// </summary>
public sealed class PollScheduleTests
{
    private static readonly TimeSpan Production = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData(0, 0, 1, null)]     // first check: 1 s after the start, too short for a timer
    [InlineData(1, 1, 5, 5)]        // then every 5 s in the first minute
    [InlineData(5, 59, 5, 5)]
    [InlineData(6, 60, 10, 10)]     // then 10 s
    [InlineData(20, 299, 10, 10)]
    [InlineData(30, 300, 30, 30)]   // 30 s after five minutes
    [InlineData(90, 1800, 60, 60)]  // 60 s after half an hour
    [InlineData(500, 36_000, 60, 60)]
    public void WaitAndTimerBeforeCheck_FirstSoonThenDocumentedCadence(int check, int elapsedSeconds, int waitSeconds, int? timerSeconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(waitSeconds), AnaplanPolling.WaitBeforeCheck(check, TimeSpan.FromSeconds(elapsedSeconds), Production));
        Assert.Equal(timerSeconds is { } t ? TimeSpan.FromSeconds(t) : null, AnaplanPolling.TimerBeforeCheck(check, TimeSpan.FromSeconds(elapsedSeconds), Production));
    }

    [Theory]
    [InlineData(0.2, null)]    // learned short: waited out by the status activity alone
    [InlineData(1.9, null)]
    [InlineData(2.0, 2)]       // long enough for a timer: whole seconds, the activity waits out the rest
    [InlineData(3.2, 4)]
    public void FirstCheck_TheWaitLearnedForTheAction(double firstCheckSeconds, int? timerSeconds)
    {
        TimeSpan firstCheck = TimeSpan.FromSeconds(firstCheckSeconds);
        Assert.Equal(firstCheck, AnaplanPolling.WaitBeforeCheck(0, TimeSpan.Zero, Production, firstCheck));
        Assert.Equal(timerSeconds is { } t ? TimeSpan.FromSeconds(t) : null, AnaplanPolling.TimerBeforeCheck(0, TimeSpan.Zero, Production, firstCheck));

        // Later checks keep the documented cadence whatever the first one's wait.
        Assert.Equal(Production, AnaplanPolling.WaitBeforeCheck(1, firstCheck, Production, firstCheck));
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    [InlineData(1.4)]
    [InlineData(2.5)]
    [InlineData(5.0)]
    [InlineData(7.5)]
    public void TimerBeforeCheck_WholeSecondsNeverShorterThanTheBackendHonours(double intervalSeconds)
    {
        TimeSpan interval = TimeSpan.FromSeconds(intervalSeconds);
        for (int check = 0; check < 50; check++)
        {
            TimeSpan elapsed = TimeSpan.FromSeconds(check * 3);
            TimeSpan wait = AnaplanPolling.WaitBeforeCheck(check, elapsed, interval);
            Assert.True(wait >= (check == 0 ? AnaplanPolling.FirstCheckWait : interval), $"check {check}: waits {wait}, less than {interval}");
            if (AnaplanPolling.TimerBeforeCheck(check, elapsed, interval) is not { } timer)
            {
                // No timer: the status activity waits it out, which it does for no more than its longest top-up.
                Assert.True(wait <= AnaplanPolling.LongestTopUp, $"check {check}: a {wait} wait left to the activity");
                continue;
            }

            Assert.Equal(0, timer.Ticks % TimeSpan.TicksPerSecond);
            Assert.True(timer >= AnaplanPolling.ShortestTimer, $"check {check}: a {timer} timer may fire at once");
            Assert.True(AnaplanPolling.ShortestTimer - AnaplanPolling.TimerEarlyFire >= TimeSpan.FromSeconds(1), "the shortest timer may fire before a second");

            // Fired as early as the backend fires timers, the activity has no more than its longest top-up left to wait.
            Assert.InRange(wait - (timer - AnaplanPolling.TimerEarlyFire), TimeSpan.Zero, AnaplanPolling.LongestTopUp);
        }
    }

    [Fact]
    public void TaskOfThreeMinutes_ChecksAfterOneSecond_ThenNoSoonerThanEveryFiveSeconds()
    {
        // Walk a task through the schedule as the orchestration does: each check comes at its moment (the activity waits out
        // what an early timer left).
        var checks = new List<TimeSpan>();
        TimeSpan elapsed = TimeSpan.Zero;
        for (int check = 0; elapsed < TimeSpan.FromMinutes(3); check++)
        {
            elapsed += AnaplanPolling.WaitBeforeCheck(check, elapsed, Production);
            checks.Add(elapsed);
        }

        Assert.Equal(TimeSpan.FromSeconds(1), checks[0]);
        Assert.All(checks.Zip(checks.Skip(1)), pair => Assert.True(pair.Second - pair.First >= Production, $"{pair.First} then {pair.Second}"));
        Assert.Equal(12, checks.Count(c => c < TimeSpan.FromMinutes(1)));
        Assert.InRange(checks.Count, 24, 26);
    }
}
