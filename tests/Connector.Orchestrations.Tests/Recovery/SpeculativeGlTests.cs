using Connector.Agent.Backends.Simulated;
using Connector.Emulators.Anaplan.Model;
using Connector.Local.Demo;
using Connector.Local.Hosting;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Flows.Anaplan;
using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Connector.Orchestrations.Tests.Flows;
using Connector.Testing;
using DurableTask.AzureStorage;
using DurableTask.Core.History;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Connector.Orchestrations.Tests.Recovery;

/// <summary>
/// GL staged speculatively while the dimensions are aligned, and extracted ahead of its loads, on the real local host,
/// agent and emulator (GL in 3 or 4 files, as in <see cref="GlFilesTests"/>). The run's history shows the first GL
/// extraction scheduled before the accounts list load completed, and the third file's extraction done while the first
/// file's import is still in progress; the speculative files are confirmed and Anaplan equals Sage.
/// </summary>
public sealed class SpeculativeGlTests(SpeculativeGlTests.Fixture fixture) : IClassFixture<SpeculativeGlTests.Fixture>
{
    internal static readonly (string Year, int Period)[] RunPeriods = [("2026", 10), ("2026", 11)];
    internal static readonly string[] RunPeriodCodes = ["FY2026-P10", "FY2026-P11"];

    [Fact]
    public async Task FirstGlExtraction_StartsBeforeTheAccountsListIsLoaded_Confirmed_EachFileImportedOnce_AnaplanEqualsSage()
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        ImportDefinition gl = fixture.Import("GL Actuals from Sage");
        int imports = fixture.AnaplanRequests("POST", $"/imports/{gl.Id}/tasks");

        ActualsRunSummary run = await fixture.RunActualsAsync("spec-split", timeout: TimeSpan.FromMinutes(6));

        Assert.Equal(RunStatuses.Completed, run.Status);
        var expected = SimulatedTruth.GlCells(abc, '-', 3, RunPeriods);
        SimulatedTruth.AssertSameCells(expected, SimulatedTruth.ModelGl(fixture.Model, RunPeriodCodes));
        Assert.Empty(fixture.Model.Violations);
        DatasetSummary summary = run.Datasets.Single(d => d.Dataset == Datasets.GlActuals);
        Assert.True(summary.Files >= 3, $"GL went in {summary.Files} file(s)");
        int glImports = summary.ImportTaskId!.Split(", ").Length; // files waiting for the lock go in one import
        Assert.Equal(glImports, fixture.AnaplanRequests("POST", $"/imports/{gl.Id}/tasks") - imports);
        Assert.InRange(glImports, 1, summary.Files);
        Assert.Equal(expected.Count, summary.Accepted);
        Assert.Equal(ReconciliationStatuses.Reconciled, summary.Reconciliation?.Status);

        // History: the first GL extraction was scheduled before the accounts list's load ended (and so before the
        // alignment sub-orchestration ended, in the run's own order of events).
        IReadOnlyList<RunHistoryEvent> history = await fixture.HistoryAsync(run.RunId);
        List<RunHistoryEvent> parent = [.. history.Where(e => e.InstanceId == run.RunId)];
        int firstExtraction = parent.FindIndex(e => e.Type == EventType.TaskScheduled && e.Name == nameof(ExtractGlActualsActivity));
        int dimensionsCreated = parent.Single(e => e.Type == EventType.SubOrchestrationInstanceCreated && e.Name == nameof(DimensionAlignmentOrchestrator)).EventId;
        int dimensionsDone = parent.FindIndex(e => e.Type == EventType.SubOrchestrationInstanceCompleted && e.ScheduledId == dimensionsCreated);
        Assert.True(firstExtraction >= 0 && dimensionsDone >= 0);
        Assert.True(firstExtraction < dimensionsDone, $"the first GL extraction (event {firstExtraction}) was scheduled after the alignment ended (event {dimensionsDone})");
        RunHistoryEvent accountsLoaded = history.Single(e => e.InstanceId == RunIds.SubRun(RunIds.SubRun(run.RunId, "dimensions"), Datasets.Accounts) && e.Type == EventType.ExecutionCompleted);
        Assert.True(parent[firstExtraction].Timestamp < accountsLoaded.Timestamp, "the first GL extraction was scheduled after the accounts list load completed");

