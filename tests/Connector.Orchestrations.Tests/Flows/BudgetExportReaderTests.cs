using System.Text;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Budgets;

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
    [InlineData("Account,Cost Center,Period,Amount\n600-01,01,FY2027-P01,5\n", "Version")]
    [InlineData("Account,Cost Centre,Period,Version,Amount\n", "Cost Center")]
    [InlineData("", "Account")]
    public async Task Read_ViewWithoutARequiredColumn_IsAConfigurationErrorNamingIt(string csv, string column)
    {
        var ex = await Assert.ThrowsAsync<ConnectorConfigurationException>(() => ReadAsync(csv));
        Assert.Contains($"no '{column}' column", ex.Message, StringComparison.Ordinal);
        Assert.Contains("the saved view must show Account, Cost Center, Period, Version, Amount", ex.Message, StringComparison.Ordinal);
    }

    private static async Task<List<BudgetExportLine>> ReadAsync(string csv)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(csv));
        var lines = new List<BudgetExportLine>();
        await foreach (BudgetExportLine line in BudgetExportReader.ReadAsync(stream))
        {
            lines.Add(line);
        }

        return lines;
    }
}
