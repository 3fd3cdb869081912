using Connector.Agent.Backends;
using Connector.Agent.Backends.Simulated;
using Connector.Emulators.Anaplan.Model;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Connector.Orchestrations.Tests.Flows;
using Connector.Testing;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Connector.Orchestrations.Tests.Recovery;

/// <summary>
/// GL staged and imported in several files (<c>Actuals:GlRowsPerFile</c>), on the real local host, agent and emulator: a
/// run over the budget stages GL in several files, each imported once, and Anaplan equals Sage; the summary and the
/// audit show one GL dataset; files waiting for the model lock go in one import; a rewind after an import failed loads only
/// that import's files; a replay of such a run loads every file again; a run whose rows are summed into cells stays one file. The connections page the agent about
/// 1/12th of the run's GL rows at a time and cut a file after 4 pages, so a run has 3 or 4 files.
/// </summary>
public sealed class GlFilesTests(GlFilesTests.Fixture fixture) : IClassFixture<GlFilesTests.Fixture>
{
    private static readonly (string Year, int Period)[] RunPeriods = [("2026", 10), ("2026", 11)];
    private static readonly string[] RunPeriodCodes = ["FY2026-P10", "FY2026-P11"];

    [Fact]
    public async Task LargeGl_StagedAndImportedInSeveralFiles_OnceEach_AnaplanEqualsSage_OneDatasetInTheSummary_AndAReplayLoadsEveryFile()
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        ImportDefinition gl = fixture.Import("GL Actuals from Sage");
        string readBack = fixture.Export(LocalEnvironment.GlReadBackExport);
        int imports = this.GlImports(gl), chunks = this.GlChunks(gl), readBacks = fixture.AnaplanRequests("POST", $"/exports/{readBack}/tasks");

        ActualsRunSummary run = await fixture.RunActualsAsync("gl-split", timeout: TimeSpan.FromMinutes(6));

        Assert.Equal(RunStatuses.Completed, run.Status);
        var expected = SimulatedTruth.GlCells(abc, '-', 3, RunPeriods);
        SimulatedTruth.AssertSameCells(expected, SimulatedTruth.ModelGl(fixture.Model, RunPeriodCodes));
        Assert.Empty(fixture.Model.Violations); // no two actions ran on the model at once