        // The speculative files stood: confirmed, none discarded, none extracted twice.
        IReadOnlyDictionary<string, RecordedStep> steps = await fixture.Steps.GetAsync(run.RunId);
        Assert.True(new RecordedSteps(steps).Get<GlSpeculation>(StepKeys.GlSpeculation)?.Confirmed);
        Assert.DoesNotContain(history, e => e.Name == nameof(DiscardProvisionalGlActivity));
        Assert.Equal(summary.Files, parent.Count(e => e.Type == EventType.TaskScheduled && e.Name == nameof(ExtractGlActualsActivity)));
    }

    [Fact]
    public async Task WhileTheFirstFilesImportIsInProgress_TheThirdFileIsExtracted_ThenEveryFileLoadsInOrder()
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        ImportDefinition gl = fixture.Import("GL Actuals from Sage");
        string instance;
        int completed = fixture.Model.GetTasks().Count(t => t.ActionId == gl.Id && t.State == "COMPLETE");

        // Every GL import is held in progress (the model busy) until the third file is staged: on the old flow, the third
        // extraction waited for the first file's load, so this never happened.
        using (fixture.Model.HoldTasks(gl.Name))
        {
            StartRunResult started = await fixture.Starter.StartActualsAsync("spec-ahead", "test", new ActualsRunRequest());
            instance = started.InstanceId;
            await Eventually.TrueAsync(
                async () => (await fixture.Steps.GetAsync(instance)).Keys.Any(k => k.EndsWith(StepKeys.Extract(StepKeys.File(Datasets.GlActuals, 3)), StringComparison.Ordinal)),
                TimeSpan.FromMinutes(2),
                "the third GL file is staged while the first file's import is held in progress");
            Assert.Equal(completed, fixture.Model.GetTasks().Count(t => t.ActionId == gl.Id && t.State == "COMPLETE")); // none of this run's GL imports ended
        }

        OrchestrationMetadata done = await fixture.WaitAsync(instance, TimeSpan.FromMinutes(6));
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"the run ended {done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage}");
        ActualsRunSummary run = done.ReadOutputAs<ActualsRunSummary>()!;
        Assert.Equal(RunStatuses.Completed, run.Status);
        SimulatedTruth.AssertSameCells(SimulatedTruth.GlCells(abc, '-', 3, RunPeriods), SimulatedTruth.ModelGl(fixture.Model, RunPeriodCodes));
        Assert.Empty(fixture.Model.Violations);

        // History: the third extraction was scheduled before the first GL import's load (file 1, with any files that
        // waited) completed.
        IReadOnlyList<RunHistoryEvent> history = await fixture.HistoryAsync(run.RunId);
        RunHistoryEvent third = history.Where(e => e.InstanceId == run.RunId && e.Type == EventType.TaskScheduled && e.Name == nameof(ExtractGlActualsActivity)).ElementAt(2);
        string[] firstImport = [GlFiles.BatchName(1, 1), .. Enumerable.Range(2, 7).Select(last => GlFiles.BatchName(1, last))];
        RunHistoryEvent firstLoaded = history.Single(e => firstImport.Any(n => e.InstanceId == RunIds.SubRun(run.RunId, n)) && e.Type == EventType.ExecutionCompleted);
        Assert.True(third.Timestamp < firstLoaded.Timestamp, "the third GL file's extraction was scheduled after the first file's load completed");
    }

    public sealed class Fixture : SpeculativeFixture
    {
        protected override IEnumerable<string> ConnectionIds => ["spec-split", "spec-ahead"];
    }
}

/// <summary>
/// The speculative GL files discarded: the model's Accounts import updates existing items only and the model lacks one
/// account item the company's GL uses, so the alignment finds an account the Sage side counted as valid missing from
/// Anaplan. Its rows are rejected with one audit row each, exactly once; the other rows load; no audit row of the
/// discarded files is left. And a run that fails after GL was staged speculatively (the list read-back refused), then is
/// rewound, ends the same way, without ever importing the unconfirmed files.
/// </summary>
public sealed class SpeculativeGlDiscardTests(SpeculativeGlDiscardTests.Fixture fixture) : IClassFixture<SpeculativeGlDiscardTests.Fixture>
{
    [Fact]
    public async Task AccountItemMissingInAnaplan_SpeculativeFilesDiscarded_ItsRowsRejectedAndAuditedOnce_OthersLoad_TheNextRunStagesGlOnceAfterItsAlignment()
    {
        (string refused, var expected) = fixture.PrepareModel();

        ActualsRunSummary run = await fixture.RunActualsAsync("spec-refused", timeout: TimeSpan.FromMinutes(6));

        Assert.Equal(RunStatuses.CompletedWithRejections, run.Status);
        await this.AssertRejectedOnceAsync(run, refused, expected);
        Assert.False(new RecordedSteps(await fixture.Steps.GetAsync(run.RunId)).Get<GlSpeculation>(StepKeys.GlSpeculation)?.Confirmed);
        IReadOnlyList<RunHistoryEvent> history = await fixture.HistoryAsync(run.RunId);
        Assert.Single(history, e => e.Type == EventType.TaskScheduled && e.Name == nameof(DiscardProvisionalGlActivity));

        // The next run of the connection: the model still refuses the item, so GL is not staged before the alignment (it
        // would be discarded and staged again, as above): each file is extracted once, after the alignment is built.
        ActualsRunSummary next = await fixture.RunActualsAsync("spec-refused", timeout: TimeSpan.FromMinutes(6));

        Assert.Equal(RunStatuses.CompletedWithRejections, next.Status);
        await this.AssertRejectedOnceAsync(next, refused, expected);
        Assert.Null(new RecordedSteps(await fixture.Steps.GetAsync(next.RunId)).Get<GlSpeculation>(StepKeys.GlSpeculation));
        history = await fixture.HistoryAsync(next.RunId);
        Assert.DoesNotContain(history, e => e.Name == nameof(DiscardProvisionalGlActivity));
        List<RunHistoryEvent> parent = [.. history.Where(e => e.InstanceId == next.RunId)];
        int firstExtraction = parent.FindIndex(e => e.Type == EventType.TaskScheduled && e.Name == nameof(ExtractGlActualsActivity));
        int dimensionsCreated = parent.Single(e => e.Type == EventType.SubOrchestrationInstanceCreated && e.Name == nameof(DimensionAlignmentOrchestrator)).EventId;
        int dimensionsDone = parent.FindIndex(e => e.Type == EventType.SubOrchestrationInstanceCompleted && e.ScheduledId == dimensionsCreated);
        Assert.True(dimensionsDone >= 0 && firstExtraction > dimensionsDone, $"the first GL extraction (event {firstExtraction}) was scheduled before the alignment ended (event {dimensionsDone})");
        Assert.Equal(next.Datasets.Single(d => d.Dataset == Datasets.GlActuals).Files, parent.Count(e => e.Type == EventType.TaskScheduled && e.Name == nameof(ExtractGlActualsActivity)));
    }

