using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.Sage100;

namespace Connector.Orchestrations.Tests.Flows;

public sealed class BudgetPlannerTests
{
    private static readonly SageFiscalCalendar Calendar = new(
        "2026",
        11,
        [
            new SageFiscalYear("2026", new DateOnly(2026, 1, 1), new DateOnly(2026, 12, 31), [.. Enumerable.Range(1, 12).Select(p => Period(2026, p))]),
            new SageFiscalYear("2027", new DateOnly(2027, 1, 1), new DateOnly(2027, 12, 31), [.. Enumerable.Range(1, 12).Select(p => Period(2027, p))]),
        ]);

    private static readonly AlignmentSnapshot Snapshot = new()
    {
        Separator = "-",
        SegmentLengths = [3, 2, 2],
        SegmentNames = ["Main Account", "Division", "Department"],
        CostCenterSegment = 3,
        Accounts =
        [
            new("600-01-01", "600-01", "01", true, null, null),
            new("600-01-02", "600-01", "02", true, null, null),
            new("610-02-01", "610-02", "01", true, null, null),
            new("630-02-03", "630-02", "03", true, null, null, Active: false),
            new("300-00-00", "300-00", "00", true, null, null),
            new("300-00-01", "300-00", "01", true, null, null),
        ],
    };

    [Fact]
    public void Build_SameLines_SameExternalIds_ChangedAmount_NewId()
    {
        string Id(decimal amount)
        {
            BudgetPlanner planner = Planner();
            Assert.Null(planner.Add("600-01", "01", "FY2027-P01", "Budget", amount, 2));
            return Assert.Single(planner.Build()).ExternalId;
        }

        Assert.Equal(Id(100.00m), Id(100.00m));
        Assert.NotEqual(Id(100.00m), Id(100.01m));
        Assert.Matches("^ANP-[0-9A-F]{32}$", Id(1m));
    }

    [Fact]
    public void Build_NegativeAmount_IsACredit_AndTheOffsetBalancesTheEntry()
    {
        BudgetPlanner planner = Planner("300-00");
        Assert.Null(planner.Add("600-01", "01", "FY2027-P02", "Budget", 250.50m, 2));
        Assert.Null(planner.Add("610-02", "01", "FY2027-P02", "Budget", -1000m, 3));
        PlannedEntry entry = Assert.Single(planner.Build());

        Assert.Equal(entry.Debit, entry.Credit);
        Assert.Equal(new DateOnly(2027, 2, 28), entry.PostingDate);
        PlannedLine offset = entry.Lines.Single(l => l.SourceCell.Length == 0);
        Assert.Equal(("300-00-01", 749.50m, 0m), (offset.Account, offset.Debit, offset.Credit)); // offset takes the entry's cost centre
    }

    [Fact]
    public void Add_SameCellTwice_NeitherLineIsPlanned_BothAreNamed()
    {
        BudgetPlanner planner = Planner();
        Assert.Null(planner.Add("600-01", "01", "FY2027-P02", "Budget", 100m, 2));
        Assert.Null(planner.Add("600-01", "02", "FY2027-P02", "Budget", 40m, 3));

        (string Field, string Reason)? again = planner.Add("600-01", "01", "FY2027-P02", "Budget", 100m, 7);

        Assert.Equal("Account", again?.Field);
        Assert.Contains("twice (lines 2 and 7); neither is posted", again?.Reason, StringComparison.Ordinal);
        (string record, string field, string reason) = Assert.Single(planner.Retracted);
        Assert.Equal(("line 2: 600-01 / 01 / FY2027-P02 / Budget", "Account"), (record, field));
        Assert.Contains("again at line 7", reason, StringComparison.Ordinal);
        PlannedEntry only = Assert.Single(planner.Build());
        Assert.Equal(["600-01-02"], only.Lines.Where(l => l.SourceCell.Length > 0).Select(l => l.Account));
    }

