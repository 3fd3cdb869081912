using Connector.Agent.Backends;
using Connector.Agent.Backends.Simulated;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Connector.Orchestrations.Tests.Flows;
using Connector.Testing;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Connector.Orchestrations.Tests.Recovery;

/// <summary>
/// The rewind test matrix of the return flow (Anaplan → Sage 100) on the real local host: the fault hits a real run, the
/// run ends failed or with entries Sage did not take, the fault is cleared, the run is rewound under its own id, and
/// then: it completed; Sage holds every planned entry exactly once (no entry the first attempt posted was created again);
/// the approved-values export ran again only when the first attempt had not got it; the Sage dimensions were not read
/// again; the audit shows the rewind. The agent's key is rotated after the dimensions are read, so the rewound run must
/// not read them again. A batch that failed partly (one entry posted, then a lock longer than the retries) is posted
/// again by the rewound run without its posted entry. The agent down during extraction is the main flow's class (this flow extracts nothing from
/// Sage). Not applicable to this flow: a chunk upload or an import failing (the return flow
/// uploads and imports nothing).
/// </summary>
/// <remarks>
/// The cases run in three classes, each with its own fixture (environment, model, task hub), so they run beside each
/// other: the two record-lock cases each wait out the posting's durable retries (minutes) and have a class of their own;
/// the others share one (<see cref="BudgetRewindQuickTests"/>, <see cref="BudgetRewindLockExhaustedTests"/>,
/// <see cref="BudgetRewindPartlyLockedTests"/>).
/// </remarks>
public abstract class BudgetRewindTests(BudgetRewindTests.Fixture fixture)
{
    /// <summary>One case of the matrix: the fault, the first attempt, the rewind, and what must hold after it.</summary>
    protected async Task FaultThenRewindAsync(string fault)
    {
        (string connection, string company, BudgetRunRequest request) = Case(fault);
        SimulatedCompany sage = fixture.Environment.Sage.Company(company);
        string exportTasks = $"/exports/{fixture.Export(new BudgetsFlowOptions().Export)}/tasks";
        int exportsBefore = fixture.AnaplanRequests("POST", exportTasks);
        int structureBefore = fixture.AgentReads("/account-structure");

        var inSageBefore = BudgetSeed.Posted(sage).Select(e => e.ExternalId).ToHashSet();
        string secret = (await fixture.Environment.Credentials.GetAsync(LocalEnvironment.SageApiKeyReference)).Reveal();
        string expected = this.Arm(fault, sage);
        StartRunResult started = await fixture.Starter.StartBudgetsAsync(connection, "test", request);
        await this.HitAfterExportStartsAsync(fault, exportTasks, exportsBefore, secret);
        OrchestrationMetadata first = await fixture.WaitAsync(started.InstanceId, TimeSpan.FromMinutes(6));
        string firstStatus = first.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? first.ReadOutputAs<BudgetRunSummary>()!.Status : first.RuntimeStatus.ToString();
        Assert.True(firstStatus == expected, $"{fault}: the first attempt ended {firstStatus}, not {expected}: {first.FailureDetails?.ErrorMessage}");
        var postedFirst = BudgetSeed.Posted(sage).Select(e => e.ExternalId).ToHashSet();
        if (fault == "batch-partly-locked")
        {
            // One batch of three: the first entry went in before the lock, the other two failed, each with an audit row.
            Assert.Single(postedFirst.Except(inSageBefore));
            BudgetRunSummary partly = first.ReadOutputAs<BudgetRunSummary>()!;
            Assert.Equal((1, 2), (partly.Posted, partly.Count(JournalStatuses.Failed)));
            var failedRows = await fixture.Audit.GetRecordsAsync(started.InstanceId, Datasets.Budget).ToListAsync();
            Assert.Equal(
                (await fixture.ResultsAsync(partly)).Where(r => r.Status == JournalStatuses.Failed).Select(r => $"entry {r.ExternalId} ({r.GroupKey})").Order(),
                failedRows.Where(r => r.Kind == RecordKinds.Failed).Select(r => r.Record).Order());
        }

        if (first.RuntimeStatus == OrchestrationRuntimeStatus.Failed)
        {
            RunAudit row = (await fixture.Audit.GetRunAsync(connection, started.InstanceId))!;
            Assert.Equal(RunStatuses.Failed, row.Status);
            Assert.False(string.IsNullOrEmpty(row.Error));
        }

        int exportsFirst = fixture.AnaplanRequests("POST", exportTasks) - exportsBefore;
        int structureFirst = fixture.AgentReads("/account-structure") - structureBefore;

        // The fault is cleared, and the run is rewound.
        await this.ClearAsync(fault, sage, secret);
        OrchestrationMetadata second = await fixture.RewindToEndAsync(started.InstanceId, $"{fault} fixed");
        Assert.True(second.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{fault}: the rewound run ended {second.RuntimeStatus}: {second.FailureDetails?.ErrorMessage}");
        BudgetRunSummary summary = second.ReadOutputAs<BudgetRunSummary>()!;
        Assert.Equal(started.InstanceId, summary.RunId);
        Assert.Equal(2, RecoveryFixture.AttemptOf(second));
        IReadOnlyList<EntryResult> results = await fixture.ResultsAsync(summary);
        Assert.True(summary.Status == RunStatuses.Completed, $"{fault}: the rewound run is {summary.Status}: {string.Join("; ", results.Select(r => $"{r.ExternalId} {r.Status} {r.Message}"))}");

        // Sage holds every planned entry once; what the first attempt posted was not created again.
        IReadOnlyList<JournalEntryInfo> inSage = BudgetSeed.Posted(sage);
        Assert.All(results, r => Assert.Single(inSage, e => e.ExternalId == r.ExternalId));
        Assert.Equal(inSage.Count, inSage.Select(e => e.ExternalId).Distinct().Count());
        Assert.True(results.Count > 0);
        Assert.All(postedFirst, id => Assert.Single(inSage, e => e.ExternalId == id));

        // The export ran again only when the first attempt had not got it; the Sage dimensions were read once.
        int exportsSecond = fixture.AnaplanRequests("POST", exportTasks) - exportsBefore - exportsFirst;
        Assert.True(exportsSecond == (fault is "export-task-fails" or "model-locked-at-export-start" ? 1 : 0), $"{fault}: the export was started {exportsFirst} + {exportsSecond} time(s)");
        Assert.True(structureFirst >= 1, $"{fault}: the first attempt did not read the account structure");
        Assert.True(fixture.AgentReads("/account-structure") - structureBefore - structureFirst == 0, $"{fault}: the rewound run read the Sage dimensions again");

        await fixture.AssertAuditedRewindAsync(connection, started.InstanceId, $"{fault} fixed", RunStatuses.Completed);
    }

    private static (string Connection, string Company, BudgetRunRequest Request) Case(string fault) => fault switch
    {
        // Each case its own company and periods: the model is shared by the class.
        "closed-period-refused" => ("bud-closed", "LNG", new BudgetRunRequest(Version: "Forecast")),
        "record-lock-exhausted" => ("bud-lock", "TST", new BudgetRunRequest(FiscalYear: "2027", FromPeriod: 1, ToPeriod: 2)),
        "batch-partly-locked" => ("bud-part", "TST", new BudgetRunRequest(FiscalYear: "2027", FromPeriod: 11, ToPeriod: 11)),
        "export-task-fails" => ("bud-export", "ABC", new BudgetRunRequest(FiscalYear: "2027", FromPeriod: 7, ToPeriod: 7)),
        "model-locked-at-export-start" => ("bud-423", "ABC", new BudgetRunRequest(FiscalYear: "2027", FromPeriod: 10, ToPeriod: 10)),
        "agent-key-rotated-after-export-start" => ("bud-key", "TST", new BudgetRunRequest(FiscalYear: "2027", FromPeriod: 9, ToPeriod: 9)),
        _ => throw new ArgumentOutOfRangeException(nameof(fault), fault, null),
    };

    /// <summary>Seeds the case's approved values and arms its fault; returns how the first attempt must end.</summary>
    private string Arm(string fault, SimulatedCompany sage)
    {
        var model = fixture.Environment.Anaplan.DefaultModel;
        switch (fault)
        {
            case "closed-period-refused":
                // One entry in an open period, one in a period Sage has closed: Sage refuses the latter.
                BudgetSeed.Seed(model, [new("40001000", "010", "FY2027-P06", "Forecast", 1500.00m), new("40001000", "010", "FY2026-P03", "Forecast", 30.00m)], "Forecast");
                return RunStatuses.CompletedWithRejections;
            case "record-lock-exhausted":
                // Every write finds the batch locked by another workstation, longer than the connector retries.
                BudgetSeed.Seed(model, [new("6000", "100", "FY2027-P01", "Budget", 100.00m), new("6000", "200", "FY2027-P02", "Budget", 200.00m)], "Budget");
                fixture.Environment.Sage.Faults(sage.Code).Set(new SimulatedFaultSettings(LockNextWrites: 100_000));
                return RunStatuses.CompletedWithFailures;
            case "batch-partly-locked":
                // Three entries in one batch; right after Sage took the first, another workstation locks the batch for
                // longer than the connector retries: the batch ends with one entry posted and two failed.
                BudgetSeed.Seed(
                    model,
                    [new("6000", "100", "FY2027-P11", "Budget", 110.00m), new("6000", "200", "FY2027-P11", "Budget", 120.00m), new("6000", "300", "FY2027-P11", "Budget", 130.00m)],
                    "Budget");
                fixture.AfterSageWrite.Arm(() => fixture.Environment.Sage.Faults(sage.Code).Set(new SimulatedFaultSettings(LockNextWrites: 100_000)));
                return RunStatuses.CompletedWithFailures;
            case "export-task-fails":
                // Anaplan cannot start the export: the run fails before planning.
                BudgetSeed.Seed(model, [new("610-02", "01", "FY2027-P07", "Budget", 250.00m)], "Budget");
                fixture.Environment.Anaplan.State.Faults.FailNext($"POST /2/0/workspaces/*/models/*/exports/{fixture.Export(new BudgetsFlowOptions().Export)}/tasks", 100_000, 500);
                return nameof(OrchestrationRuntimeStatus.Failed);
            case "model-locked-at-export-start":
                // Another user's action holds the model when the export task is started (423, once).
                BudgetSeed.Seed(model, [new("610-02", "01", "FY2027-P10", "Budget", 410.00m)], "Budget");
                fixture.Environment.Anaplan.State.Faults.FailNext($"POST /2/0/workspaces/*/models/*/exports/{fixture.Export(new BudgetsFlowOptions().Export)}/tasks", 1, 423);
                return nameof(OrchestrationRuntimeStatus.Failed);
            case "agent-key-rotated-after-export-start":
                // The agent's key is rotated once the export has started, after the Sage dimensions were read: planning, which
                // reads the company's periods, is refused (401) and the run fails before posting anything.
                BudgetSeed.Seed(model, [new("6000", "100", "FY2027-P09", "Budget", 90.00m), new("6000", "200", "FY2027-P09", "Budget", 95.00m)], "Budget");
                return nameof(OrchestrationRuntimeStatus.Failed);
            default:
                throw new ArgumentOutOfRangeException(nameof(fault), fault, null);
        }
    }

    /// <summary>The key rotation must hit after the Sage dimensions are read: waits for the export to start, then rotates.</summary>
    private async Task HitAfterExportStartsAsync(string fault, string exportTasks, int exportsBefore, string secret)
    {
        if (fault != "agent-key-rotated-after-export-start")
        {
            return;
        }

        // The export starts after the dimensions are read and at least a second before planning (its task is polled).
        await Eventually.TrueAsync(() => fixture.AnaplanRequests("POST", exportTasks) > exportsBefore, TimeSpan.FromMinutes(5), "the export starts");
        await fixture.SetSecretAsync(LocalEnvironment.SageApiKeyReference, "rotated-" + secret[..8]);
    }

    private async Task ClearAsync(string fault, SimulatedCompany sage, string secret)
    {
        fixture.Environment.Anaplan.State.Faults.Clear();
        fixture.Environment.Sage.Faults(sage.Code).Clear();
        await fixture.SetSecretAsync(LocalEnvironment.SageApiKeyReference, secret);
        if (fault == "closed-period-refused")
        {
            // The controller reopens FY2026 from period 1.
            sage.CurrentPeriodOverride = ("2026", 1);
        }
    }

    public sealed class Fixture : RecoveryFixture
    {
        /// <summary>Gets the hook the posting activities of this process call after each Sage write.</summary>
        public OnceAfterSageWrite AfterSageWrite { get; } = new();

        protected override void ConfigureServices(IServiceCollection services)
        {
            base.ConfigureServices(services);
            services.AddSingleton<IJournalPostingObserver>(this.AfterSageWrite);
        }

        protected override IEnumerable<ConnectionOptions> ConnectionsThroughGate(LocalEnvironment environment)
        {
            ConnectionOptions closed = environment.Connection("bud-closed", "LNG", "Location");
            closed.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "30000000-000", Version = "Forecast" };
            ConnectionOptions locked = environment.Connection("bud-lock", "TST", "Department");
            locked.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "3000-000", MaxParallelPosts = 2 };
            ConnectionOptions export = environment.Connection("bud-export", "ABC", "Department");
            export.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "300-00-00" };
            ConnectionOptions locked423 = environment.Connection("bud-423", "ABC", "Department");
            locked423.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "300-00-00" };
            ConnectionOptions key = environment.Connection("bud-key", "TST", "Department");
            key.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "3000-000" };
            ConnectionOptions part = environment.Connection("bud-part", "TST", "Department");
            part.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "3000-000", PostBatchSize = 10 };
            return [closed, locked, export, locked423, key, part];
        }
    }

    /// <summary>Runs an armed action once, right after the next Sage write of a posting batch (then disarms).</summary>
    public sealed class OnceAfterSageWrite : IJournalPostingObserver
    {
        private Action? armed;

        public void Arm(Action action) => Volatile.Write(ref this.armed, action);

        public void AfterSageWrite(string externalId) => Interlocked.Exchange(ref this.armed, null)?.Invoke();
    }
}