    [Fact]
    public async Task ListReadFailsAfterGlWasStagedSpeculatively_NothingImported_ThenRewind_DiscardsAndRestages_RowsRejectedOnce()
    {
        (string refused, var expected) = fixture.PrepareModel();
        ImportDefinition gl = fixture.Import("GL Actuals from Sage");
        int imports = fixture.AnaplanRequests("POST", $"/imports/{gl.Id}/tasks");

        // The list read-back is refused (403, no fallback export): the alignment cannot be built and the run fails, after
        // the GL extraction that started with it has ended.
        fixture.Environment.Anaplan.State.Faults.FailNext("GET /2/0/**/lists/*/items", 1000, 403);
        OrchestrationMetadata first;
        try
        {
            first = await fixture.RunActualsToEndAsync("spec-rewind", timeout: TimeSpan.FromMinutes(6));
        }
        finally
        {
            fixture.Environment.Anaplan.State.Faults.Clear();
        }

        Assert.Equal(OrchestrationRuntimeStatus.Failed, first.RuntimeStatus);
        IReadOnlyDictionary<string, RecordedStep> steps = await fixture.Steps.GetAsync(first.InstanceId);
        Assert.Contains(steps.Keys, k => k.StartsWith(StepKeys.Provisional(StepKeys.Extract(Datasets.GlActuals)), StringComparison.Ordinal));
        Assert.DoesNotContain(StepKeys.GlSpeculation, steps.Keys);
        Assert.Equal(imports, fixture.AnaplanRequests("POST", $"/imports/{gl.Id}/tasks"));

        OrchestrationMetadata second = await fixture.RewindToEndAsync(first.InstanceId, "list read fixed");

        Assert.True(second.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"the rewound run ended {second.RuntimeStatus}: {second.FailureDetails?.ErrorMessage}");
        ActualsRunSummary run = second.ReadOutputAs<ActualsRunSummary>()!;
        Assert.Equal(RunStatuses.CompletedWithRejections, run.Status);
        await this.AssertRejectedOnceAsync(run, refused, expected);
        Assert.False(new RecordedSteps(await fixture.Steps.GetAsync(run.RunId)).Get<GlSpeculation>(StepKeys.GlSpeculation)?.Confirmed);
        DatasetSummary glSummary = run.Datasets.Single(d => d.Dataset == Datasets.GlActuals);
        Assert.Equal(glSummary.ImportTaskId!.Split(", ").Length, fixture.AnaplanRequests("POST", $"/imports/{gl.Id}/tasks") - imports);
        Assert.InRange(fixture.AnaplanRequests("POST", $"/imports/{gl.Id}/tasks") - imports, 1, glSummary.Files);
    }