    [Theory]
    [InlineData("600-01", "01", "FY2031-P01", "Period", "period 'FY2031-P01' is outside the company's fiscal calendar (2026: 12 periods, 2027: 12 periods")]
    [InlineData("600-01", "01", "fy2031-p13", "Period", "period 'fy2031-p13' is outside the company's fiscal calendar")]
    [InlineData("600-01", "01", "2027/01", "Period", "period '2027/01' does not have the form of PeriodFormat 'FY{year}-P{period}' (codes look like FY2026-P01, FY2026-P02, FY2026-P03, …)")]
    [InlineData("600-01", "01", "FY27-P01", "Period", "does not have the form of PeriodFormat")]
    [InlineData("699-01", "01", "FY2027-P01", "Account", "account '699-01' has no Sage account")]
    [InlineData("600-01", "03", "FY2027-P01", "Cost Center", "no Sage account combines account '600-01' with cost centre '03'")]
    [InlineData("630-02", "03", "FY2027-P01", "Account", "Sage account 630-02-03 is inactive")]
    public void Add_LineThatCannotBePosted_IsRejectedNamingTheField(string account, string costCenter, string period, string field, string reason)
    {
        (string Field, string Reason)? rejected = Planner().Add(account, costCenter, period, "Budget", 10m, 7);
        Assert.Equal(field, rejected?.Field);
        Assert.Contains(reason, rejected?.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.005", "more than two decimal places")]
    [InlineData("0.004", "more than two decimal places")]
    [InlineData("100000000000000.00", "more than Sage 100 stores in an amount (99,999,999,999,999.99)")]
    [InlineData("-100000000000000.00", "more than Sage 100 stores in an amount")]
    public void Add_AmountSageCannotStore_IsRefusedNotRounded(string amount, string reason)
    {
        BudgetPlanner planner = Planner();
        (string Field, string Reason)? rejected = planner.Add("600-01", "01", "FY2027-P01", "Budget", decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture), 2);
        Assert.Equal("Amount", rejected?.Field);
        Assert.Contains(reason, rejected?.Reason, StringComparison.Ordinal);
        Assert.Empty(planner.Build());
    }

    [Fact]
    public void Add_LargestAmountSageStores_IsTakenToTheCent()
    {
        BudgetPlanner planner = Planner();
        Assert.Null(planner.Add("600-01", "01", "FY2027-P01", "Budget", 99_999_999_999_999.99m, 2));
        Assert.Equal(99_999_999_999_999.99m, Assert.Single(planner.Build()).Lines[0].Debit);
    }

    [Fact]
    public void Build_GroupingVersionPeriod_MixesCostCentres_AndNeedsAFullOffsetAccount()
    {
        BudgetPlanner mixed = Planner("300-00", BudgetPlanner.Groupings.VersionPeriod);
        mixed.Add("600-01", "01", "FY2027-P01", "Budget", 1m, 2);
        mixed.Add("600-01", "02", "FY2027-P01", "Budget", 2m, 3);
        var ex = Assert.Throws<Connector.Orchestrations.Flows.ConnectorConfigurationException>(() => mixed.Build());
        Assert.Contains("mixes cost centres", ex.Message, StringComparison.Ordinal);

        BudgetPlanner full = Planner("300-00-00", BudgetPlanner.Groupings.VersionPeriod);
        full.Add("600-01", "01", "FY2027-P01", "Budget", 1m, 2);
        full.Add("600-01", "02", "FY2027-P01", "Budget", 2m, 3);
        PlannedEntry entry = Assert.Single(full.Build());
        Assert.Equal(3, entry.Lines.Count);
        Assert.Equal(3m, entry.Credit);
    }

    [Fact]
    public void Add_CombinedAccountCode_WithoutCostCenter_PostsToTheSageAccountItNames_OffsetTakesItsCostCentre()
    {
        // AccountFormat {account}-{costcenter}: the account item is one code, the view shows no cost-centre column.
        var combined = new AlignmentSnapshot
        {
            Separator = "-",
            SegmentLengths = [3, 2, 2],
            SegmentNames = ["Main Account", "Division", "Department"],
            CostCenterSegment = 3,
            Accounts =
            [
                new("600-01-02", "600-01-02", "02", true, null, null),
                new("300-00-02", "300-00-02", "02", true, null, null),
            ],
        };
        var planner = new BudgetPlanner("abc", new Connector.Orchestrations.ModelFit.PeriodCodec(new("FY{year}-P{period}"), Calendar), BudgetPlanner.Groupings.VersionPeriodCostCenter, "GJ", "300-00", combined, Calendar);

        Assert.Null(planner.Add("600-01-02", string.Empty, "FY2027-P03", "Budget", 75.25m, 2));
        Assert.Equal("Account", planner.Add("600-01-09", string.Empty, "FY2027-P03", "Budget", 1m, 3)?.Field);

        PlannedEntry entry = Assert.Single(planner.Build());
        Assert.Equal("Budget|FY2027-P03|costcenter=02", entry.GroupKey);
        Assert.Equal([("600-01-02", 75.25m, 0m), ("300-00-02", 0m, 75.25m)], entry.Lines.Select(l => (l.Account, l.Debit, l.Credit)));
    }

    private static BudgetPlanner Planner(string offset = "300-00-00", string grouping = BudgetPlanner.Groupings.VersionPeriodCostCenter)
        => new("abc", new Connector.Orchestrations.ModelFit.PeriodCodec(new("FY{year}-P{period}"), Calendar), grouping, "GJ", offset, Snapshot, Calendar);

    private static SageFiscalPeriod Period(int year, int month)
        => new(month, new DateOnly(year, month, 1), new DateOnly(year, month, DateTime.DaysInMonth(year, month)), true);
}
