using System.Text;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.ModelFit;
using Connector.Orchestrations.Tests.ModelFit;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>Reading the file of the budget export action: what is posted, skipped or rejected, line by line.</summary>
public sealed class BudgetExportReaderTests
{
    [Fact]
    public async Task Read_ColumnsInAnyOrderAndCase_AmountsExactToTheCent()
    {
        List<BudgetExportLine> lines = await ReadAsync("""
            amount,PERIOD,Version,cost center,Account
            1234.56,FY2027-P01,Budget,01,600-01
            -5000,FY2027-P02,Budget,02,600-01
            0.01,FY2027-P03,Budget,01,600-01
            99999999999.99,FY2027-P04,Budget,01,600-01
            1.5E3,FY2027-P05,Budget,01,600-01
            """);

        Assert.All(lines, l => Assert.Equal(BudgetAmountKind.Value, l.Kind));
        Assert.Equal([1234.56m, -5000m, 0.01m, 99_999_999_999.99m, 1500m], lines.Select(l => l.Amount));
        BudgetExportLine first = lines[0];
        Assert.Equal(("600-01", "01", "FY2027-P01", "Budget", 2L), (first.Account, first.CostCenter, first.Period, first.Version, first.Line));
    }

    [Fact]
    public async Task Read_BlankAndZeroAmounts_AreSkippedNotRejected()
    {
        List<BudgetExportLine> lines = await ReadAsync("""
            Account,Cost Center,Period,Version,Amount
            600-01,01,FY2027-P01,Budget,
            600-01,01,FY2027-P02,Budget,  
            600-01,01,FY2027-P03,Budget,0
            600-01,01,FY2027-P04,Budget,-0.00
            """);

        Assert.Equal([BudgetAmountKind.Blank, BudgetAmountKind.Blank, BudgetAmountKind.Zero, BudgetAmountKind.Zero], lines.Select(l => l.Kind));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("1e400")]
    [InlineData("1,234.56")]
    [InlineData("$100")]
    [InlineData("12.3.4")]
    public async Task Read_AmountThatIsNotAFiniteNumber_IsRejectedNamingTheLineAndTheField(string amount)
    {
        List<BudgetExportLine> lines = await ReadAsync($"""
            Account,Cost Center,Period,Version,Amount
            600-01,01,FY2027-P01,Budget,10
            600-01,02,FY2027-P01,Budget,"{amount}"
            """);

        Assert.Equal(BudgetAmountKind.Value, lines[0].Kind);
        BudgetExportLine bad = lines[1];
        Assert.Equal(BudgetAmountKind.Invalid, bad.Kind);
        Assert.Equal("Amount", bad.ProblemField);
        Assert.Equal($"amount '{amount}' is not a finite number", bad.Problem);
        Assert.Equal("line 3: 600-01 / 02 / FY2027-P01 / Budget", bad.Record);
    }

    [Fact]
    public async Task Read_QuotedFieldSpanningLines_LaterLinesKeepTheirFileLineNumbers()
    {
        List<BudgetExportLine> lines = await ReadAsync("""
            Account,Cost Center,Period,Version,Amount,Note
            600-01,01,FY2027-P01,Budget,10,"first line
            second line"
            600-01,02,FY2027-P01,Budget,oops,
            """);

        Assert.Equal(2, lines[0].Line);
        Assert.Equal("line 4: 600-01 / 02 / FY2027-P01 / Budget", lines[1].Record);
    }

