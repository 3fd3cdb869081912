using Connector.Orchestrations.Flows;
using Connector.Orchestrations.ModelFit;
using Connector.Orchestrations.Sage100;

namespace Connector.Orchestrations.Tests.ModelFit;

/// <summary>Period codes both ways, from the company's calendar: tokens, year basis, the 13th period, collisions.</summary>
public sealed class PeriodCodecTests
{
    [Theory]
    [InlineData("FY{year}-P{period}", "FY2026-P03")] // the shipped model's default
    [InlineData("FY{yy} P{pp}", "FY26 P03")]
    [InlineData("FY{yyyy} P{p}", "FY2026 P3")]
    [InlineData("{mon} {yy}", "Mar 26")]
    [InlineData("{yyyy}-{mm}", "2026-03")]
    public void Code_Tokens_FormatTheFiscalPeriod(string format, string expected)
    {
        var codec = new PeriodCodec(new PeriodSettings(format), Monthly("2026"));
        Assert.Equal(expected, codec.Code("2026", 3));
        Assert.True(codec.TryParse(" " + expected.ToLowerInvariant() + " ", out string year, out int period));
        Assert.Equal(("2026", 3), (year, period));
    }

    [Fact]
    public void Code_FiscalYearJulyToJune_CalendarBasisNamesTheMonthsYear_FiscalBasisTheFiscalYear()
    {
        // FY2026 runs Jul 2025 - Jun 2026 (named by the year it ends), like the LNG company.
        SageFiscalCalendar calendar = Monthly("2026", firstMonth: 7);
        var native = new PeriodCodec(new PeriodSettings("{mon} {yy}", PeriodSettings.Calendar), calendar);
        Assert.Equal("Jul 25", native.Code("2026", 1));
        Assert.Equal("Jun 26", native.Code("2026", 12));
        Assert.True(native.TryParse("Jan 26", out _, out int january));
        Assert.Equal(7, january);

        var fiscal = new PeriodCodec(new PeriodSettings("{mon} {yy}"), calendar);
        Assert.Equal("Jul 26", fiscal.Code("2026", 1));
    }

    [Fact]
    public void Period13_Own_Fold_Skip()
    {
        SageFiscalCalendar thirteen = FourWeeks("2026");
        var own = new PeriodCodec(new PeriodSettings("FY{yy} P{pp}"), thirteen);
        Assert.Equal("FY26 P13", own.Code("2026", 13));

        var ownFormat = new PeriodCodec(new PeriodSettings("FY{yy} P{pp}", Period13: PeriodSettings.Own, Period13Format: "FY{yy} Adj"), thirteen);
        Assert.Equal("FY26 Adj", ownFormat.Code("2026", 13));
        Assert.True(ownFormat.TryParse("FY26 Adj", out _, out int adjustment));
        Assert.Equal(13, adjustment);

        var fold = new PeriodCodec(new PeriodSettings("FY{yy} P{pp}", Period13: PeriodSettings.Fold), thirteen);
        Assert.Equal("FY26 P12", fold.Code("2026", 13));
        Assert.True(fold.TryParse("FY26 P12", out _, out int twelve));
        Assert.Equal(12, twelve); // a budget on the folded code posts to period 12
        Assert.False(fold.TryParse("FY26 P13", out _, out _));
        Assert.Equal([new FiscalPeriodRef("2026", 12), new FiscalPeriodRef("2026", 13)], fold.SharingCells(new FiscalPeriodRef("2026", 13)));
        Assert.Equal([new FiscalPeriodRef("2026", 11)], fold.SharingCells(new FiscalPeriodRef("2026", 11)));

        var skip = new PeriodCodec(new PeriodSettings("FY{yy} P{pp}", Period13: PeriodSettings.Skip), thirteen);
        Assert.Null(skip.Code("2026", 13));
        Assert.False(skip.TryParse("FY26 P13", out _, out _));
    }

    [Fact]
    public void Construct_TwoPeriodsWouldShareACode_IsRefusedNamingTheSettingAndThePeriods()
    {
        // Month names on a 13-period calendar: two four-week periods fall in the same month.
        var ex = Assert.Throws<ConnectorConfigurationException>(() => new PeriodCodec(new PeriodSettings("{mon} {yy}"), FourWeeks("2026")));
        Assert.Contains("PeriodFormat '{mon} {yy}' gives fiscal periods 2026-", ex.Message, StringComparison.Ordinal);
        Assert.Contains("the same code", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("FY{yr}-P{period}", "PeriodFormat", "unknown token '{yr}'")]
    [InlineData("P{period}", "PeriodFormat", "must contain a year")]
    [InlineData("FY{year}", "PeriodFormat", "must contain the period")]
    public void Problem_BadFormat_NamesTheSetting(string format, string setting, string problem)
    {
        (string Setting, string Message)? found = PeriodCodec.Problem(new PeriodSettings(format));
        Assert.Equal(setting, found?.Setting);
        Assert.Contains(problem, found?.Message, StringComparison.Ordinal);
        Assert.Equal("Period13", PeriodCodec.Problem(new PeriodSettings("FY{yy} P{pp}", Period13: "Merge"))?.Setting);
        Assert.Equal("PeriodYear", PeriodCodec.Problem(new PeriodSettings("FY{yy} P{pp}", YearBasis: "Lunar"))?.Setting);
    }

    /// <summary>A monthly fiscal year starting in <paramref name="firstMonth"/>, named by the calendar year it ends in.</summary>
    internal static SageFiscalCalendar Monthly(string year, int firstMonth = 1)
    {
        int y = int.Parse(year, System.Globalization.CultureInfo.InvariantCulture);
        var begin = new DateOnly(firstMonth == 1 ? y : y - 1, firstMonth, 1);
        List<SageFiscalPeriod> periods = [.. Enumerable.Range(1, 12).Select(p => new SageFiscalPeriod(p, begin.AddMonths(p - 1), begin.AddMonths(p).AddDays(-1), true))];
        return new SageFiscalCalendar(year, 1, [new SageFiscalYear(year, periods[0].BeginDate, periods[^1].EndDate, periods)]);
    }

    /// <summary>Thirteen four-week periods from late December, like the TST company.</summary>
    internal static SageFiscalCalendar FourWeeks(string year)
    {
        var begin = new DateOnly(int.Parse(year, System.Globalization.CultureInfo.InvariantCulture) - 1, 12, 28);
        List<SageFiscalPeriod> periods = [.. Enumerable.Range(1, 13).Select(p => new SageFiscalPeriod(p, begin.AddDays(28 * (p - 1)), begin.AddDays((28 * p) - 1), true))];
        return new SageFiscalCalendar(year, 1, [new SageFiscalYear(year, periods[0].BeginDate, periods[^1].EndDate, periods)]);
    }
}
