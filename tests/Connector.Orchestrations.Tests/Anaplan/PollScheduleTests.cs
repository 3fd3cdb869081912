using Connector.Orchestrations.Flows.Anaplan;

namespace Connector.Orchestrations.Tests.Anaplan;

/// <summary>
/// The durable timers that pace task status checks: a first check soon after the start, then the documented cadence,
/// each timer whole seconds and one second longer than the wait it stands for (the Azure Storage backend fires timers up
/// to a second early, and sub-second ones at once).
/// </summary>
public sealed class PollScheduleTests
{
    private static readonly TimeSpan Production = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData(0, 0, 2)]     // first check: wait 1 s
    [InlineData(1, 2, 6)]     // then every 5 s in the first minute
    [InlineData(5, 59, 6)]
    [InlineData(6, 60, 11)]   // then 10 s
    [InlineData(20, 299, 11)]
    [InlineData(30, 300, 31)] // 30 s after five minutes
    [InlineData(90, 1800, 61)] // 60 s after half an hour
    [InlineData(500, 36_000, 61)]
    public void TimerBeforeCheck_FirstSoonThenDocumentedCadence(int check, int elapsedSeconds, int timerSeconds)
        => Assert.Equal(TimeSpan.FromSeconds(timerSeconds), AnaplanPolling.TimerBeforeCheck(check, TimeSpan.FromSeconds(elapsedSeconds), Production));

    [Theory]
    [InlineData(0.2)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    [InlineData(1.4)]
    [InlineData(5.0)]
    [InlineData(7.5)]
    public void TimerBeforeCheck_WholeSecondsNeverShorterThanTheBackendHonours(double intervalSeconds)
    {
        TimeSpan interval = TimeSpan.FromSeconds(intervalSeconds);
        for (int check = 0; check < 50; check++)
        {
            TimeSpan timer = AnaplanPolling.TimerBeforeCheck(check, TimeSpan.FromSeconds(check * 3), interval);
            Assert.Equal(0, timer.Ticks % TimeSpan.TicksPerSecond);
            Assert.True(timer >= TimeSpan.FromSeconds(2), $"check {check}: a {timer} timer may fire at once");
            Assert.True(timer - AnaplanPolling.TimerEarlyFire >= (check == 0 ? AnaplanPolling.FirstCheckWait : interval), $"check {check}: {timer} may wait less than {interval}");
        }
    }

    [Fact]
    public void TaskOfThreeMinutes_ChecksAfterOneSecond_ThenNoSoonerThanEveryFiveSeconds()
    {
        // Walk a task through the schedule as the orchestration does, assuming each timer waits its shortest (one second early).
        var checks = new List<TimeSpan>();
        TimeSpan elapsed = TimeSpan.Zero;
        for (int check = 0; elapsed < TimeSpan.FromMinutes(3); check++)
        {
            elapsed += AnaplanPolling.TimerBeforeCheck(check, elapsed, Production) - AnaplanPolling.TimerEarlyFire;
            checks.Add(elapsed);
        }

        Assert.Equal(TimeSpan.FromSeconds(1), checks[0]);
        Assert.All(checks.Zip(checks.Skip(1)), pair => Assert.True(pair.Second - pair.First >= Production, $"{pair.First} then {pair.Second}"));
        Assert.InRange(checks.Count(c => c < TimeSpan.FromMinutes(1)), 12, 13);
        Assert.InRange(checks.Count, 24, 26);
    }
}
