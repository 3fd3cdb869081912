namespace Connector.Agent.Backends.Simulated;

/// <summary>How a simulated company's fiscal years are cut into periods.</summary>
public enum CalendarKind
{
    /// <summary>Twelve calendar months; the fiscal year starts in <see cref="CompanyProfile.FirstMonth"/> and is named by the calendar year it ends in.</summary>
    Monthly,

    /// <summary>Thirteen periods of four weeks (a 4-4-4... calendar), 364 days a year.</summary>
    FourWeek13,
}

/// <summary>A main account of a simulated chart: code, description, and whether it is a balance-sheet account.</summary>
public sealed record MainAccountSpec(string Code, string Description, string AccountType, string AccountGroup, bool BalanceSheet);

/// <summary>
/// The shape of a simulated Sage 100 company: account structure, chart, calendar, AP divisions, batch mode.
/// The three built-in profiles have different account structures so that every consumer parses them defensively.
/// </summary>
public sealed record CompanyProfile
{
    public required string Code { get; init; }

    public required string Name { get; init; }

    /// <summary>Segment lengths and descriptions, segment 1 (main) first.</summary>
    public required IReadOnlyList<(int Length, string Description)> Segments { get; init; }

    public string Separator { get; init; } = "-";

    public required IReadOnlyList<MainAccountSpec> MainAccounts { get; init; }

    /// <summary>Codes and descriptions of segments 2..n; index 0 is segment 2.</summary>
    public required IReadOnlyList<IReadOnlyList<(string Code, string Description)>> SubAccounts { get; init; }

    /// <summary>Sub-account combinations used by balance-sheet accounts (one code per segment 2..n).</summary>
    public required IReadOnlyList<string> BalanceSheetSubCodes { get; init; }

    /// <summary>Formatted accounts created inactive (Status I).</summary>
    public IReadOnlyList<string> InactiveAccounts { get; init; } = [];

    public CalendarKind Calendar { get; init; } = CalendarKind.Monthly;

    /// <summary>First month of the fiscal year for monthly calendars.</summary>
    public int FirstMonth { get; init; } = 1;

    /// <summary>First day of the first fiscal year for 13-period calendars.</summary>
    public DateOnly FourWeekStart { get; init; }

    public IReadOnlyList<int> FiscalYears { get; init; } = [2025, 2026, 2027];

    /// <summary>AP divisions; <c>["00"]</c> when divisions are off.</summary>
    public required IReadOnlyList<(string Code, string Description)> ApDivisions { get; init; }

    public bool BatchEntryEnabled { get; init; } = true;

    public int Seed { get; init; } = 100;

    /// <summary>Gets the three built-in companies.</summary>
    public static IReadOnlyList<CompanyProfile> BuiltIn { get; } = [Abc(), Tst(), Lng()];

    /// <summary>
    /// ABC: <c>Main-Div-Dept</c> = 3+2+2, e.g. <c>600-01-02</c>; monthly calendar years; AP divisions 01 and 02; batches on.
    /// </summary>
    public static CompanyProfile Abc() => new()
    {
        Code = "ABC",
        Name = "ABC Distribution and Service Corp.",
        Segments = [(3, "Main Account"), (2, "Division"), (2, "Department")],
        MainAccounts =
        [
            new("100", "Cash in Bank", "A", "CA", true),
            new("120", "Accounts Receivable", "A", "CA", true),
            new("140", "Inventory", "A", "CA", true),
            new("170", "Equipment", "A", "FA", true),
            new("200", "Accounts Payable", "L", "CL", true),
            new("230", "Accrued Payroll", "L", "CL", true),
            new("300", "Retained Earnings", "C", "EQ", true),
            new("400", "Sales", "I", "IN", false),
            new("410", "Service Revenue", "I", "IN", false),
            new("500", "Cost of Goods Sold", "E", "CS", false),
            new("600", "Salaries and Wages", "E", "EX", false),
            new("610", "Rent Expense", "E", "EX", false),
            new("620", "Utilities", "E", "EX", false),
            new("630", "Travel", "E", "EX", false),
            new("640", "Office Supplies", "E", "EX", false),
            new("650", "Depreciation", "E", "EX", false),
        ],
        SubAccounts =
        [
            [("00", "Corporate"), ("01", "East Division"), ("02", "West Division")],
            [("00", "No Department"), ("01", "Sales"), ("02", "Operations"), ("03", "Administration")],
        ],
        BalanceSheetSubCodes = ["00", "00"],
        InactiveAccounts = ["630-02-03", "640-02-02", "410-02-01"],
        Calendar = CalendarKind.Monthly,
        FirstMonth = 1,
        ApDivisions = [("01", "East"), ("02", "West")],
        BatchEntryEnabled = true,
        Seed = 101,
    };

