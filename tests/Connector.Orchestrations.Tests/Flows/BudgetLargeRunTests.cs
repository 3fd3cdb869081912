using System.Text.Json;
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

/// <summary>
/// A run's outcome never depends on the size of what it records: a budget run of 200 entries has a summary far larger
/// than a Table property holds (64 KiB); the run still completes, and its audit row gives the summary back whole.
/// </summary>
public sealed class BudgetLargeRunTests(BudgetLargeRunTests.Fixture fixture) : IClassFixture<BudgetLargeRunTests.Fixture>
{
    private const int Entries = 200;

    [Fact]
    public async Task TwoHundredEntries_RunCompletes_AndTheAuditHoldsTheWholeSummary()
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");

        // One entry per (period, Anaplan account) with grouping VersionPeriodAccount: 200 of them, on active accounts.
        string[] periods = [.. Enumerable.Range(1, 12).Select(p => $"FY2027-P{p:D2}").Prepend("FY2026-P12")];
        var pairs = abc.GetAccounts(null, int.MaxValue)
            .Where(a => a.Status == "A" && !a.Account.StartsWith("300-", StringComparison.Ordinal))
            .Select(a => a.Account.Trim().Split('-'))
            .GroupBy(s => $"{s[0]}-{s[1]}")
            .Select(g => (Item: g.Key, CostCenter: g.First()[2]))
            .ToList();
        var cells = periods.SelectMany(p => pairs.Select(a => new BudgetSeed.Cell(a.Item, a.CostCenter, p, "Budget", 100m + pairs.IndexOf(a))))
            .Take(Entries)
            .ToList();
        Assert.Equal(Entries, cells.Count);
        BudgetSeed.Seed(fixture.Environment.Anaplan.DefaultModel, cells, "Budget");

        OrchestrationMetadata done = await fixture.RunBudgetsToEndAsync("abc", new BudgetRunRequest());

        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"run ended {done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage}");
        BudgetRunSummary run = done.ReadOutputAs<BudgetRunSummary>()!;
        Assert.Equal(RunStatuses.Completed, run.Status);
        Assert.Equal(Entries, run.Posted);
        Assert.Equal(Entries, BudgetSeed.Posted(abc).Count);

        RunAudit audit = (await fixture.Audit.GetRunAsync("abc", run.RunId))!;
        Assert.Equal(RunStatuses.Completed, audit.Status);
        Assert.True(audit.Summary!.Length > 32 * 1024, $"the summary is only {audit.Summary.Length} characters: the test does not exceed a Table property");
        BudgetRunSummary stored = JsonSerializer.Deserialize<BudgetRunSummary>(audit.Summary, SummaryJson.Options)!;
        Assert.Equal(run.Results.Select(r => (r.ExternalId, r.Status, r.EntryNo)), stored.Results.Select(r => (r.ExternalId, r.Status, r.EntryNo)));
    }

    public sealed class Fixture : ConnectorFlowFixture
    {
        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
        {
            ConnectionOptions abc = environment.Connection("abc", "ABC", "Department");
            abc.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "300-00-00", Grouping = "VersionPeriodAccount", MaxParallelPosts = 8 };
            return [abc];
        }
    }
}
