using Connector.Agent.Backends;
using Connector.Agent.Backends.Simulated;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Connector.Testing;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>
/// The hardest moment of the return flow: Sage has written the entry, the worker dies before the connector records it,
/// in the middle of a batch (two entries of the batch posted and recorded, the third written by Sage only, two not
/// posted). Here the worker is a separate process running the connector as the product composes it; it kills itself
/// right after Sage's third write. A new process takes the run over and runs the batch again: the recorded entries are
/// taken from the journal, the natural-key lookup finds the third, the last two are posted, and nothing twice.
/// </summary>
public sealed class BudgetCrashTests(BudgetCrashTests.Fixture fixture) : IClassFixture<BudgetCrashTests.Fixture>, IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("budget-crash-").FullName;

    [Fact]
    public async Task WorkerKilledMidBatchBetweenSageWriteAndAudit_NewWorkerFinishes_EachEntryOnce()
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        string[] centres = ["01", "02", "03"];
        BudgetSeed.Seed(
            fixture.Environment.Anaplan.DefaultModel,
            [.. centres.Select((c, i) => new BudgetSeed.Cell("600-01", c, "FY2027-P04", "Budget", 111.11m * (i + 1))),
             .. centres[..2].Select((c, i) => new BudgetSeed.Cell("600-02", c, "FY2027-P05", "Budget", 50.00m + i))],
            "Budget");
        string settings = fixture.WriteWorkerSettings(this.dir);
        string crashFile = Path.Combine(this.dir, "crash-armed");
        File.WriteAllText(crashFile, "3"); // the third of the batch's five writes
        var environment = new Dictionary<string, string> { ["CONNECTOR_MASTER_KEY"] = fixture.Environment.MasterKey };

        using WorkerProcess first = await WorkerProcess.StartAsync(["runtime", settings, crashFile], environment);
        StartRunResult started = await fixture.Starter.StartBudgetsAsync("abc", "test", new BudgetRunRequest());
        await first.WaitForExitAsync(TimeSpan.FromMinutes(3)); // it kills itself after the third Sage write

        // Sage has three entries; the connector recorded two of them, the third it had not recorded yet.
        string crashedOn = File.ReadAllText(crashFile + ".crashed");
        IReadOnlyList<JournalEntryInfo> before = BudgetSeed.Posted(abc);
        Assert.Equal(3, before.Count);
        JournalEntryInfo written = Assert.Single(before, e => e.ExternalId == crashedOn);
        JournalStore journal = fixture.Services.GetRequiredService<JournalStore>();
        Assert.Equal(JournalStatuses.Posting, (await journal.GetAsync("abc", crashedOn))?.Status);
        foreach (JournalEntryInfo recorded in before.Where(e => e.ExternalId != crashedOn))
        {
            Assert.Equal(JournalStatuses.Posted, (await journal.GetAsync("abc", recorded.ExternalId))?.Status);
        }

        using WorkerProcess second = await WorkerProcess.StartAsync(["runtime", settings, crashFile], environment);
        OrchestrationMetadata done = await fixture.WaitAsync(started.InstanceId, TimeSpan.FromMinutes(3));

        // The batch ran again: every entry once in Sage, the one written before the crash with the number Sage gave it.
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        BudgetRunSummary run = done.ReadOutputAs<BudgetRunSummary>()!;
        IReadOnlyList<EntryResult> results = await fixture.ResultsAsync(run);
        Assert.Equal(5, results.Count);
        Assert.All(results, r => Assert.Equal(JournalStatuses.Posted, r.Status));
        IReadOnlyList<JournalEntryInfo> posted = BudgetSeed.Posted(abc);
        Assert.Equal(5, posted.Count);
        Assert.Equal(5, posted.Select(e => e.ExternalId).Distinct().Count());
        Assert.Equal(written.EntryNo, results.Single(r => r.ExternalId == crashedOn).EntryNo);
        Assert.All(before, e => Assert.Equal(e.EntryNo, results.Single(r => r.ExternalId == e.ExternalId).EntryNo));
    }

    public void Dispose() => Directory.Delete(this.dir, recursive: true);

    public sealed class Fixture : ConnectorFlowFixture
    {
        protected override bool RunWorker => false;

        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
        {
            ConnectionOptions abc = environment.Connection("abc", "ABC", "Department");
            abc.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "300-00-00", MaxParallelPosts = 1 };
            return [abc];
        }
    }
}