    /// <summary>
    /// TST: <c>Main-Dept</c> = 4+3, e.g. <c>6000-100</c>; 13 four-week periods; AP divisions off (00); batches off (00000).
    /// </summary>
    public static CompanyProfile Tst() => new()
    {
        Code = "TST",
        Name = "Thirteen Period Test Co.",
        Segments = [(4, "Main Account"), (3, "Department")],
        MainAccounts =
        [
            new("1000", "Cash", "A", "CA", true),
            new("1200", "Accounts Receivable", "A", "CA", true),
            new("2000", "Accounts Payable", "L", "CL", true),
            new("3000", "Owners Equity", "C", "EQ", true),
            new("4000", "Revenue", "I", "IN", false),
            new("5000", "Cost of Sales", "E", "CS", false),
            new("6000", "Salaries", "E", "EX", false),
            new("6100", "Benefits", "E", "EX", false),
            new("6200", "Rent", "E", "EX", false),
            new("6300", "Marketing Programs", "E", "EX", false),
            new("6400", "Software Subscriptions", "E", "EX", false),
        ],
        SubAccounts =
        [
            [("000", "No Department"), ("100", "Sales"), ("200", "Marketing"), ("300", "Engineering"), ("400", "General and Admin")],
        ],
        BalanceSheetSubCodes = ["000"],
        InactiveAccounts = ["6300-300", "6100-200"],
        Calendar = CalendarKind.FourWeek13,
        FourWeekStart = new DateOnly(2024, 12, 29),
        ApDivisions = [("00", "Divisions off")],
        BatchEntryEnabled = false,
        Seed = 202,
    };

    /// <summary>
    /// LNG: <c>Main-Location</c> = 8+3, e.g. <c>40001000-010</c>; fiscal year July-June named by the year it ends;
    /// AP divisions 01-03; batches on.
    /// </summary>
    public static CompanyProfile Lng() => new()
    {
        Code = "LNG",
        Name = "Long Segment Manufacturing Ltd.",
        Segments = [(8, "Main Account"), (3, "Location")],
        MainAccounts =
        [
            new("10001000", "Cash - Operating", "A", "CA", true),
            new("10002000", "Cash - Payroll", "A", "CA", true),
            new("12000000", "Trade Receivables", "A", "CA", true),
            new("20001000", "Trade Payables", "L", "CL", true),
            new("30000000", "Share Capital", "C", "EQ", true),
            new("40001000", "Product Sales", "I", "IN", false),
            new("40002000", "Freight Income", "I", "IN", false),
            new("50001000", "Materials", "E", "CS", false),
            new("60001000", "Wages", "E", "EX", false),
            new("60002000", "Overtime", "E", "EX", false),
            new("70001000", "Rent", "E", "EX", false),
            new("70002000", "Utilities", "E", "EX", false),
        ],
        SubAccounts =
        [
            [("000", "Corporate"), ("010", "Chicago"), ("020", "Dallas"), ("030", "Toronto")],
        ],
        BalanceSheetSubCodes = ["000"],
        InactiveAccounts = ["60002000-030", "40002000-020"],
        Calendar = CalendarKind.Monthly,
        FirstMonth = 7,
        ApDivisions = [("01", "Domestic"), ("02", "Canada"), ("03", "Intercompany")],
        BatchEntryEnabled = true,
        Seed = 303,
    };
}

/// <summary>
/// How much data the generator makes. The default is small (fast tests); <see cref="ForRows"/> sizes a company
/// for benchmarks with millions of period-balance and AP rows.
/// </summary>
public sealed record SimulatedScale
{
    /// <summary>Main accounts generated beyond the profile's chart (each expands to every sub-account combination).</summary>
    public int ExtraMainAccounts { get; init; }

    public int VendorsPerDivision { get; init; } = 6;

    public int InvoicesPerVendor { get; init; } = 10;

    /// <summary>Gets the default: the profile's chart, 6 vendors a division, 10 invoices each.</summary>
    public static SimulatedScale Default { get; } = new();

