namespace Connector.Agent.Backends.Simulated;

/// <summary>Builds a simulated company's fiscal years from its profile.</summary>
internal static class SimulatedCalendar
{
    public static IReadOnlyList<FiscalYearInfo> Build(CompanyProfile profile)
    {
        var years = new List<FiscalYearInfo>();
        for (int i = 0; i < profile.FiscalYears.Count; i++)
        {
            int year = profile.FiscalYears[i];
            var periods = new List<FiscalPeriodInfo>();
            if (profile.Calendar == CalendarKind.FourWeek13)
            {
                DateOnly begin = profile.FourWeekStart.AddDays(364 * (year - profile.FiscalYears[0]));
                for (int p = 1; p <= 13; p++)
                {
                    DateOnly start = begin.AddDays(28 * (p - 1));
                    periods.Add(new FiscalPeriodInfo(p, start, start.AddDays(27)));
                }
            }
            else
            {
                // Named by the calendar year the fiscal year ends in.
                DateOnly begin = profile.FirstMonth == 1 ? new DateOnly(year, 1, 1) : new DateOnly(year - 1, profile.FirstMonth, 1);
                for (int p = 1; p <= 12; p++)
                {
                    DateOnly start = begin.AddMonths(p - 1);
                    periods.Add(new FiscalPeriodInfo(p, start, start.AddMonths(1).AddDays(-1)));
                }
            }

            years.Add(new FiscalYearInfo(year.ToString(System.Globalization.CultureInfo.InvariantCulture), periods[0].BeginDate, periods[^1].EndDate, periods));
        }

        return years;
    }

    /// <summary>The current period for <paramref name="today"/>: the period containing it, clamped to the calendar's ends.</summary>
    public static FiscalCalendarInfo WithCurrent(IReadOnlyList<FiscalYearInfo> years, DateOnly today)
    {
        var probe = new FiscalCalendarInfo(years, years[0].FiscalYear, 1);
        (string FiscalYear, int Period)? located = probe.Locate(today);
        if (located is { } l)
        {
            return probe with { CurrentFiscalYear = l.FiscalYear, CurrentPeriod = l.Period };
        }

        return today < years[0].BeginDate
            ? probe
            : probe with { CurrentFiscalYear = years[^1].FiscalYear, CurrentPeriod = years[^1].Periods.Count };
    }
}
