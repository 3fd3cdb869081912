using Connector.Agent.Backends;
using Connector.Agent.Backends.Simulated;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Connector.Testing;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>
/// The return flow when the agent drops the connection right after Sage wrote an entry (the agent's fault hook): the
/// client sends the create again, the agent answers with the entry Sage now has, and the run must count it as its own
/// post (the journal holds this run's intent, recorded before the write), not as one an earlier run made. Its own
/// company and fixture: the other budget tests count every entry of theirs.
/// </summary>
public sealed class BudgetConnectionDropTests(BudgetConnectionDropTests.Fixture fixture) : IClassFixture<BudgetConnectionDropTests.Fixture>
{
    [Fact]
    public async Task AgentDropsTheConnectionAfterSageWrote_TheRetryFindsTheRunsOwnEntry_CountedPostedOnce()
    {
        SimulatedCompany tst = fixture.Environment.Sage.Company("TST");
        BudgetSeed.Seed(fixture.Environment.Anaplan.DefaultModel, [new("6000", "100", "FY2027-P03", "Budget", 123.45m)], "Budget");
        var request = new BudgetRunRequest(FiscalYear: "2027", FromPeriod: 3, ToPeriod: 3);

        // Sage writes the entry, then the agent drops the connection before answering; the client sends the create again
        // and the agent answers with the entry Sage now has.
        fixture.Environment.Sage.Faults("TST").Set(new SimulatedFaultSettings(CrashAfterNextWrites: 1));
        BudgetRunSummary run = await fixture.RunBudgetsAsync("tst", request);

        Assert.Equal(0, fixture.Environment.Sage.Faults("TST").Current.CrashAfterNextWrites); // the drop really happened
        Assert.Equal(RunStatuses.Completed, run.Status);
        Assert.Equal((1, 0), (run.Posted, run.AlreadyPosted)); // this run's own write, not one an earlier run made
        EntryResult result = Assert.Single(await fixture.ResultsAsync(run));
        Assert.Equal(JournalStatuses.Posted, result.Status);
        JournalEntryInfo entry = Assert.Single(BudgetSeed.Posted(tst), e => e.ExternalId == result.ExternalId);
        Assert.Equal(result.EntryNo, entry.EntryNo);
        Assert.Equal(123.45m, entry.Lines.Sum(l => l.Debit));

        // The next run finds it posted by the run before: already posted, still once in Sage.
        BudgetRunSummary next = await fixture.RunBudgetsAsync("tst", request);
        Assert.Equal((0, 1), (next.Posted, next.AlreadyPosted));
        Assert.Single(BudgetSeed.Posted(tst), e => e.ExternalId == result.ExternalId);
    }

    public sealed class Fixture : ConnectorFlowFixture
    {
        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
        {
            ConnectionOptions tst = environment.Connection("tst", "TST", "Department");
            tst.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "3000-000" };
            return [tst];
        }
    }
}