/// <summary>The rewind matrix's cases that do not wait out the posting retries (one class fixture for the four).</summary>
[StartEarly(2)]
public sealed class BudgetRewindQuickTests(BudgetRewindTests.Fixture fixture) : BudgetRewindTests(fixture), IClassFixture<BudgetRewindTests.Fixture>
{
    [Theory]
    [InlineData("closed-period-refused")]
    [InlineData("export-task-fails")]
    [InlineData("model-locked-at-export-start")]
    [InlineData("agent-key-rotated-after-export-start")]
    public Task FaultThenRewind_CompletesUnderTheSameId_EachEntryOnceInSage(string fault) => this.FaultThenRewindAsync(fault);
}

/// <summary>The rewind matrix's record lock longer than the retries (its own fixture: it waits out the posting retries).</summary>
[StartEarly(0)]
public sealed class BudgetRewindLockExhaustedTests(BudgetRewindTests.Fixture fixture) : BudgetRewindTests(fixture), IClassFixture<BudgetRewindTests.Fixture>
{
    [Theory]
    [InlineData("record-lock-exhausted")]
    public Task FaultThenRewind_CompletesUnderTheSameId_EachEntryOnceInSage(string fault) => this.FaultThenRewindAsync(fault);
}

/// <summary>The rewind matrix's batch locked after its first entry (its own fixture: it waits out the posting retries).</summary>
[StartEarly(0)]
public sealed class BudgetRewindPartlyLockedTests(BudgetRewindTests.Fixture fixture) : BudgetRewindTests(fixture), IClassFixture<BudgetRewindTests.Fixture>
{
    [Theory]
    [InlineData("batch-partly-locked")]
    public Task FaultThenRewind_CompletesUnderTheSameId_EachEntryOnceInSage(string fault) => this.FaultThenRewindAsync(fault);
}