        // One GL dataset: every file's rows, chunks and tasks (files waiting for the lock go in one import), reconciled once
        // against one read-back after the last import.
        DatasetSummary summary = run.Datasets.Single(d => d.Dataset == Datasets.GlActuals);
        Assert.True(summary.Files >= 3, $"GL went in {summary.Files} file(s)");
        string[] tasks = summary.ImportTaskId!.Split(", ");
        Assert.Equal(tasks.Length, tasks.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(tasks.Length, this.GlImports(gl) - imports); // each import once
        Assert.InRange(tasks.Length, 1, summary.Files);
        Assert.Equal(1, fixture.AnaplanRequests("POST", $"/exports/{readBack}/tasks") - readBacks);
        Assert.Equal(fixture.GlRows, summary.Read);
        Assert.Equal(expected.Count, summary.Staged);
        Assert.Equal(expected.Count, summary.Accepted); // every row in exactly one import
        Assert.Equal(summary.Parts, this.GlChunks(gl) - chunks); // the chunks uploaded, each once
        Assert.Equal(ReconciliationStatuses.Reconciled, summary.Reconciliation?.Status);
        Assert.Equal(expected.Count, summary.Reconciliation!.CellsCompared);

        // The audit row says the same, files included.
        DatasetAudit audit = (await fixture.Audit.GetDatasetsAsync(run.RunId)).Single(d => d.Dataset == Datasets.GlActuals);
        Assert.Equal(summary.Files, audit.Counts["files"]);
        Assert.Equal(expected.Count, audit.Counts["accepted"]);
        Assert.Equal(summary.ImportTaskId, audit.Details["ImportTaskId"]);

        // A replay of the run's GL loads every file again from staging, without reading Sage, and reconciles once.
        int glReads = fixture.AgentReads("/gl/period-balances");
        imports = this.GlImports(gl);
        RecoveryRunResult replay = await fixture.Recovery.ReplayDatasetAsync(run.RunId, Datasets.GlActuals, "check the split replays", "recovery test");
        OrchestrationMetadata replayed = await fixture.WaitAsync(replay.RunId, TimeSpan.FromMinutes(5));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, replayed.RuntimeStatus);
        DatasetSummary again = Assert.Single(replayed.ReadOutputAs<ActualsRunSummary>()!.Datasets);
        Assert.Equal(DatasetStatuses.Loaded, again.Status);
        Assert.Equal(expected.Count, again.Accepted);
        Assert.Equal(ReconciliationStatuses.Reconciled, again.Reconciliation?.Status);
        int most = new ConnectionOptions().Actuals.GlFilesPerImport;
        Assert.Equal((summary.Files + most - 1) / most, this.GlImports(gl) - imports); // every file staged: as few imports as can take them
        Assert.Equal(glReads, fixture.AgentReads("/gl/period-balances"));
        SimulatedTruth.AssertSameCells(expected, SimulatedTruth.ModelGl(fixture.Model, RunPeriodCodes));
    }

    [Fact]
    public async Task SecondImportFails_ThenRewind_LoadsOnlyWhatItTook_NothingExtractedOrImportedTwice()
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        ImportDefinition gl = fixture.Import("GL Actuals from Sage");
        EmulatedModel model = fixture.Model;
        int imports = this.GlImports(gl), glReads = fixture.AgentReads("/gl/period-balances");

        // The second GL import (one file or the two that waited) fails: it is held in progress until the failure is armed,
        // and takes the failure when released. (The hold is taken once the first import has started; the second starts
        // only after the first's status check.)
        StartRunResult started = await fixture.Starter.StartActualsAsync("gl-split-rewind", "test", new ActualsRunRequest());
        await Eventually.TrueAsync(() => Task.FromResult(this.GlImports(gl) >= imports + 1), TimeSpan.FromMinutes(5), "the first GL import starts");
        int chunksBefore = this.GlChunks(gl);
        int failedChunks;
        using (model.HoldTasks(gl.Name))
        {
            await Eventually.TrueAsync(() => Task.FromResult(this.GlImports(gl) >= imports + 2), TimeSpan.FromMinutes(5), "the second GL import starts");
            failedChunks = this.GlChunks(gl) - chunksBefore; // what the second import uploaded (the lock keeps the third's upload after it)
            fixture.Environment.Anaplan.State.Faults.FailNextImportRun(gl.Name);
        }

        OrchestrationMetadata first = await fixture.WaitAsync(started.InstanceId, TimeSpan.FromMinutes(6));
        ActualsRunSummary failed = first.ReadOutputAs<ActualsRunSummary>()!;
        Assert.Equal(RunStatuses.CompletedWithFailures, failed.Status);
        DatasetSummary failedGl = failed.Datasets.Single(d => d.Dataset == Datasets.GlActuals);
        Assert.Equal(DatasetStatuses.Failed, failedGl.Status);
        int files = failedGl.Files;
        Assert.True(files >= 3, $"GL went in {files} file(s)");
        Assert.InRange(this.GlImports(gl) - imports, 2, files);
        Assert.True(failedChunks >= 1);
        (int imports1, int chunks1, int reads1) = (this.GlImports(gl), this.GlChunks(gl), fixture.AgentReads("/gl/period-balances"));
        Assert.True(reads1 > glReads);

        // Every GL period is owed to the next run until the rewind gets the failed import's files in.
        Watermark? owed = await fixture.Services.GetRequiredService<WatermarkStore>().GetAsync("gl-split-rewind", Datasets.GlActuals);
        Assert.Equal(RunPeriodCodes, owed!.PendingPeriods!.Select(p => p.PeriodCode).Order(StringComparer.Ordinal));

        fixture.Environment.Anaplan.State.Faults.Clear();
        OrchestrationMetadata second = await fixture.RewindToEndAsync(started.InstanceId, "GL import fixed");

        Assert.True(second.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"the rewound run ended {second.RuntimeStatus}: {second.FailureDetails?.ErrorMessage}");
        ActualsRunSummary summary = second.ReadOutputAs<ActualsRunSummary>()!;
        Assert.Equal(RunStatuses.Completed, summary.Status);
        DatasetSummary loaded = summary.Datasets.Single(d => d.Dataset == Datasets.GlActuals);
        Assert.Equal(files, loaded.Files);
        Assert.Equal(ReconciliationStatuses.Reconciled, loaded.Reconciliation?.Status);

        // No file was extracted again; only the failed import's files were uploaded and imported again, as one import.
        Assert.Equal(reads1, fixture.AgentReads("/gl/period-balances"));
        Assert.Equal(1, this.GlImports(gl) - imports1);
        Assert.Equal(failedChunks, this.GlChunks(gl) - chunks1);
        var expected = SimulatedTruth.GlCells(abc, '-', 3, RunPeriods);
        SimulatedTruth.AssertSameCells(expected, SimulatedTruth.ModelGl(model, RunPeriodCodes));
        Assert.Equal(expected.Count, loaded.Accepted);
        Assert.Empty((await fixture.Services.GetRequiredService<WatermarkStore>().GetAsync("gl-split-rewind", Datasets.GlActuals))!.PendingPeriods ?? []);
        Assert.Empty(model.Violations);
        await fixture.AssertAuditedRewindAsync("gl-split-rewind", started.InstanceId, "GL import fixed", RunStatuses.Completed);
    }

    [Fact]
    public async Task GlFilesWaitingForTheLock_GoInOneImport_OneHeader_AnaplanEqualsSage()
    {
        // AP's import is held in progress: the model lock stays with it while GL is extracted (speculatively, up to 8 files
        // ahead), so every GL file is waiting when the lock comes free, and they go in one import.
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        ImportDefinition gl = fixture.Import("GL Actuals from Sage");
        int imports = this.GlImports(gl), chunks = this.GlChunks(gl);
        StartRunResult started;
        using (fixture.Model.HoldTasks(new ConnectionOptions().Actuals.Imports.ApActuals))
        {
            started = await fixture.Starter.StartActualsAsync("gl-batch", "test", new ActualsRunRequest());
            await Eventually.TrueAsync(
                async () => (await fixture.Steps.GetAsync(started.InstanceId)).Any(s => (s.Key.StartsWith(StepKeys.Extract(Datasets.GlActuals), StringComparison.Ordinal) || s.Key.StartsWith(StepKeys.Provisional(StepKeys.Extract(Datasets.GlActuals)), StringComparison.Ordinal))
                    && s.Value.Read<DatasetManifest>() is { Resume: null }),
                TimeSpan.FromMinutes(5),
                "every GL file is staged");
        }

        OrchestrationMetadata done = await fixture.WaitAsync(started.InstanceId, TimeSpan.FromMinutes(6));
        ActualsRunSummary run = done.ReadOutputAs<ActualsRunSummary>()!;
        Assert.Equal(RunStatuses.Completed, run.Status);
        DatasetSummary summary = run.Datasets.Single(d => d.Dataset == Datasets.GlActuals);
        Assert.True(summary.Files >= 3 && summary.Files <= new ConnectionOptions().Actuals.GlFilesPerImport, $"GL went in {summary.Files} file(s)");
        Assert.Equal(1, this.GlImports(gl) - imports);
        Assert.Single(summary.ImportTaskId!.Split(", "));

        // One upload: the first file's parts, then each later file's rows without its header part.
        Assert.Equal(summary.Parts, this.GlChunks(gl) - chunks);
        Assert.Equal(1 + (summary.Files - 1), summary.Parts); // each file's rows are one chunk here
        var expected = SimulatedTruth.GlCells(abc, '-', 3, RunPeriods);
        SimulatedTruth.AssertSameCells(expected, SimulatedTruth.ModelGl(fixture.Model, RunPeriodCodes));
        Assert.Equal(expected.Count, summary.Accepted);
        Assert.Equal(0, summary.Failed);
        Assert.Equal(ReconciliationStatuses.Reconciled, summary.Reconciliation?.Status);
        Assert.Empty(fixture.Model.Violations);
    }

    [Fact]
    public async Task RowsSummedIntoCells_StayOneFile_OverTheBudget_AndEachCellGetsItsSum()
    {
        // Two of the company's cost centres on one Anaplan cost centre: rows of different Sage accounts land in one cell.
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        ImportDefinition gl = fixture.Import("GL Actuals from Sage");
        var truth = SimulatedTruth.GlCells(abc, '-', 3, RunPeriods);
        string[] shared = [.. truth.Keys.GroupBy(k => k.Account).First(g => g.Select(k => k.CostCenter).Distinct().Count() > 1).Select(k => k.CostCenter).Distinct().Order(StringComparer.Ordinal).Take(2)];
        (string kept, string merged) = (shared[0], shared[1]);
        await fixture.Storage.EnsureCreatedAsync();
        await fixture.Mappings.SetAsync("gl-aggregate", MappingDimensions.CostCenter, merged, kept, "test", "two cost centres on one", DateTimeOffset.UtcNow);

        // The model as it stands when the mapping was there from the start: no GL on the merged cost centre. (Other tests'
        // runs load it; the read-back would rightly show those cells as differences, Sage no longer sending them.)
        foreach (CellSnapshot cell in fixture.Model.GetCells("GL Actuals").Where(c => c.Members[1] == merged && RunPeriodCodes.Contains(c.Members[2])))
        {
            fixture.Model.SetCell("GL Actuals", cell.Members, cell.LineItem, null);
        }
        int imports = this.GlImports(gl);

        ActualsRunSummary run = await fixture.RunActualsAsync("gl-aggregate", timeout: TimeSpan.FromMinutes(6));

        Assert.Equal(RunStatuses.Completed, run.Status);
        DatasetSummary summary = run.Datasets.Single(d => d.Dataset == Datasets.GlActuals);
        Assert.Equal(1, summary.Files);
        Assert.Equal(1, this.GlImports(gl) - imports);
        Assert.Equal(fixture.GlRows, summary.Read); // over the budget, read whole into one file
        IReadOnlyDictionary<string, RecordedStep> steps = await fixture.Steps.GetAsync(run.RunId);
        Assert.Contains(StepKeys.Extract(Datasets.GlActuals), steps.Keys);
        Assert.DoesNotContain(steps.Keys, k => k.StartsWith(StepKeys.Extract(Datasets.GlActuals) + ":", StringComparison.Ordinal));

        var expected = new Dictionary<(string Account, string CostCenter, string Period), (decimal Debit, decimal Credit, decimal Net)>();
        foreach (((string account, string costCenter, string period), (decimal d, decimal c, decimal n)) in truth)
        {
            var key = (account, costCenter == merged ? kept : costCenter, period);
            (decimal d0, decimal c0, decimal n0) = expected.GetValueOrDefault(key);
            expected[key] = (d0 + d, c0 + c, n0 + n);
        }

        Assert.True(expected.Count < truth.Count, "the mapping puts some rows in one cell");
        var inModel = SimulatedTruth.ModelGl(fixture.Model, RunPeriodCodes).Where(c => c.Key.CostCenter != merged).ToDictionary(c => c.Key, c => c.Value);
        SimulatedTruth.AssertSameCells(expected, inModel);
        Assert.Equal(ReconciliationStatuses.Reconciled, summary.Reconciliation?.Status);
    }

    private int GlImports(ImportDefinition gl) => fixture.AnaplanRequests("POST", $"/imports/{gl.Id}/tasks");

    private int GlChunks(ImportDefinition gl) => fixture.AnaplanRequests("PUT", $"/files/{gl.ImportDataSourceId}/chunks/");

    public sealed class Fixture : RecoveryFixture
    {
        /// <summary>Gets the GL rows of the runs' periods (2026 P10–P11) in the simulated company.</summary>
        public long GlRows { get; private set; }

        protected override IEnumerable<ConnectionOptions> ConnectionsThroughGate(LocalEnvironment environment)
        {
            ArgumentNullException.ThrowIfNull(environment);
            IReadOnlyList<PeriodBalanceRow> rows = environment.Sage.Company("ABC").GetPeriodBalances("2026", 10, 11, null, int.MaxValue);
            this.GlRows = rows.Count;
            foreach (string id in (string[])["gl-split", "gl-split-rewind", "gl-aggregate", "gl-batch"])
            {
                ConnectionOptions connection = environment.Connection(id, "ABC", "Department");
                connection.Sage.PageSize = Math.Max(1, rows.Count / 12);
                connection.Actuals.GlRowsPerFile = 4 * connection.Sage.PageSize;
                if (id == "gl-split-rewind")
                {
                    connection.Actuals.GlFilesPerImport = 2; // 3 or 4 files: at least two imports, whenever the files are staged
                }

                yield return connection;
            }
        }
    }
}
