using Connector.Agent.Backends;
using Connector.Agent.Backends.Simulated;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Connector.Testing;
using Microsoft.DurableTask.Client;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>The return flow when Sage is busy or refuses, and when lines cannot be mapped.</summary>
public sealed class BudgetFaultTests(BudgetFaultTests.Fixture fixture) : IClassFixture<BudgetFaultTests.Fixture>
{
    [Fact]
    public async Task LockStorm_EveryEntryPostedOnce()
    {
        SimulatedCompany tst = fixture.Environment.Sage.Company("TST");
        BudgetSeed.Seed(
            fixture.Environment.Anaplan.DefaultModel,
            [
                new("6000", "100", "FY2027-P01", "Budget", 100.00m),
                new("6000", "200", "FY2027-P01", "Budget", 200.00m),
                new("6000", "100", "FY2027-P02", "Budget", 300.00m),
                new("6000", "200", "FY2027-P02", "Budget", 400.00m),
            ],
            "Budget");

        // Every write is refused as locked by another workstation, eight times in a row.
        fixture.Environment.Sage.Faults("TST").Set(new SimulatedFaultSettings(LockNextWrites: 8));
        // The model is shared with the other tests of this class: each run selects its own version or periods.
        BudgetRunSummary run = await fixture.RunBudgetsAsync("tst", new BudgetRunRequest(FiscalYear: "2027", FromPeriod: 1, ToPeriod: 2));

        Assert.Equal(RunStatuses.Completed, run.Status);
        Assert.Equal(4, run.Posted);
        Assert.Equal(0, fixture.Environment.Sage.Faults("TST").Current.LockNextWrites); // the storm really happened
        IReadOnlyList<JournalEntryInfo> posted = BudgetSeed.Posted(tst);
        Assert.Equal(4, posted.Count);
        Assert.Equal((await fixture.ResultsAsync(run)).Select(r => r.ExternalId).Order(), posted.Select(e => e.ExternalId).Order());
    }

    [Fact]
    public async Task UnmappableLineAndRefusedEntry_AreReportedWithReasons_OthersPost()
    {
        SimulatedCompany lng = fixture.Environment.Sage.Company("LNG");
        BudgetSeed.Seed(
            fixture.Environment.Anaplan.DefaultModel,
            [
                new("40001000", "010", "FY2027-P06", "Forecast", 1500.00m),  // posts
                new("99990000", "010", "FY2027-P06", "Forecast", 10.00m),    // an account only Anaplan has: rejected line
                new("40001000", "010", "FY2024-P03", "Forecast", 20.00m),    // before the company's calendar: rejected line
                new("40001000", "010", "FY2026-P03", "Forecast", 30.00m),    // a closed period: Sage refuses the entry
            ],
            "Forecast");

        BudgetRunSummary run = await fixture.RunBudgetsAsync("lng", new BudgetRunRequest(Version: "Forecast"));

        Assert.Equal(RunStatuses.CompletedWithRejections, run.Status);
        Assert.Equal(2, run.Plan.LinesRejected);
        var rejected = await fixture.Audit.GetRecordsAsync(run.RunId, Datasets.Budget).ToListAsync();
        Assert.Contains(rejected, r => r.Field == "Account" && r.Reason.Contains("account '99990000' has no Sage account", StringComparison.Ordinal));
        Assert.Contains(rejected, r => r.Field == "Period" && r.Reason.Contains("period 'FY2024-P03' is outside the company's fiscal calendar", StringComparison.Ordinal));

        IReadOnlyList<EntryResult> results = await fixture.ResultsAsync(run);
        EntryResult refused = Assert.Single(results, r => r.Status == JournalStatuses.Rejected);
        Assert.Equal("FY2026-P03", refused.Period);
        Assert.Contains("which is closed", refused.Message, StringComparison.Ordinal); // Sage's own words
        EntryResult good = Assert.Single(results, r => r.Status == JournalStatuses.Posted);
        Assert.Equal("FY2027-P06", good.Period);

        JournalEntryInfo only = Assert.Single(BudgetSeed.Posted(lng));
        Assert.Equal(good.ExternalId, only.ExternalId);
        Assert.Equal(1500.00m, only.Lines.Sum(l => l.Debit));
    }

