using System.Globalization;
using Connector.Agent.Backends;
using Connector.Agent.Backends.Simulated;
using Connector.Emulators.Anaplan;
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
/// Three Anaplan models built by three different model builders, each fitted by configuration only, end to end against the
/// simulated companies, cell for cell: the shipped FP&amp;A model (no new setting at all); a simple model (<c>Account, Cost
/// Center, Period, Amount</c> with <c>FY26 P01</c> codes, AP by vendor × cost centre from the invoices' GL distribution,
/// list imports <c>Code,Name</c>, no list exports, a budget view with the version fixed and periods across columns); and
/// a native-time model (<c>Jan 26</c> months of a July–June fiscal year, one combined account code, fixed-value columns).
/// </summary>
public sealed class ModelFitTests(ModelFitTests.Fixture fixture) : IClassFixture<ModelFitTests.Fixture>
{
    internal const string SimpleModel = "5B9C0E7A1D2F4E3BA6C8D0F1E2A3B4C5";
    internal const string NativeModel = "C3D4E5F60718293A4B5C6D7E8F901A2B";

    [Fact]
    public async Task ShippedModel_NoNewSettings_EveryCellAsSageHoldsIt()
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        ActualsRunSummary run = await fixture.RunActualsAsync("abc-fpa");

        Assert.Equal(RunStatuses.Completed, run.Status);
        Assert.Equal(["FY2026-P10", "FY2026-P11"], run.Periods);
        EmulatedModel shipped = fixture.Environment.Anaplan.DefaultModel;
        Assert.Equal(
            [$"accounts: list 'Accounts' ({shipped.GetListItems("Accounts").Count} item(s))", "cost centres: list 'Cost Centers' (4 item(s))"],
            run.Alignment?.ReadThrough); // read through the list API: the model has list exports, but no setting names them
        SimulatedTruth.AssertSameCells(SimulatedTruth.GlCells(abc, '-', 3, [("2026", 10), ("2026", 11)]), SimulatedTruth.ModelGl(fixture.Environment.Anaplan.DefaultModel, run.Periods));
        SimulatedTruth.AssertSameCells(SimulatedTruth.ApCells(abc), SimulatedTruth.ModelAp(fixture.Environment.Anaplan.DefaultModel));
    }

    [Fact]
    public async Task SimpleModel_ByConfigurationOnly_GlAndApByCostCentreCellForCell_ThenTheBudgetGridPostsBack()
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        EmulatedModel model = fixture.Environment.Anaplan.State.Model(SimpleModel);
        static string Code(string year, int period) => $"FY{year[2..]} P{period:D2}";

        ActualsRunSummary run = await fixture.RunActualsAsync("abc-simple");

        // Everything the model asked for, read back and reconciled through its own read-back exports (Amount only).
        Assert.Equal(RunStatuses.Completed, run.Status);
        Assert.Equal(["FY26 P10", "FY26 P11"], run.Periods);
        Assert.Equal(ReconciliationStatuses.Reconciled, run.Datasets.Single(d => d.Dataset == Datasets.GlActuals).Reconciliation?.Status);
        Assert.Equal(ReconciliationStatuses.Reconciled, run.Datasets.Single(d => d.Dataset == Datasets.ApActuals).Reconciliation?.Status);

        var gl = SimulatedTruth.GlNet(abc, '-', 3, [("2026", 10), ("2026", 11)], Code, (account, _, _) => account);
        SimulatedTruth.AssertSameCells(
            gl.ToDictionary(c => $"{c.Key.Account}|{c.Key.CostCenter}|{c.Key.Period}", c => c.Value),
            SimulatedTruth.ModelCells(model, "GL", "Amount"));

        var ap = SimulatedTruth.ApByCostCenter(abc, '-', 3, Code);
        Assert.Contains(ap.Keys, k => k.CostCenter != ap.Keys.First().CostCenter); // the distribution really spans cost centres
        SimulatedTruth.AssertSameCells(
            ap.ToDictionary(c => $"{c.Key.Vendor}|{c.Key.CostCenter}|{c.Key.Period}", c => c.Value.Amount),
            SimulatedTruth.ModelCells(model, "AP", "Amount"));
        Assert.Equal(
            SimulatedTruth.Vendors(abc).OrderBy(v => v.Key),
            model.GetListItems("Vendors").Select(i => KeyValuePair.Create(i.Code, i.Name)).OrderBy(v => v.Key));
        Assert.Empty(model.Violations);

        // The budget view: version fixed by its page selector, periods across columns, an extra name column ignored.
        BudgetSeed.Cell[] budget =
        [
            new("600-01", "01", "FY26 P12", "Budget", 1234.56m),
            new("600-01", "02", "FY26 P12", "Budget", 2000.10m),
            new("610-02", "01", "FY27 P01", "Budget", 99_999.99m),
            new("400-01", "01", "FY27 P01", "Budget", -5_000.00m),
            new("620-02", "03", "FY27 P02", "Budget", 410.33m),
            new("620-02", "03", "FY27 P02", "Forecast", 777.77m), // another page of the view: not exported
            new("999-99", "01", "FY26 P12", "Budget", 12.00m),    // only in Anaplan: rejected, naming the line and the column
        ];
        BudgetSeed.Seed(model, budget);
        BudgetRunSummary posted = await fixture.RunBudgetsAsync("abc-simple", new BudgetRunRequest());

        Assert.Equal(RunStatuses.CompletedWithRejections, posted.Status);
        Assert.Equal(1, posted.Plan.LinesRejected);
        RecordAudit rejected = Assert.Single(await fixture.Audit.GetRecordsAsync(posted.RunId, Datasets.Budget).ToListAsync());
        Assert.Matches(@"^line \d+, column 'FY26 P12': 999-99 / 01 / FY26 P12 / Budget$", rejected.Record);
        Assert.Contains("account '999-99' has no Sage account", rejected.Reason, StringComparison.Ordinal);
        Assert.Equal(
        [
            "2026-12 300-00-00 0.00 1234.56",
            "2026-12 300-00-00 0.00 2000.10",
            "2026-12 600-01-01 1234.56 0.00",
            "2026-12 600-01-02 2000.10 0.00",
            "2027-01 300-00-00 0.00 94999.99",
            "2027-01 400-01-01 0.00 5000.00",
            "2027-01 610-02-01 99999.99 0.00",
            "2027-02 300-00-00 0.00 410.33",
            "2027-02 620-02-03 410.33 0.00",
        ], Lines(BudgetSeed.Posted(abc)));
    }

    [Fact]
    public async Task NativeTimeModel_CombinedAccountCode_MonthsOfAJulyYear_FixedColumns_CellForCell_ThenTheBudgetPostsBack()
    {
        SimulatedCompany lng = fixture.Environment.Sage.Company("LNG");
        EmulatedModel model = fixture.Environment.Anaplan.State.Model(NativeModel);
        Func<string, int, string> month = SimulatedTruth.NativeMonth(lng);

        ActualsRunSummary run = await fixture.RunActualsAsync("lng-native");

        // LNG's fiscal 2027 runs July 2026 to June 2027: its periods 4 and 5 are October and November 2026.
        Assert.Equal(RunStatuses.Completed, run.Status);
        Assert.Equal(["Oct 26", "Nov 26"], run.Periods);
        Assert.DoesNotContain(run.Datasets, d => d.Dataset == Datasets.CostCenters); // the model has no cost-centre list
        Assert.Contains(model.GetListItems("GL Accounts"), i => i.Code == "60001000-010");

        var gl = SimulatedTruth.GlNet(lng, '-', 2, [("2027", 4), ("2027", 5)], month, (account, costCenter, _) => $"{account}-{costCenter}", keepCostCenter: false);
        SimulatedTruth.AssertSameCells(
            gl.ToDictionary(c => $"{c.Key.Account}|{c.Key.Period}|Actual", c => c.Value),
            SimulatedTruth.ModelCells(model, "GL Actuals", "Amount"));

        var ap = SimulatedTruth.ApCells(lng, month);
        SimulatedTruth.AssertSameCells(ap.ToDictionary(c => $"{c.Key.Vendor}|{c.Key.Period}", c => c.Value.Amount), SimulatedTruth.ModelCells(model, "AP Spend", "Spend"));
        SimulatedTruth.AssertSameCells(ap.ToDictionary(c => $"{c.Key.Vendor}|{c.Key.Period}", c => (decimal)c.Value.Count), SimulatedTruth.ModelCells(model, "AP Spend", "Invoices"));
        Assert.All(model.GetCells("AP Spend").Where(c => c.LineItem == "Source"), c => Assert.Equal("Sage 100", c.Value));

        // The budget view shows the version and one combined account code; the cost centre comes from the account.
        model.SetCell("Budget", ["60001000-010", "Nov 26", "Budget"], "Amount", 500.00);
        model.SetCell("Budget", ["40001000-010", "Nov 26", "Budget"], "Amount", -800.00);
        model.SetCell("Budget", ["70001000-020", "Dec 26", "Budget"], "Amount", 1200.50);
        model.SetCell("Budget", ["60001000-010", "Nov 26", "Forecast"], "Amount", 1.00); // not approved
        model.SetVersionApproved("Budget");
        BudgetRunSummary posted = await fixture.RunBudgetsAsync("lng-native", new BudgetRunRequest());

        Assert.Equal(RunStatuses.Completed, posted.Status);
        Assert.Equal(
        [
            "2027-05 30000000-000 300.00 0.00",
            "2027-05 40001000-010 0.00 800.00",
            "2027-05 60001000-010 500.00 0.00",
            "2027-06 30000000-000 0.00 1200.50",
            "2027-06 70001000-020 1200.50 0.00",
        ], Lines(BudgetSeed.Posted(lng)));
    }

    private static List<string> Lines(IEnumerable<JournalEntryInfo> entries)
        => [.. entries.SelectMany(e => e.Lines.Select(l => $"{e.FiscalYear}-{e.FiscalPeriod:D2} {l.Account.Trim()} {l.Debit.ToString("0.00", CultureInfo.InvariantCulture)} {l.Credit.ToString("0.00", CultureInfo.InvariantCulture)}")).Order(StringComparer.Ordinal)];

    /// <summary>The simple model's connection: every choice its builder made is a setting.</summary>
    internal static ConnectionOptions Simple(LocalEnvironment environment, string id = "abc-simple")
    {
        ConnectionOptions c = environment.Connection(id, "ABC", "Department");
        c.Anaplan.ModelId = SimpleModel;
        c.PeriodFormat = "FY{yy} P{pp}";
        c.Actuals.Imports = new ActualsImports { Accounts = "Load Accounts", CostCenters = "Load Cost Centers", Vendors = "Load Vendors", GlActuals = "Load GL", ApActuals = "Load AP" };
        c.Actuals.ReadBack = new ReadBackOptions
        {
            GlExport = "GL Read-back",
            ApExport = "AP Read-back",
            GlColumns = { Debit = null, Credit = null, Net = "Amount" },
            ApColumns = { InvoiceAmount = "Amount", InvoiceCount = null },
        };
        c.Budgets = new BudgetsFlowOptions
        {
            Enabled = true,
            Export = "Budget by Period",
            Layout = "PeriodColumns",
            Columns = { Version = null, Period = null, Amount = null },
            Version = "Budget",
            OffsetAccount = "300-00-00",
        };
        return c;
    }

    /// <summary>The native-time model's connection (LNG: Main-Location, fiscal year July to June).</summary>
    internal static ConnectionOptions Native(LocalEnvironment environment)
    {
        ConnectionOptions c = environment.Connection("lng-native", "LNG", "Location");
        c.Anaplan.ModelId = NativeModel;
        c.PeriodFormat = "{mon} {yy}";
        c.PeriodYear = "Calendar";
        c.AccountFormat = "{account}-{costcenter}";
        c.Actuals.Imports = new ActualsImports { Accounts = "GL Accounts from Sage", CostCenters = null, Vendors = "Vendors from Sage", GlActuals = "Actuals from Sage", ApActuals = "AP from Sage" };
        c.Actuals.Lists = new DimensionLists { Accounts = "GL Accounts", CostCenters = null };
        c.Actuals.Columns.GlActuals["Version"] = "=Actual";
        c.Actuals.Columns.ApActuals["Source"] = "=Sage 100";
        c.Actuals.ReadBack = new ReadBackOptions();
        c.Budgets = new BudgetsFlowOptions
        {
            Enabled = true,
            Export = "Approved Budget",
            Columns = { CostCenter = null, Period = "Month" },
            Version = "Budget",
            OffsetAccount = "30000000-000",
        };
        return c;
    }

    /// <summary>Loads the two model files beside the shipped model into the emulator.</summary>
    internal static void AddModels(AnaplanEmulatorOptions options)
    {
        options.AdditionalModelPaths.Add(AnaplanEmulatorOptions.SimpleModelPath);
        options.AdditionalModelPaths.Add(AnaplanEmulatorOptions.NativeTimeModelPath);
    }

    public sealed class Fixture : ConnectorFlowFixture
    {
        protected override LocalEnvironmentOptions EnvironmentOptions(string storage)
            => new() { StorageConnectionString = storage, ConfigureAnaplan = AddModels };

        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
            => [environment.Connection("abc-fpa", "ABC", "Department"), Simple(environment), Native(environment)];
    }
}
