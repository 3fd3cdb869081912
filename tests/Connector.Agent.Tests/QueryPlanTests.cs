using System.Reflection;
using Connector.Agent.Backends;
using Connector.Agent.Backends.Simulated;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Connector.Agent.Tests;

/// <summary>
/// Every paged read of the simulated company costs the same wherever its cursor is: SQLite's plan (EXPLAIN QUERY PLAN)
/// reaches every table through an index in page order and never sorts what lies after the cursor. A plan, not a
/// timing: the quadratic period-balance query took 166 ms a page at the start of a million rows and 2 ms at the end.
/// </summary>
public sealed class QueryPlanTests(QueryPlanTests.Company fixture) : IClassFixture<QueryPlanTests.Company>
{
    /// <summary>Every query of <see cref="PagedQueries"/>, found by reflection so that a new one cannot go unchecked.</summary>
    public static TheoryData<string> Queries()
    {
        var data = new TheoryData<string>();
        foreach (FieldInfo field in typeof(PagedQueries).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral))
        {
            data.Add(field.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Queries))]
    public void PagedQuery_ReachesEveryTableByIndex_AndNeverSorts(string query)
    {
        string sql = (string)typeof(PagedQueries).GetField(query)!.GetRawConstantValue()!;
        foreach ((string Name, object? Value)[] parameters in ParameterSets(query))
        {
            IReadOnlyList<string> plan = fixture.Sage.ExplainQueryPlan(sql, parameters);
            string shown = $"{query} with {string.Join(", ", parameters.Select(p => $"{p.Name}={p.Value}"))}:\n  {string.Join("\n  ", plan)}";
            Assert.True(plan.Count > 0, shown);
            Assert.DoesNotContain(plan, step => step.Contains("TEMP B-TREE", StringComparison.Ordinal));
            Assert.True(!plan.Any(step => step.StartsWith("SCAN ", StringComparison.Ordinal)), "a table is scanned instead of searched by key; " + shown);
            Assert.True(plan.All(step => !step.StartsWith("SEARCH", StringComparison.Ordinal) || step.Contains(" USING ", StringComparison.Ordinal)), shown);
        }
    }

    /// <summary>
    /// The same plan on a small table (the profile's own chart, a few hundred rows, where SQLite's statistics could favour
    /// a scan) as on a large one, for a whole year and for one period: the chart in key order, each account's periods
    /// sought by the history's primary key, so that a page of one period reads that period's rows, not the year's.
    /// </summary>
    [Theory]
    [InlineData("01", "12")]
    [InlineData("12", "12")]
    [InlineData("05", "06")]
    public void PeriodBalances_DrivenFromTheChart_PeriodsSoughtByKey_OnASmallAndALargeTable(string from, string to)
    {
        foreach (SimulatedCompany sage in new[] { fixture.Small, fixture.Sage })
        {
            IReadOnlyList<string> plan = sage.ExplainQueryPlan(PagedQueries.PeriodBalances,
                ("$year", "2026"), ("$from", from), ("$to", to), ("$afterKey", "000000040"), ("$afterPeriod", "05"), ("$limit", 1001));

            Assert.Equal(
                ["SEARCH a USING PRIMARY KEY (AccountKey>?)", "SEARCH p USING PRIMARY KEY (AccountKey=? AND FiscalYear=? AND FiscalPeriod>? AND FiscalPeriod<?)"],
                plan);
        }
    }

    [Fact]
    public void PeriodBalances_OnePeriodPaged_EqualsThatPeriodOfTheWholeYear()
    {
        SimulatedCompany sage = fixture.Sage;
        var expected = sage.GetPeriodBalances("2026", 1, 12, null, int.MaxValue).Where(r => r.FiscalPeriod == 4).ToList();
        List<PeriodBalanceRow> paged = PageAll(sage, "2026", 4, 4);

        Assert.True(expected.Count > 5_000, $"{expected.Count} rows");
        Assert.Equal(expected, paged);
    }

    [Fact]
    public void PeriodBalances_PagesInKeyOrder_TogetherEqualOneRead()
    {
        SimulatedCompany sage = fixture.Sage;
        var whole = sage.GetPeriodBalances("2026", 3, 7, null, int.MaxValue);
        List<PeriodBalanceRow> paged = PageAll(sage, "2026", 3, 7);

        Assert.True(whole.Count > 20_000, $"{whole.Count} rows");
        Assert.Equal(whole, paged);
        Assert.All(paged, r => Assert.InRange(r.FiscalPeriod, 3, 7));
        Assert.Equal(paged.OrderBy(r => r.AccountKey, StringComparer.Ordinal).ThenBy(r => r.FiscalPeriod), paged);
    }

    /// <summary>Every page of a pull, 997 rows a page, each continuing from the last row of the one before.</summary>
    private static List<PeriodBalanceRow> PageAll(SimulatedCompany sage, string year, int from, int to)
    {
        var paged = new List<PeriodBalanceRow>();
        (string, int)? after = null;
        while (true)
        {
            var page = sage.GetPeriodBalances(year, from, to, after, 997);
            paged.AddRange(page);
            if (page.Count < 997)
            {
                return paged;
            }

            after = (page[^1].AccountKey, page[^1].FiscalPeriod);
        }
    }

    /// <summary>Representative parameters: a first page and a page from the middle (with a since when the query has one).</summary>
    private static (string Name, object? Value)[][] ParameterSets(string query)
    {
        (string, object?)[] since = [("$all", 0), ("$sinceDate", "20261101"), ("$sinceHours", 9.5)];
        (string, object?)[] all = [("$all", 1), ("$sinceDate", string.Empty), ("$sinceHours", 0d)];
        return query switch
        {
            nameof(PagedQueries.Accounts) => [[("$after", string.Empty), ("$limit", 1001)], [("$after", "000004000"), ("$limit", 1001)]],
            nameof(PagedQueries.SubAccounts) =>
            [
                [("$segment", string.Empty), ("$afterSeg", string.Empty), ("$afterCode", string.Empty), ("$limit", 1001)],
                [("$segment", "02"), ("$afterSeg", "02"), ("$afterCode", "010"), ("$limit", 1001)],
            ],
            nameof(PagedQueries.PeriodBalances) =>
            [
                [("$year", "2026"), ("$from", "01"), ("$to", "12"), ("$afterKey", string.Empty), ("$afterPeriod", string.Empty), ("$limit", 1001)],
                [("$year", "2026"), ("$from", "03"), ("$to", "07"), ("$afterKey", "000004000"), ("$afterPeriod", "05"), ("$limit", 1001)],
            ],
            nameof(PagedQueries.Vendors) =>
            [
                [("$afterDiv", string.Empty), ("$afterVendor", string.Empty), ("$limit", 1001), .. all],
                [("$afterDiv", "02"), ("$afterVendor", "0000100"), ("$limit", 1001), .. since],
            ],
            nameof(PagedQueries.InvoiceVendors) =>
            [
                [("$afterDiv", string.Empty), ("$afterVendor", string.Empty), ("$limit", 1001), .. all],
                [("$afterDiv", "02"), ("$afterVendor", "0000100"), ("$limit", 1001), .. since],
            ],
            nameof(PagedQueries.VendorInvoices) => [[("$d", "01"), ("$v", "0000001"), .. all], [("$d", "02"), ("$v", "0000100"), .. since]],
            _ => throw new InvalidOperationException($"Paged query {query} has no parameters in this test: add them, so that its plan is checked."),
        };
    }

    /// <summary>A company large enough for SQLite's statistics to matter: about 300 k balance rows, 30 k invoices.</summary>
    public sealed class Company : IDisposable
    {
        private readonly string dir = Directory.CreateTempSubdirectory("sage-plan-tests-").FullName;

        public Company()
        {
            var now = new DateTime(2026, 11, 26, 10, 0, 0);
            CompanyProfile lng = CompanyProfile.BuiltIn.Single(p => p.Code == "LNG");
            string path = Path.Combine(this.dir, "LNG.db");
            SimulatedCompanyGenerator.Generate(path, lng, SimulatedScale.ForRows(lng, 300_000, 30_000, now), now);
            this.Sage = new SimulatedCompany(path, new FakeTimeProvider(new DateTimeOffset(now, TimeSpan.Zero)));
            string small = Path.Combine(this.dir, "small", "LNG.db");
            Directory.CreateDirectory(Path.GetDirectoryName(small)!);
            SimulatedCompanyGenerator.Generate(small, lng, SimulatedScale.Default, now);
            this.Small = new SimulatedCompany(small, new FakeTimeProvider(new DateTimeOffset(now, TimeSpan.Zero)));
        }

        /// <summary>Gets the large company (about 300 k balance rows).</summary>
        public SimulatedCompany Sage { get; }

        /// <summary>Gets a small company: the profile's own chart (26 accounts), a few hundred balance rows.</summary>
        public SimulatedCompany Small { get; }

        public void Dispose()
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(this.dir, recursive: true);
        }
    }
}
