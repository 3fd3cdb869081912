using System.Globalization;
using System.Text;
using Connector.Agent.Backends;
using Connector.Agent.Backends.Simulated;
using Connector.Emulators.Anaplan.Model;
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
/// The return flow end to end: an approved budget in the emulator becomes balanced journal entries in the simulated
/// ABC company (Main-Division-Department), exactly once, to the cent.
/// </summary>
public sealed class BudgetSyncTests(BudgetSyncTests.Fixture fixture) : IClassFixture<BudgetSyncTests.Fixture>
{
    private static readonly BudgetSeed.Cell[] Budget =
    [
        new("600-01", "01", "FY2026-P12", "Budget", 1234.56m),
        new("600-01", "02", "FY2026-P12", "Budget", 2000.10m),
        new("610-02", "01", "FY2027-P01", "Budget", 99_999.99m),
        new("600-01", "01", "FY2027-P01", "Budget", 0.01m),
        new("400-01", "01", "FY2027-P01", "Budget", -5_000.00m), // revenue: a credit
        new("620-02", "03", "FY2027-P02", "Budget", 410.33m),
        new("620-02", "03", "FY2027-P02", "Forecast", 777.77m),  // another version: not posted by a Budget run
    ];

    [Fact]
    public async Task DryRun_ThenRun_PostsExactlyTheProposedEntries_OnceAndToTheCent()
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        EmulatedModel model = fixture.Environment.Anaplan.DefaultModel;
        BudgetSeed.Seed(model, Budget, "Budget", "Forecast");

        // Dry run: entries are proposed (and stored as CSV), nothing reaches Sage.
        BudgetRunSummary dry = await fixture.RunBudgetsAsync("abc", new BudgetRunRequest(DryRun: true));
        Assert.Equal(RunStatuses.DryRun, dry.Status);
        Assert.Empty(BudgetSeed.Posted(abc));
        Assert.Equal(4, dry.Plan.EntryCount); // P12/cc01, P12/cc02, 2027-P01/cc01, 2027-P02/cc03
        Assert.Equal(1, dry.Plan.SkippedOtherVersion);
        string csv = (await fixture.Storage.StagingContainer.GetBlobClient(dry.Plan.ProposedCsvBlob).DownloadContentAsync()).Value.Content.ToString();
        Assert.Contains("610-02-01,99999.99,0.00", csv, StringComparison.Ordinal);

        // Real run: the same entries, every line and amount as proposed, each balanced.
        BudgetRunSummary run = await fixture.RunBudgetsAsync("abc", new BudgetRunRequest());
        Assert.Equal(RunStatuses.Completed, run.Status);
        IReadOnlyList<EntryResult> proposed = await fixture.ResultsAsync(dry);
        Assert.All(proposed, r => Assert.Equal(JournalStatuses.Proposed, r.Status));
        IReadOnlyList<EntryResult> results = await fixture.ResultsAsync(run);
        Assert.Equal(proposed.Select(e => e.ExternalId), results.Select(r => r.ExternalId));
        Assert.All(results, r => Assert.Equal(JournalStatuses.Posted, r.Status));
        Assert.Equal(4, run.Posted);
        Assert.Empty(run.FirstProblems);

        IReadOnlyList<JournalEntryInfo> posted = BudgetSeed.Posted(abc);
        Assert.Equal(4, posted.Count);
        Assert.All(posted, e => Assert.Equal(e.Lines.Sum(l => l.Debit), e.Lines.Sum(l => l.Credit)));
        Assert.Equal(ExpectedLines(), Lines(posted));
        Assert.Equal(ExpectedLines(), ParseCsvLines(csv));

        JournalEntryInfo january = posted.Single(e => e.FiscalYear == "2027" && e.FiscalPeriod == 1);
        Assert.Equal(new DateOnly(2027, 1, 31), january.PostingDate); // the period's end date
        Assert.Contains(january.ExternalId, january.Comment, StringComparison.Ordinal);
        Assert.All(january.Lines, l => Assert.Contains(january.ExternalId, l.Comment, StringComparison.Ordinal));

        // Every Sage entry traces back to the Anaplan cells it came from.
        JournalRecord record = (await ((JournalStore)fixture.Services.GetService(typeof(JournalStore))!).GetAsync("abc", january.ExternalId))!;
        Assert.Equal(JournalStatuses.Posted, record.Status);
        Assert.Equal(january.EntryNo, record.EntryNo);
        Assert.Equal(100_000.00m, record.Debit);
        Assert.Contains("610-02|01|FY2027-P01|Budget", record.SourceCells, StringComparison.Ordinal);

        // Again: nothing new in Sage.
        BudgetRunSummary again = await fixture.RunBudgetsAsync("abc", new BudgetRunRequest());
        Assert.All(await fixture.ResultsAsync(again), r => Assert.Equal(JournalStatuses.AlreadyPosted, r.Status));
        Assert.Equal(4, again.AlreadyPosted);
        Assert.Equal(4, BudgetSeed.Posted(abc).Count);

        // An approved value changes after posting: that group is held for review (not counted twice), the others stay posted once.
        model.SetCell("Budget", ["600-01", "02", "FY2026-P12", "Budget"], "Amount", 2500.00);
        BudgetRunSummary changed = await fixture.RunBudgetsAsync("abc", new BudgetRunRequest());
        Assert.Equal(RunStatuses.CompletedWithFailures, changed.Status);
        EntryResult held = Assert.Single(await fixture.ResultsAsync(changed), r => r.Status == JournalStatuses.NeedsReview);
        Assert.Equal(held, Assert.Single(changed.FirstProblems)); // the summary names it too
        Assert.Contains("costcenter=02", held.GroupKey, StringComparison.Ordinal);
        Assert.Contains("changed after entry", held.Message, StringComparison.Ordinal);
        Assert.Equal(4, BudgetSeed.Posted(abc).Count);
    }

    private static List<string> ExpectedLines() =>
    [
        "2026-12 300-00-00 0.00 1234.56",
        "2026-12 300-00-00 0.00 2000.10",
        "2026-12 600-01-01 1234.56 0.00",
        "2026-12 600-01-02 2000.10 0.00",
        "2027-01 300-00-00 0.00 95000.00",
        "2027-01 400-01-01 0.00 5000.00",
        "2027-01 600-01-01 0.01 0.00",
        "2027-01 610-02-01 99999.99 0.00",
        "2027-02 300-00-00 0.00 410.33",
        "2027-02 620-02-03 410.33 0.00",
    ];

    private static List<string> Lines(IEnumerable<JournalEntryInfo> entries)
        => [.. entries.SelectMany(e => e.Lines.Select(l => $"{e.FiscalYear}-{e.FiscalPeriod:D2} {l.Account.Trim()} {l.Debit.ToString("0.00", CultureInfo.InvariantCulture)} {l.Credit.ToString("0.00", CultureInfo.InvariantCulture)}")).Order(StringComparer.Ordinal)];

    private static List<string> ParseCsvLines(string csv)
        => [.. csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(line => line.Split(','))
            .Select(f => $"{f[3]}-{f[4]} {f[7]} {f[8]} {f[9]}").Order(StringComparer.Ordinal)];

    public sealed class Fixture : ConnectorFlowFixture
    {
        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
        {
            ConnectionOptions abc = environment.Connection("abc", "ABC", "Department");
            abc.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "300-00-00", Version = "Budget", MaxParallelPosts = 2 };
            return [abc];
        }
    }
}