    [Fact]
    public async Task Read_ShortLine_IsRejectedNamingTheMissingField()
    {
        List<BudgetExportLine> lines = await ReadAsync("""
            Account,Cost Center,Period,Version,Amount
            600-01,01,FY2027-P01
            """);

        BudgetExportLine bad = Assert.Single(lines);
        Assert.Equal(BudgetAmountKind.Invalid, bad.Kind);
        Assert.Equal("Version", bad.ProblemField);
        Assert.Contains("no 'Version' value", bad.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Account,Cost Center,Period,Amount\n600-01,01,FY2027-P01,5\n", "Version", "Version")]
    [InlineData("Account,Cost Centre,Period,Version,Amount\n", "CostCenter", "Cost Center")]
    [InlineData("", "Account", "Account")]
    public async Task Read_ViewWithoutANamedColumn_IsAConfigurationErrorNamingTheSetting(string csv, string setting, string column)
    {
        var ex = await Assert.ThrowsAsync<ConnectorConfigurationException>(() => ReadAsync(csv));
        Assert.Contains($"Budgets:Columns:{setting} is '{column}', which is not a column of the export 'Approved Budget'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_VersionFixedByTheView_EveryLineIsTheRunsVersion_ExtraColumnsIgnored()
    {
        var budgets = new BudgetsFlowOptions();
        budgets.Columns.Version = null;
        List<BudgetExportLine> lines = await ReadAsync(
            """
            Account,Account Name,Cost Center,Period,Amount,Comment
            600-01,Salaries,01,FY2027-P01,10,approved by CFO
            """,
            budgets,
            version: "Forecast");

        BudgetExportLine line = Assert.Single(lines);
        Assert.Equal(("600-01", "01", "FY2027-P01", "Forecast", 10m), (line.Account, line.CostCenter, line.Period, line.Version, line.Amount));
    }

    [Fact]
    public async Task Read_PeriodsAcrossColumns_OneLinePerPeriodColumn_HeaderNamesThePeriod()
    {
        var budgets = new BudgetsFlowOptions { Layout = "PeriodColumns" };
        budgets.Columns.Version = null;
        List<BudgetExportLine> lines = await ReadAsync(
            """
            Account,Cost Center,Notes,FY27 P01,FY27 P02,FY27 P03
            600-01,01,x,100.5,,0
            600-01,02,y,abc,7,8
            """,
            budgets,
            new PeriodCodec(new PeriodSettings("FY{yy} P{pp}"), PeriodCodecTests.Monthly("2027")));

        Assert.Equal(6, lines.Count);
        Assert.Equal(("FY27 P01", 100.5m, BudgetAmountKind.Value), (lines[0].Period, lines[0].Amount, lines[0].Kind));
        Assert.Equal(BudgetAmountKind.Blank, lines[1].Kind);
        Assert.Equal(BudgetAmountKind.Zero, lines[2].Kind);
        BudgetExportLine bad = lines[3];
        Assert.Equal(BudgetAmountKind.Invalid, bad.Kind);
        Assert.Equal("FY27 P01", bad.ProblemField);
        Assert.Equal("line 3, column 'FY27 P01': 600-01 / 02 / FY27 P01 / Budget", bad.Record);
        Assert.Equal(("FY27 P03", 8m), (lines[5].Period, lines[5].Amount));
    }

    [Fact]
    public async Task Read_PeriodsAcrossColumns_NoHeaderIsAPeriodCode_IsAConfigurationErrorShowingTheCodes()
    {
        var budgets = new BudgetsFlowOptions { Layout = "PeriodColumns" };
        var ex = await Assert.ThrowsAsync<ConnectorConfigurationException>(() => ReadAsync(
            "Account,Cost Center,Version,Jan 27,Feb 27\n", budgets, new PeriodCodec(new PeriodSettings("FY{yy} P{pp}"), PeriodCodecTests.Monthly("2027"))));
        Assert.Contains("needs one column per period, headed by its code (codes look like FY27 P01, FY27 P02, FY27 P03, …)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_CombinedAccountCode_NoCostCenterColumn_LinesCarryNone()
    {
        var budgets = new BudgetsFlowOptions();
        budgets.Columns.CostCenter = null;
        budgets.Columns.Account = "GL Account";
        BudgetExportLine line = Assert.Single(await ReadAsync("GL Account,Period,Version,Amount\n600-01-02,FY2027-P01,Budget,5\n", budgets));
        Assert.Equal(("600-01-02", string.Empty), (line.Account, line.CostCenter));
        Assert.Equal("line 2: 600-01-02 / FY2027-P01 / Budget", line.Record);
    }

    private static async Task<List<BudgetExportLine>> ReadAsync(string csv, BudgetsFlowOptions? budgets = null, PeriodCodec? codec = null, string version = "Budget")
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(csv));
        var lines = new List<BudgetExportLine>();
        await foreach (BudgetExportLine line in BudgetExportReader.ReadAsync(stream, budgets ?? new BudgetsFlowOptions(), codec, version))
        {
            lines.Add(line);
        }

        return lines;
    }
}