    [Fact]
    public async Task AmountsSageCannotStore_LinesRefusedNamingLineAndField_NothingRounded_OthersPost()
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        BudgetSeed.Seed(
            fixture.Environment.Anaplan.DefaultModel,
            [
                new("600-01", "01", "FY2027-P07", "Budget", 1234.567m),                 // a tenth of a cent: refused, not rounded to 1234.57
                new("600-01", "02", "FY2027-P07", "Budget", 1_000_000_000_000_000m),    // 1e15: beyond Sage's 16.2 amount fields
                new("610-02", "01", "FY2027-P07", "Budget", 250.00m),                   // posts
            ],
            "Budget");

        BudgetRunSummary run = await fixture.RunBudgetsAsync("abc", new BudgetRunRequest(FiscalYear: "2027", FromPeriod: 7, ToPeriod: 7));

        Assert.Equal(RunStatuses.CompletedWithRejections, run.Status);
        Assert.Equal(2, run.Plan.LinesRejected);
        var rejected = await fixture.Audit.GetRecordsAsync(run.RunId, Datasets.Budget).ToListAsync();
        Assert.Contains(rejected, r => r.Field == "Amount" && r.Record.StartsWith("line ", StringComparison.Ordinal) && r.Record.Contains("600-01 / 01 / FY2027-P07", StringComparison.Ordinal)
            && r.Reason.Contains("amount 1234.567 has more than two decimal places", StringComparison.Ordinal));
        Assert.Contains(rejected, r => r.Field == "Amount" && r.Record.Contains("600-01 / 02 / FY2027-P07", StringComparison.Ordinal)
            && r.Reason.Contains("more than Sage 100 stores in an amount (99,999,999,999,999.99)", StringComparison.Ordinal));

        JournalEntryInfo only = Assert.Single(BudgetSeed.Posted(abc));
        Assert.Equal([250.00m, 0m], only.Lines.Select(l => l.Debit).OrderDescending());
        Assert.DoesNotContain(BudgetSeed.Posted(abc).SelectMany(e => e.Lines), l => l.Debit is 1234.57m or 1234.56m || l.Debit >= 1_000_000_000_000_000m);
    }

    [Fact]
    public async Task OffsetAccountNotInSage_FailsTheRunBeforePostingAnything_TheRefusedLinesAreRecorded()
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        BudgetSeed.Seed(
            fixture.Environment.Anaplan.DefaultModel,
            [
                new("600-01", "01", "FY2027-P03", "Budget", 55.00m),
                new("999-97", "01", "FY2027-P03", "Budget", 7.00m), // an account only Anaplan has: refused before planning
            ],
            "Budget");

        OrchestrationMetadata done = await fixture.RunBudgetsToEndAsync("abc-bad-offset", new BudgetRunRequest(FiscalYear: "2027", FromPeriod: 3, ToPeriod: 3));

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.True(
            done.FailureDetails?.ErrorMessage?.Contains("Budgets:OffsetAccount resolves to 999-00-01, which is not an account in Sage", StringComparison.Ordinal) == true,
            done.FailureDetails?.ErrorMessage);
        Assert.Empty(BudgetSeed.Posted(abc));

        // The run failed on a setting, but the line it refused is in the audit for the operator to see and fix.
        RecordAudit refused = Assert.Single(await fixture.Audit.GetRecordsAsync(done.InstanceId, Datasets.Budget).ToListAsync());
        Assert.Equal(RecordKinds.Rejected, refused.Kind);
        Assert.Equal("Account", refused.Field);
        Assert.Contains("'999-97'", refused.Reason, StringComparison.Ordinal);
    }

    public sealed class Fixture : ConnectorFlowFixture
    {
        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
        {
            ConnectionOptions tst = environment.Connection("tst", "TST", "Department");
            tst.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "3000-000", MaxParallelPosts = 4 };
            ConnectionOptions lng = environment.Connection("lng", "LNG", "Location");
            lng.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "30000000-000", Version = "Forecast" };
            ConnectionOptions bad = environment.Connection("abc-bad-offset", "ABC", "Department");
            bad.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "999-00" };
            ConnectionOptions abc = environment.Connection("abc", "ABC", "Department");
            abc.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "300-00-00" };
            return [tst, lng, bad, abc];
        }
    }
}
