using Connector.Agent.Backends.Simulated;
using Connector.Emulators.Anaplan.Model;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Connector.Testing;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>
/// Text a spreadsheet would run as a formula (<c>=cmd|' /C calc'!A0</c>, <c>+SUM(...)</c>, <c>@...</c>, <c>-2+3</c>)
/// never reaches a file a person opens as a formula, nor an Anaplan list whose exports people open in Excel: it is
/// carried with a leading apostrophe. Codes (identifiers) are never altered.
/// </summary>
public sealed class CsvInjectionTests(CsvInjectionTests.Fixture fixture) : IClassFixture<CsvInjectionTests.Fixture>
{
    private static readonly string[] Formulas = ["=cmd|' /C calc'!A0", "+SUM(1+1)*cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3+cmd|' /C calc'!A0"];

    [Fact]
    public async Task FormulaLeadingNames_ReachAnaplanAndTheCsvsNeutralised()
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        EmulatedModel model = fixture.Environment.Anaplan.DefaultModel;
        for (int i = 0; i < Formulas.Length; i++)
        {
            abc.UpsertVendor("01", $"09600{i:D2}", Formulas[i][..Math.Min(30, Formulas[i].Length)], null, null, null, blankTime: false, create: true);
        }

        model.AddListItem("Accounts", "=HYPERLINK(\"http://evil.example\",\"x\")", "only in Anaplan");

        ActualsRunSummary run = await fixture.RunActualsAsync("abc");

        // In Anaplan: the vendor names with a leading apostrophe, the codes as they are.
        Dictionary<string, string> vendors = model.GetListItems("Vendors").ToDictionary(v => v.Code, v => v.Name);
        for (int i = 0; i < Formulas.Length; i++)
        {
            string name = Formulas[i][..Math.Min(30, Formulas[i].Length)];
            Assert.Equal("'" + name, vendors[$"01-09600{i:D2}"]);
        }

        // The list of items only Anaplan has, a CSV for people: the formula is neutralised there too.
        string onlyCsv = await this.ReadBlobAsync(run.Alignment!.AnaplanOnlyBlob!);
        Assert.Contains("'=HYPERLINK(", onlyCsv, StringComparison.Ordinal);
        AssertNoFieldIsAFormula(onlyCsv);
    }

    [Fact]
    public async Task DryRunProposal_VersionFromAnaplanThatLooksLikeAFormula_IsNeutralisedInTheCsv()
    {
        EmulatedModel model = fixture.Environment.Anaplan.DefaultModel;
        model.AddListItem("Versions", "@Plan", "@Plan", new Dictionary<string, string> { ["Approved"] = "true" });
        BudgetSeed.Seed(model, [new("600-01", "01", "FY2027-P02", "@Plan", 321.00m)]);

        BudgetRunSummary dry = await fixture.RunBudgetsAsync("abc", new BudgetRunRequest(Version: "@Plan", DryRun: true));

        Assert.Equal(1, dry.Plan.EntryCount);
        string csv = await this.ReadBlobAsync(dry.Plan.ProposedCsvBlob);
        Assert.Contains(",'@Plan,", csv, StringComparison.Ordinal);
        AssertNoFieldIsAFormula(csv);
    }

    [Theory]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("+SUM(A1:A2)", "'+SUM(A1:A2)")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\t=1", "'\t=1")]
    [InlineData("＝1+1", "'＝1+1")]
    [InlineData("-120.50", "-120.50")]
    [InlineData("+7", "+7")]
    [InlineData("Acme = best", "Acme = best")]
    [InlineData("", "")]
    public void SpreadsheetSafe_NeutralisesFormulas_LeavesNumbersAndTextAlone(string text, string expected)
        => Assert.Equal(expected, SpreadsheetSafe.Text(text));

    private static void AssertNoFieldIsAFormula(string csv)
    {
        foreach (string line in csv.Split(["\r\n", "\n"], StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (string field in line.Split(','))
            {
                string value = field.Trim('"');
                Assert.False(SpreadsheetSafe.IsFormula(value), $"'{value}' in line '{line}' would run as a formula");
            }
        }
    }

    private async Task<string> ReadBlobAsync(string name)
        => (await fixture.Storage.StagingContainer.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToString();

    public sealed class Fixture : ConnectorFlowFixture
    {
        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
        {
            ConnectionOptions abc = environment.Connection("abc", "ABC", "Department");
            abc.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "300-00-00" };
            return [abc];
        }
    }
}
