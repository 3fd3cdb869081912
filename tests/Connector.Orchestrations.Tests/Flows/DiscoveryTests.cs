using System.Globalization;
using Connector.Agent.Backends;
using Connector.Agent.Backends.Simulated;
using Connector.Emulators.Anaplan.Model;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.ModelFit;
using Connector.Orchestrations.Operations;
using Connector.Testing;
using Microsoft.Extensions.Configuration;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>
/// <c>connector discover</c> on the simple model: signed in with another connection's credentials, it writes a starter
/// settings file; that file, read as the connector reads settings (plus the two budget settings its notes ask a person
/// to set), then runs the simple model end to end, cell for cell, and posts its budget grid back.
/// </summary>
public sealed class DiscoveryTests(DiscoveryTests.Fixture fixture) : IClassFixture<DiscoveryTests.Fixture>
{
    private const string Discovered = "abc-discovered";

    [Fact]
    public void Discover_ListsWhatTheCredentialsSee_ImportsWithTheirHeaders()
    {
        DiscoveryReport report = fixture.Result.Report;

        Assert.Equal(3, report.Models.Count);
        DiscoveredModel simple = Assert.Single(report.Models, m => m.Id == ModelFitTests.SimpleModel);
        Assert.Equal(["Account", "Cost Center", "Period", "Amount"], Assert.Single(simple.Imports, i => i.Name == "Load GL").Headers);
        Assert.Equal(["Code", "Name"], Assert.Single(simple.Imports, i => i.Name == "Load Vendors").Headers);
        Assert.Contains(simple.Exports, e => e.Name == "Budget by Period" && e.Headers.Contains("FY26 P12"));
        Assert.Contains(simple.Lists, l => l.Name == "Accounts");
    }

    [Fact]
    public void SettingsFile_ProposesTheSimpleModelsChoices()
    {
        ConnectionOptions c = fixture.Connection;

        Assert.Equal(ModelFitTests.SimpleModel, c.Anaplan.ModelId);
        Assert.Equal("FY{yy} P{pp}", c.PeriodFormat);
        Assert.Equal("Load Accounts|Load Cost Centers|Load Vendors|Load GL|Load AP", string.Join("|", c.Actuals.Imports.Accounts, c.Actuals.Imports.CostCenters, c.Actuals.Imports.Vendors, c.Actuals.Imports.GlActuals, c.Actuals.Imports.ApActuals));
        Assert.Equal("Budget by Period", c.Budgets.Export);
        Assert.Equal(BudgetExportColumns.PeriodColumnsLayout, c.Budgets.Layout);
        Assert.True(string.IsNullOrEmpty(c.Budgets.Columns.Version), "the view fixes the version: no version column");
        Assert.Contains(fixture.Notes, n => n.Contains("Budgets:OffsetAccount", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SettingsFile_RunsTheSimpleModelEndToEnd_CellForCell_AndPostsTheBudgetBack()
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        EmulatedModel model = fixture.Environment.Anaplan.State.Model(ModelFitTests.SimpleModel);
        static string Code(string year, int period) => $"FY{year[2..]} P{period:D2}";

        ActualsRunSummary run = await fixture.RunActualsAsync(Discovered);

        Assert.Equal(RunStatuses.Completed, run.Status);
        Assert.Equal(["FY26 P10", "FY26 P11"], run.Periods);
        Assert.Equal(ReconciliationStatuses.Reconciled, run.Datasets.Single(d => d.Dataset == Datasets.GlActuals).Reconciliation?.Status);
        Assert.Equal(ReconciliationStatuses.Reconciled, run.Datasets.Single(d => d.Dataset == Datasets.ApActuals).Reconciliation?.Status);
        var gl = SimulatedTruth.GlNet(abc, '-', 3, [("2026", 10), ("2026", 11)], Code, (account, _, _) => account);
        SimulatedTruth.AssertSameCells(gl.ToDictionary(c => $"{c.Key.Account}|{c.Key.CostCenter}|{c.Key.Period}", c => c.Value), SimulatedTruth.ModelCells(model, "GL", "Amount"));
        var ap = SimulatedTruth.ApByCostCenter(abc, '-', 3, Code);
        SimulatedTruth.AssertSameCells(ap.ToDictionary(c => $"{c.Key.Vendor}|{c.Key.CostCenter}|{c.Key.Period}", c => c.Value.Amount), SimulatedTruth.ModelCells(model, "AP", "Amount"));
        Assert.Empty(model.Violations);

        BudgetSeed.Seed(model, [new("600-01", "01", "FY26 P12", "Budget", 1234.56m), new("610-02", "01", "FY27 P01", "Budget", 99.99m)]);
        BudgetRunSummary posted = await fixture.RunBudgetsAsync(Discovered, new BudgetRunRequest());

        Assert.Equal(RunStatuses.Completed, posted.Status);
        Assert.Equal(
            ["2026-12 300-00-00 0.00 1234.56", "2026-12 600-01-01 1234.56 0.00", "2027-01 300-00-00 0.00 99.99", "2027-01 610-02-01 99.99 0.00"],
            BudgetSeed.Posted(abc).SelectMany(e => e.Lines.Select(l => $"{e.FiscalYear}-{e.FiscalPeriod:D2} {l.Account.Trim()} {Money(l.Debit)} {Money(l.Credit)}")).Order(StringComparer.Ordinal));
    }

    private static string Money(decimal value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    public sealed class Fixture : ConnectorFlowFixture
    {
        public DiscoveryResult Result { get; private set; } = null!;

        public ConnectionOptions Connection { get; private set; } = null!;

        public IReadOnlyList<string> Notes => this.Result.Proposal!.Notes;

        protected override LocalEnvironmentOptions EnvironmentOptions(string storage)
            => new() { StorageConnectionString = storage, ConfigureAnaplan = ModelFitTests.AddModels };

        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment) => throw new NotSupportedException("discovered");

        protected override async Task<IReadOnlyList<ConnectionOptions>> ConnectionsAsync(LocalEnvironment environment)
        {
            // The person has a connection to the shipped model; discover signs in with its credentials.
            ConnectionOptions template = environment.Connection("abc-fpa", "ABC", "Department");
            using (ConnectionClients clients = StandaloneClients.For(environment, template))
            {
                this.Result = await ModelDiscovery.RunAsync(clients, template.Id, workspace: null, model: "Simple Planning", newId: Discovered);
            }

            string file = Path.Combine(environment.Directory, $"connector.{Discovered}.settings.json");
            await File.WriteAllTextAsync(file, ModelDiscovery.SettingsJson(this.Result.Proposal!));

            // Read as the connector reads settings; then the two settings the notes ask for.
            IConfiguration settings = new ConfigurationBuilder()
                .AddJsonFile(file)
                .AddInMemoryCollection(new Dictionary<string, string?> { ["Connector:Connections:0:Budgets:Enabled"] = "true", ["Connector:Connections:0:Budgets:OffsetAccount"] = "300-00-00" })
                .Build();
            ConnectorOptions options = settings.GetSection(ConnectorOptions.SectionName).Get<ConnectorOptions>()!;
            this.Connection = Assert.Single(options.Connections);
            return options.Connections;
        }
    }
}