    /// <summary>Sizes a company for roughly <paramref name="periodBalanceRows"/> balance rows and <paramref name="apInvoices"/> invoices when generated at <paramref name="now"/>.</summary>
    public static SimulatedScale ForRows(CompanyProfile profile, int periodBalanceRows, int apInvoices, DateTime now)
    {
        var calendar = SimulatedCalendar.WithCurrent(SimulatedCalendar.Build(profile), DateOnly.FromDateTime(now));
        int periodsOnFile = calendar.Years.Where(y => string.CompareOrdinal(y.FiscalYear, calendar.CurrentFiscalYear) <= 0)
            .Sum(y => y.FiscalYear == calendar.CurrentFiscalYear ? calendar.CurrentPeriod : y.Periods.Count);
        int combos = profile.SubAccounts.Aggregate(1, (n, seg) => n * Math.Max(1, seg.Count - 1));
        int rowsPerMain = Math.Max(1, combos * periodsOnFile);
        int vendors = Math.Max(1, apInvoices / 10 / profile.ApDivisions.Count);
        return new SimulatedScale
        {
            ExtraMainAccounts = Math.Max(0, periodBalanceRows / rowsPerMain),
            VendorsPerDivision = vendors,
            InvoicesPerVendor = 10,
        };
    }

    /// <summary>
    /// Sizes a company so that its last complete fiscal year before the one holding <paramref name="now"/> has about
    /// <paramref name="periodBalanceRows"/> balance rows (a full-year resync of that many rows), and names that year.
    /// </summary>
    public static (SimulatedScale Scale, string FiscalYear) ForFiscalYear(CompanyProfile profile, int periodBalanceRows, int apInvoices, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var calendar = SimulatedCalendar.WithCurrent(SimulatedCalendar.Build(profile), DateOnly.FromDateTime(now));
        FiscalYearInfo year = calendar.Years.Last(y => string.CompareOrdinal(y.FiscalYear, calendar.CurrentFiscalYear) < 0);
        int perMain = profile.SubAccounts.Aggregate(1, (n, seg) => n * Math.Max(1, seg.Count - 1));
        int chart = profile.MainAccounts.Sum(m => m.BalanceSheet ? 1 : perMain);
        int accounts = (int)Math.Ceiling(periodBalanceRows / (double)year.Periods.Count);
        return (ForRows(profile, 0, apInvoices, now) with { ExtraMainAccounts = Math.Max(0, (int)Math.Ceiling((accounts - chart) / (double)perMain)) }, year.FiscalYear);
    }

    /// <summary>
    /// Sizes a company whose chart stays at about <paramref name="accounts"/> accounts whatever the rows: the rows come
    /// from more fiscal periods instead. The periods are the last ones up to the end of the last complete fiscal year
    /// before the one holding <paramref name="now"/>, as many as <paramref name="periodBalanceRows"/> needs; the profile
    /// comes back with enough earlier fiscal years on file to hold them (the generator writes balances for every year up
    /// to the current period). Each element of <c>Periods</c> is one fiscal year's range, oldest first.
    /// </summary>
    public static (SimulatedScale Scale, CompanyProfile Profile, int Accounts, IReadOnlyList<(string FiscalYear, int FromPeriod, int ToPeriod)> Periods) ForChart(
        CompanyProfile profile, int accounts, int periodBalanceRows, int apInvoices, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(profile);
        int perMain = profile.SubAccounts.Aggregate(1, (n, seg) => n * Math.Max(1, seg.Count - 1));
        int chart = profile.MainAccounts.Sum(m => m.BalanceSheet ? 1 : perMain);
        int extra = Math.Max(0, (int)Math.Ceiling((accounts - chart) / (double)perMain));
        int actual = chart + (extra * perMain);
        int periods = Math.Max(1, (int)Math.Ceiling(periodBalanceRows / (double)actual));

        // Add earlier fiscal years until the complete years before the current one hold the periods.
        CompanyProfile extended = profile;
        while (true)
        {
            var calendar = SimulatedCalendar.WithCurrent(SimulatedCalendar.Build(extended), DateOnly.FromDateTime(now));
            var complete = calendar.Years.Where(y => string.CompareOrdinal(y.FiscalYear, calendar.CurrentFiscalYear) < 0).ToList();
            if (complete.Sum(y => y.Periods.Count) >= periods)
            {
                var ranges = new List<(string, int, int)>();
                int left = periods;
                for (int i = complete.Count - 1; i >= 0 && left > 0; i--)
                {
                    int count = complete[i].Periods.Count;
                    int take = Math.Min(left, count);
                    ranges.Insert(0, (complete[i].FiscalYear, count - take + 1, count));
                    left -= take;
                }

                return (ForRows(profile, 0, apInvoices, now) with { ExtraMainAccounts = extra }, extended, actual, ranges);
            }

            int first = extended.FiscalYears[0];
            extended = extended with
            {
                FiscalYears = [first - 1, .. extended.FiscalYears],
                FourWeekStart = extended.Calendar == CalendarKind.FourWeek13 ? extended.FourWeekStart.AddDays(-364) : extended.FourWeekStart,
            };
        }
    }
}
