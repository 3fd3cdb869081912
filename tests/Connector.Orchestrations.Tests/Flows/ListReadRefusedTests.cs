using Connector.Agent.Backends.Simulated;
using Connector.Emulators.Anaplan.Model;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Testing;
using Microsoft.DurableTask.Client;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>
/// Alignment when Anaplan refuses the list read (the integration user is not a workspace administrator): with the
/// lists' fallback exports set, both lists are read through them and the run lands every cell; without, the run fails
/// before any data moves, naming the setting to fix. Both lists are read in one step, at once.
/// </summary>
public sealed class ListReadRefusedTests(ListReadRefusedTests.Fixture fixture) : IClassFixture<ListReadRefusedTests.Fixture>
{
    [Fact]
    public async Task NotAWorkspaceAdministrator_FallbackExportsSet_BothListsReadThroughThem_EveryCellLands()
    {
        fixture.Environment.Anaplan.State.SetWorkspaceAdministrator(LocalEnvironment.AnaplanUser, false);
        try
        {
            ActualsRunSummary run = await fixture.RunActualsAsync("abc-exports");

            Assert.Equal(RunStatuses.Completed, run.Status);
            Assert.Equal(
                [
                    "accounts: export 'Accounts List' (Anaplan refused to read the list 'Accounts' (403): the list read needs a workspace administrator)",
                    "cost centres: export 'Cost Centers List' (Anaplan refused to read the list 'Cost Centers' (403): the list read needs a workspace administrator)",
                ],
                run.Alignment?.ReadThrough);
            EmulatedModel model = fixture.Environment.Anaplan.DefaultModel;
            Assert.Equal(model.GetListItems("Accounts").Count, run.Alignment?.AnaplanAccounts);
            Assert.Equal(model.GetListItems("Cost Centers").Count, run.Alignment?.AnaplanCostCenters);
            SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
            SimulatedTruth.AssertSameCells(SimulatedTruth.GlCells(abc, '-', 3, [("2026", 10), ("2026", 11)]), SimulatedTruth.ModelGl(model, run.Periods));
        }
        finally
        {
            fixture.Environment.Anaplan.State.SetWorkspaceAdministrator(LocalEnvironment.AnaplanUser, true);
        }
    }

    [Fact]
    public async Task NotAWorkspaceAdministrator_NoFallbackExport_RunFailsBeforeAnyDataMoves_NamingTheSetting()
    {
        int cellsBefore = fixture.Environment.Anaplan.DefaultModel.GetCells("GL Actuals").Count;
        fixture.Environment.Anaplan.State.SetWorkspaceAdministrator(LocalEnvironment.AnaplanUser, false);
        try
        {
            OrchestrationMetadata done = await fixture.RunActualsToEndAsync("abc-lists", timeout: TimeSpan.FromMinutes(3));

            Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
            Assert.Contains(
                "Alignment cannot tell which accounts exist in Anaplan: Anaplan refused to read the list 'Accounts' (403): the list read needs a workspace administrator. "
                + "Fix the list name, give the integration user workspace administrator rights, or set Actuals:Exports:Accounts to an export of the list.",
                done.FailureDetails?.ErrorMessage,
                StringComparison.Ordinal);
            Assert.Equal(cellsBefore, fixture.Environment.Anaplan.DefaultModel.GetCells("GL Actuals").Count);
        }
        finally
        {
            fixture.Environment.Anaplan.State.SetWorkspaceAdministrator(LocalEnvironment.AnaplanUser, true);
        }
    }

    public sealed class Fixture : ConnectorFlowFixture
    {
        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
        {
            ConnectionOptions exports = environment.Connection("abc-exports", "ABC", "Department");
            exports.Actuals.Exports = new DimensionExports { Accounts = "Accounts List", CostCenters = "Cost Centers List" };
            return [exports, environment.Connection("abc-lists", "ABC", "Department")];
        }
    }
}