    private async Task AssertRejectedOnceAsync(
        ActualsRunSummary run, string refused, Dictionary<(string Account, string CostCenter, string Period), (decimal Debit, decimal Credit, decimal Net)> expected)
    {
        var rejectedCells = expected.Where(c => c.Key.Account == refused).ToList();
        Assert.NotEmpty(rejectedCells);
        var model = SimulatedTruth.ModelGl(fixture.Model, SpeculativeGlTests.RunPeriodCodes);
        SimulatedTruth.AssertSameCells(expected.Where(c => c.Key.Account != refused).ToDictionary(), model.Where(c => c.Key.Account != refused).ToDictionary());
        Assert.DoesNotContain(model.Keys, k => k.Account == refused);

        DatasetSummary gl = run.Datasets.Single(d => d.Dataset == Datasets.GlActuals);
        Assert.True(gl.Files >= 3, $"GL went in {gl.Files} file(s)");
        Assert.Equal(DatasetStatuses.Loaded, gl.Status);
        Assert.Equal(rejectedCells.Count, gl.Rejected);
        Assert.Equal(expected.Count - rejectedCells.Count, gl.Accepted);
        Assert.Equal(ReconciliationStatuses.Reconciled, gl.Reconciliation?.Status);

        // One audit row per rejected row, numbered 1..n: none left from the discarded files, none twice.
        var audited = await fixture.Audit.GetRecordsAsync(run.RunId, Datasets.GlActuals).ToListAsync();
        Assert.Equal(rejectedCells.Count, audited.Count);
        Assert.Equal(Enumerable.Range(1, rejectedCells.Count).Select(i => (long)i), audited.Select(r => r.Sequence).Order());
        Assert.Equal(
            rejectedCells.Select(c => c.Key.Period).Order(StringComparer.Ordinal),
            audited.Select(r => r.Record.Split(" / ")[1]).Order(StringComparer.Ordinal));
        Assert.All(audited, r =>
        {
            Assert.Equal(RecordKinds.Rejected, r.Kind);
            Assert.Equal("Account", r.Field);
            Assert.Contains($"account item '{refused}' does not exist in the Anaplan Accounts list", r.Reason, StringComparison.Ordinal);
        });
    }

    public sealed class Fixture : SpeculativeFixture
    {
        protected override IEnumerable<string> ConnectionIds => ["spec-refused", "spec-rewind"];

        protected override LocalEnvironmentOptions EnvironmentOptions(string storage)
            => new()
            {
                StorageConnectionString = storage,
                ConfigureAgentLogging = b => b.AddProvider(this.AgentLog).SetMinimumLevel(LogLevel.Information),
                ConfigureAnaplan = ImportsCreatingNoItems("Accounts from Sage"),
            };
    }
}

/// <summary>Connections to the simulated ABC company that stage GL in 3 or 4 files (as <see cref="GlFilesTests"/>'), and the run's history.</summary>
public abstract class SpeculativeFixture : RecoveryFixture
{
    private readonly Lock sync = new();
    private (string Refused, Dictionary<(string Account, string CostCenter, string Period), (decimal Debit, decimal Credit, decimal Net)> Expected)? prepared;

    /// <summary>Gets the ids of the test class's connections.</summary>
    protected abstract IEnumerable<string> ConnectionIds { get; }

    /// <summary>
    /// Puts every account item the runs' GL uses in the model's Accounts list but one (with the accounts import creating
    /// no items, <see cref="ConnectorFlowFixture.ImportsCreatingNoItems"/>, the import creates none), and returns that one with Sage's GL cells of
    /// the runs' periods (<see cref="SpeculativeGlTests.RunPeriods"/>).
    /// </summary>
    public (string Refused, Dictionary<(string Account, string CostCenter, string Period), (decimal Debit, decimal Credit, decimal Net)> Expected) PrepareModel()
    {
        lock (this.sync)
        {
            if (this.prepared is null)
            {
                var expected = SimulatedTruth.GlCells(this.Environment.Sage.Company("ABC"), '-', 3, SpeculativeGlTests.RunPeriods);
                string[] accounts = [.. expected.Keys.Select(k => k.Account).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
                foreach (string account in accounts[..^1])
                {
                    this.Model.AddListItem("Accounts", account, account);
                }

                this.prepared = (accounts[^1], expected);
            }

            return this.prepared.Value;
        }
    }

    /// <summary>The durable history of a run and its sub-orchestrations.</summary>
    public Task<IReadOnlyList<RunHistoryEvent>> HistoryAsync(string runId)
        => RunHistory.ReadAsync(this.Services.GetRequiredService<AzureStorageOrchestrationService>(), this.Client, runId);

    protected override IEnumerable<ConnectionOptions> ConnectionsThroughGate(LocalEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        int rows = environment.Sage.Company("ABC").GetPeriodBalances("2026", 10, 11, null, int.MaxValue).Count;
        foreach (string id in this.ConnectionIds)
        {
            ConnectionOptions connection = environment.Connection(id, "ABC", "Department");
            connection.Sage.PageSize = Math.Max(1, rows / 12);
            connection.Actuals.GlRowsPerFile = 4 * connection.Sage.PageSize;
            yield return connection;
        }
    }
}
