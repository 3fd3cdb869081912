using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Scheduling;

namespace Connector.Orchestrations.Tests.Configuration;

public sealed class ScheduleEvaluatorTests
{
    [Fact]
    public void DueRuns_EveryTickInTheSameSlot_NamesTheSameRun()
    {
        ConnectorOptions options = ConnectorOptionsValidatorTests.Valid();
        options.Connections[0].Actuals.Schedule = "0 0 2 * * *";
        options.Connections[0].Budgets.Schedule = "0 30 6 * * *";

        DueRun first = Assert.Single(ScheduleEvaluator.DueRuns(options, At("2026-11-26T02:00:00Z"), TimeSpan.FromHours(2)));
        DueRun later = Assert.Single(ScheduleEvaluator.DueRuns(options, At("2026-11-26T02:41:17Z"), TimeSpan.FromHours(2)));

        Assert.Equal("abc-fpa:actuals:20261126T020000Z", first.RunId);
        Assert.Equal(first.RunId, later.RunId);
    }

    [Fact]
    public void DueRuns_AfterTheCatchUpWindow_NothingIsDue()
    {
        ConnectorOptions options = ConnectorOptionsValidatorTests.Valid();
        options.Connections[0].Budgets.Enabled = false;
        Assert.Empty(ScheduleEvaluator.DueRuns(options, At("2026-11-26T04:00:01Z"), TimeSpan.FromHours(2)));
    }

    [Fact]
    public void DueRuns_ScheduleInLocalTime_SlotFollowsTheZone()
    {
        ConnectorOptions options = ConnectorOptionsValidatorTests.Valid();
        options.Connections[0].Budgets.Enabled = false;
        options.Connections[0].Actuals.TimeZone = "America/New_York";

        // 02:00 in New York on 26 Nov 2026 (EST, UTC-5) is 07:00 UTC.
        Assert.Empty(ScheduleEvaluator.DueRuns(options, At("2026-11-26T02:30:00Z"), TimeSpan.FromHours(2)));
        Assert.Equal("abc-fpa:actuals:20261126T070000Z", Assert.Single(ScheduleEvaluator.DueRuns(options, At("2026-11-26T07:05:00Z"), TimeSpan.FromHours(2))).RunId);
    }

    [Fact]
    public void OnDemandRunId_WithRequestKey_IsStable_AndBadKeysAreRefused()
    {
        Assert.Equal("abc-fpa:budgets:req-close-2026-11", ScheduleEvaluator.OnDemandRunId("abc-fpa", "budgets", "close-2026-11", At("2026-11-26T10:00:00Z")));
        Assert.Equal("abc-fpa:actuals:now-20261126T100000123Z", ScheduleEvaluator.OnDemandRunId("abc-fpa", "actuals", null, At("2026-11-26T10:00:00.123Z")));
        Assert.Throws<Connector.Orchestrations.Operations.ConnectorValidationException>(() => ScheduleEvaluator.OnDemandRunId("abc-fpa", "actuals", "has/slash", At("2026-11-26T10:00:00Z")));
    }

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);
}
