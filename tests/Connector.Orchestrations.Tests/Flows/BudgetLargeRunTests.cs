using System.Text.Json;
using Connector.Agent.Backends.Simulated;
using Connector.Local.Demo;
using Connector.Local.Hosting;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Connector.Testing;
using DurableTask.AzureStorage;
using DurableTask.Core.History;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>
/// A budget run of any size: a thousand entries (on a chart enlarged with extra main accounts) are posted in batches of
/// fifty, each exactly once in Sage (read back from the agent's company). The run's history grows by batches, not by
/// entries (counted in the real history), its output stays small whatever the count, and every entry's result is
/// readable in full from the blob the summary names, through the same reader the operator API and the dashboard use.
/// </summary>
public sealed class BudgetLargeRunTests(BudgetLargeRunTests.Fixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<BudgetLargeRunTests.Fixture>
{
    private const int Entries = 1_000;
    private const int BatchSize = 50;

    [Fact]
    public async Task ThousandEntries_PostedOnceInBatches_HistoryGrowsByBatches_ResultsReadableInFull()
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");

        // One entry per (period, Anaplan account) with grouping VersionPeriodAccount, on active accounts.
        string[] periods = [.. Enumerable.Range(1, 12).Select(p => $"FY2027-P{p:D2}").Prepend("FY2026-P12")];
        var pairs = abc.GetAccounts(null, int.MaxValue)
            .Where(a => a.Status == "A" && !a.Account.StartsWith("300-", StringComparison.Ordinal))
            .Select(a => a.Account.Trim().Split('-'))
            .GroupBy(s => $"{s[0]}-{s[1]}")
            .Select(g => (Item: g.Key, CostCenter: g.First()[2]))
            .ToList();
        var cells = periods.SelectMany(p => pairs.Select((a, i) => new BudgetSeed.Cell(a.Item, a.CostCenter, p, "Budget", 100m + i)))
            .Take(Entries)
            .ToList();
        Assert.Equal(Entries, cells.Count);
        BudgetSeed.Seed(fixture.Environment.Anaplan.DefaultModel, cells, "Budget");

        StartRunResult started = await fixture.Starter.StartBudgetsAsync("abc", "test", new BudgetRunRequest());
        OrchestrationMetadata done = await fixture.WaitAsync(started.InstanceId, TimeSpan.FromMinutes(8));

        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"run ended {done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage}");
        BudgetRunSummary run = done.ReadOutputAs<BudgetRunSummary>()!;
        Assert.Equal(RunStatuses.Completed, run.Status);
        Assert.Equal(Entries, run.Posted);

        // Each entry exactly once in Sage.
        IReadOnlyList<Agent.Backends.JournalEntryInfo> inSage = BudgetSeed.Posted(abc);
        Assert.Equal(Entries, inSage.Count);
        Assert.Equal(Entries, inSage.Select(e => e.ExternalId).Distinct().Count());

        // The output is small whatever the count; every entry's result is in the blob it names, in plan order.
        output.WriteLine($"output: {done.SerializedOutput!.Length} characters for {Entries} entries");
        Assert.True(done.SerializedOutput.Length < 8 * 1024, $"the output has {done.SerializedOutput.Length} characters");
        IReadOnlyList<EntryResult> results = await fixture.ResultsAsync(run);
        Assert.Equal(Entries, results.Count);
        Assert.All(results, r => Assert.Equal(JournalStatuses.Posted, r.Status));
        Assert.Equal(inSage.Select(e => (e.ExternalId, e.EntryNo)).Order(), results.Select(r => (r.ExternalId, r.EntryNo!)).Order());

        // The operator API and the dashboard read the audit with the journal: the stored summary is small, the journal whole.
        RunAuditReport audit = await RunAuditReport.ReadAsync(fixture.Audit, "abc", run.RunId, 10, staging: fixture.Storage.StagingContainer);
        Assert.Equal(RunStatuses.Completed, audit.Run.Status);
        BudgetRunSummary stored = JsonSerializer.Deserialize<BudgetRunSummary>(audit.Run.Summary!, SummaryJson.Options)!;
        Assert.Equal(run.ResultsBlob, stored.ResultsBlob);
        Assert.Equal(results, audit.Journal);

        // The history grows by batches: one posting activity per batch of fifty, not one per entry.
        IReadOnlyList<RunHistoryEvent> history = await RunHistory.ReadAsync(fixture.Services.GetRequiredService<AzureStorageOrchestrationService>(), fixture.Client, run.RunId);
        int posts = history.Count(e => e.Type == EventType.TaskScheduled && e.Name == nameof(PostJournalBatchActivity));
        output.WriteLine($"history: {history.Count} events, {posts} posting activities scheduled for {Entries} entries in batches of {BatchSize}");
        Assert.InRange(posts, Entries / BatchSize, (Entries / BatchSize) + 2); // a durable retry of a batch adds one
        Assert.True(history.Count < Entries / 5, $"the history has {history.Count} events for {Entries} entries");
    }

    public sealed class Fixture : ConnectorFlowFixture
    {
        protected override LocalEnvironmentOptions EnvironmentOptions(string storage)
            => new() { StorageConnectionString = storage, Scale = new SimulatedScale { ExtraMainAccounts = 80 }, Companies = [CompanyProfile.BuiltIn.Single(p => p.Code == "ABC")] };

        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
        {
            ConnectionOptions abc = environment.Connection("abc", "ABC", "Department");
            abc.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "300-00-00", Grouping = "VersionPeriodAccount", MaxParallelPosts = 2, PostBatchSize = BatchSize };
            return [abc];
        }
    }
}
