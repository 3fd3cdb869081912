using System.Diagnostics;
using System.Security.Cryptography;
using Connector.Agent.Backends;
using Connector.Agent.Backends.Simulated;
using Connector.Agent.Sage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Connector.Agent.Tests;

/// <summary>The simulated company keeps Sage's formats and rules, and its generator is deterministic and fast.</summary>
public sealed class SimulatedCompanyTests : IDisposable
{
    private static readonly DateTime Now = new(2026, 11, 26, 10, 0, 0);
    private readonly string dir = Path.Combine(Path.GetTempPath(), "sage-sim-tests", Guid.NewGuid().ToString("N"));

    public SimulatedCompanyTests() => Directory.CreateDirectory(this.dir);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(this.dir, recursive: true);
    }

    private string Generate(CompanyProfile profile, SimulatedScale? scale = null, string? name = null)
    {
        string path = Path.Combine(this.dir, (name ?? profile.Code) + ".db");
        SimulatedCompanyGenerator.Generate(path, profile, scale ?? SimulatedScale.Default, Now);
        return path;
    }

    private static List<string[]> Query(string path, string sql)
    {
        using var c = new SqliteConnection($"Data Source={path}");
        c.Open();
        using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = sql;
        using SqliteDataReader r = cmd.ExecuteReader();
        var rows = new List<string[]>();
        while (r.Read())
        {
            rows.Add(Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? string.Empty : r.GetString(i)).ToArray());
        }

        return rows;
    }

    [Fact]
    public void Generate_KeepsSageFormats()
    {
        string path = this.Generate(CompanyProfile.Abc());

        var accounts = Query(path, "SELECT AccountKey, Account, RawAccount, AccountDesc, Status FROM GL_Account");
        Assert.All(accounts, a => Assert.Matches("^[0-9]{9}$", a[0]));
        Assert.All(accounts, a => Assert.Equal(50, a[3].Length));
        Assert.All(accounts, a => Assert.Matches("^[0-9]{3}-[0-9]{2}-[0-9]{2}$", a[1]));
        Assert.All(accounts, a => Assert.Equal(a[1].Replace("-", string.Empty, StringComparison.Ordinal), a[2]));
        Assert.Contains(accounts, a => a[4] == "I");
        Assert.All(Query(path, "SELECT VendorNo, VendorName, DateUpdated, TimeUpdated FROM AP_Vendor"), v =>
        {
            Assert.Matches("^[0-9]{7}$", v[0]);
            Assert.Equal(30, v[1].Length);
            Assert.Matches("^20[0-9]{6}$", v[2]);
            Assert.Matches(@"^$|^[0-9]{1,2}(\.[0-9]{1,5})?$", v[3]);
        });
        Assert.NotEmpty(Query(path, "SELECT 1 FROM AP_InvoiceHistoryHeader WHERE TRIM(TimeUpdated) = ''"));
        Assert.All(Query(path, "SELECT InvoiceDate, InvoiceAmt FROM AP_InvoiceHistoryHeader"), i => Assert.Matches(@"^[0-9]+\.[0-9]{2}$", i[1]));
    }

    [Fact]
    public void Generate_BeginningBalanceOnlyOnPeriodOne_AndNoActivityAfterCurrentPeriod()
    {
        string path = this.Generate(CompanyProfile.Abc());

        Assert.Empty(Query(path, "SELECT 1 FROM GL_PeriodPostingHistory WHERE FiscalPeriod <> '01' AND BeginningBalance <> '0.00'"));
        Assert.NotEmpty(Query(path, "SELECT 1 FROM GL_PeriodPostingHistory WHERE FiscalPeriod = '01' AND BeginningBalance <> '0.00'"));
        Assert.Equal("11", Query(path, "SELECT MAX(FiscalPeriod) FROM GL_PeriodPostingHistory WHERE FiscalYear = '2026'")[0][0]);
        Assert.Empty(Query(path, "SELECT 1 FROM GL_PeriodPostingHistory WHERE FiscalYear = '2027'"));
        Assert.Equal(["2025", "2026", "2027"], Query(path, "SELECT FiscalYear FROM GL_FiscalYear ORDER BY 1").Select(r => r[0]));
    }

    [Fact]
    public void Generate_BalanceSheetCarriesEndingBalanceIntoNextYear()
    {
        string path = this.Generate(CompanyProfile.Abc());
        var rows = Query(path, "SELECT FiscalYear, FiscalPeriod, BeginningBalance, DebitAmount, CreditAmount FROM GL_PeriodPostingHistory p JOIN GL_Account a USING (AccountKey) WHERE a.Account = '100-00-00' ORDER BY 1, 2");
        decimal ending2025 = rows.Where(r => r[0] == "2025").Sum(r => decimal.Parse(r[2], System.Globalization.CultureInfo.InvariantCulture) + decimal.Parse(r[3], System.Globalization.CultureInfo.InvariantCulture) - decimal.Parse(r[4], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(ending2025, decimal.Parse(rows.Single(r => r[0] == "2026" && r[1] == "01")[2], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Calendar_TstHasThirteenFourWeekPeriods_CurrentFromClock()
    {
        var company = new SimulatedCompany(this.Generate(CompanyProfile.Tst()), new FakeTimeProvider(new DateTimeOffset(Now, TimeSpan.Zero)));
        FiscalCalendarInfo calendar = company.Calendar();

        Assert.All(calendar.Years, y => Assert.Equal(13, y.Periods.Count));
        Assert.All(calendar.Years.SelectMany(y => y.Periods), p => Assert.Equal(27, p.EndDate.DayNumber - p.BeginDate.DayNumber));
        Assert.Equal(("2026", 12), (calendar.CurrentFiscalYear, calendar.CurrentPeriod));
        Assert.False(calendar.IsOpen("2026", 11));
        Assert.True(calendar.IsOpen("2027", 1));
    }

    [Fact]
    public void Calendar_LngYearRunsJulyToJuneNamedByEndYear()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(Now, TimeSpan.Zero));
        var company = new SimulatedCompany(this.Generate(CompanyProfile.Lng()), clock);

        Assert.Equal(("2027", 5), (company.Calendar().CurrentFiscalYear, company.Calendar().CurrentPeriod));
        Assert.Equal(new DateOnly(2026, 7, 1), company.Calendar().Years.Single(y => y.FiscalYear == "2027").BeginDate);
        clock.Advance(TimeSpan.FromDays(40));
        Assert.Equal(("2027", 7), (company.Calendar().CurrentFiscalYear, company.Calendar().CurrentPeriod));
    }

    [Fact]
    public void Generate_SameSeedSameData_DifferentCompaniesDifferentData()
    {
        static string Hash(string path) => Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join("\n",
            Query(path, "SELECT * FROM GL_PeriodPostingHistory ORDER BY 1, 2, 3").Concat(Query(path, "SELECT * FROM AP_InvoiceHistoryHeader ORDER BY 1, 2, 3")).Select(r => string.Join("|", r))))));

        string a = Hash(this.Generate(CompanyProfile.Lng(), name: "a"));
        string b = Hash(this.Generate(CompanyProfile.Lng(), name: "b"));
        string c = Hash(this.Generate(CompanyProfile.Lng() with { Seed = 999 }, name: "c"));

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Generate_ScalesToRequestedRowsInBulk()
    {
        CompanyProfile lng = CompanyProfile.Lng();
        var watch = Stopwatch.StartNew();
        var (balances, invoices) = SimulatedCompanyGenerator.Generate(Path.Combine(this.dir, "big.db"), lng, SimulatedScale.ForRows(lng, 150_000, 30_000, Now), Now);
        watch.Stop();

        Assert.InRange(balances, 140_000, 170_000);
        Assert.InRange(invoices, 29_000, 31_000);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
    }

    /// <summary>
    /// A fixed chart holds more rows by more periods: the chart stays at the accounts asked for, earlier fiscal years come
    /// on file, and the periods named (the last ones up to the end of the last complete year, one range per year) hold
    /// the rows, which the company's own file confirms.
    /// </summary>
    [Fact]
    public void ForChart_KeepsTheChart_AndTheNamedPeriodsHoldTheRows_AcrossYearEnds()
    {
        CompanyProfile lng = CompanyProfile.Lng();
        var (scale, profile, accounts, periods) = SimulatedScale.ForChart(lng, 200, 9_000, apInvoices: 300, Now);
        string path = Generate(profile, scale);
        var company = new SimulatedCompany(path, new FakeTimeProvider(new DateTimeOffset(Now, TimeSpan.Zero)));

        Assert.InRange(accounts, 200, 202);
        Assert.Equal((long)accounts, company.Count("GL_Account"));
        // 45 periods of a July-June year named by its end, FY2027 current on 26 November 2026: FY2023 periods 4-12 to FY2026.
        Assert.Equal(new[] { ("2023", 4, 12), ("2024", 1, 12), ("2025", 1, 12), ("2026", 1, 12) }, periods);
        Assert.Equal(2023, profile.FiscalYears[0]);
        Assert.Equal((int)Math.Ceiling(9_000d / accounts), periods.Sum(p => p.ToPeriod - p.FromPeriod + 1));
        long rows = periods.Sum(p => (long)company.GetPeriodBalances(p.FiscalYear, p.FromPeriod, p.ToPeriod, null, int.MaxValue).Count);
        Assert.Equal((long)accounts * periods.Sum(p => p.ToPeriod - p.FromPeriod + 1), rows);
        Assert.InRange(rows, 9_000, 9_000 + accounts);
    }

    [Fact]
    public void SageTimestamp_IncludesRowsFromTheWatermarkOnAndBlankTimesOnItsDay()
    {
        var since = new SageTimestamp(new DateTime(2026, 11, 26, 15, 30, 30));
        Assert.True(since.Includes("20261126", SageFormats.ToDecimalHours(new TimeSpan(15, 30, 30))));
        Assert.False(since.Includes("20261126", "15.5"));
        Assert.True(since.Includes("20261126", string.Empty));
        Assert.False(since.Includes("20261125", string.Empty));
        Assert.True(since.Includes("20261127", "0.1"));
        Assert.Equal(new TimeSpan(15, 30, 0), SageFormats.ParseDecimalHours("15.5"));
    }
}
