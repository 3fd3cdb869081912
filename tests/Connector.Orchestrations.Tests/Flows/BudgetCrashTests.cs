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
/// The hardest moment of the return flow: Sage has written the entry, the worker dies before the connector records it.
/// Here the worker is a separate process running the connector as the product composes it; it kills itself right after
/// Sage's write. A new process takes the run over; the natural-key lookup finds the entry and nothing is posted twice.
/// </summary>
public sealed class BudgetCrashTests(BudgetCrashTests.Fixture fixture) : IClassFixture<BudgetCrashTests.Fixture>, IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("budget-crash-").FullName;

    [Fact]
    public async Task WorkerKilledBetweenSageWriteAndAudit_NewWorkerFinishes_NoDuplicate()
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        BudgetSeed.Seed(
            fixture.Environment.Anaplan.DefaultModel,
            [
                new("600-01", "01", "FY2027-P04", "Budget", 111.11m),
                new("600-01", "02", "FY2027-P04", "Budget", 222.22m),
                new("600-01", "03", "FY2027-P04", "Budget", 333.33m),
            ],
            "Budget");
        string settings = fixture.WriteWorkerSettings(this.dir);
        string crashFile = Path.Combine(this.dir, "crash-armed");
        File.WriteAllText(crashFile, string.Empty);
        var environment = new Dictionary<string, string> { ["CONNECTOR_MASTER_KEY"] = fixture.Environment.MasterKey };

        using WorkerProcess first = await WorkerProcess.StartAsync(["runtime", settings, crashFile], environment);
        StartRunResult started = await fixture.Starter.StartBudgetsAsync("abc", "test", new BudgetRunRequest());
        await first.WaitForExitAsync(TimeSpan.FromMinutes(3)); // it kills itself after the first Sage write

        string crashedOn = File.ReadAllText(crashFile + ".crashed");
        JournalEntryInfo written = Assert.Single(BudgetSeed.Posted(abc));
        Assert.Equal(crashedOn, written.ExternalId);
        JournalRecord? unfinished = await fixture.Services.GetRequiredService<JournalStore>().GetAsync("abc", crashedOn);
        Assert.Equal(JournalStatuses.Posting, unfinished?.Status); // Sage has it, the connector had not recorded it

        using WorkerProcess second = await WorkerProcess.StartAsync(["runtime", settings, crashFile], environment);
        OrchestrationMetadata done = await fixture.WaitAsync(started.InstanceId, TimeSpan.FromMinutes(3));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        BudgetRunSummary run = done.ReadOutputAs<BudgetRunSummary>()!;
        Assert.Equal(3, run.Results.Count);
        Assert.All(run.Results, r => Assert.Equal(JournalStatuses.Posted, r.Status));
        IReadOnlyList<JournalEntryInfo> posted = BudgetSeed.Posted(abc);
        Assert.Equal(3, posted.Count);
        Assert.Equal(3, posted.Select(e => e.ExternalId).Distinct().Count());
        Assert.Equal(written.EntryNo, run.Results.Single(r => r.ExternalId == crashedOn).EntryNo);
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
