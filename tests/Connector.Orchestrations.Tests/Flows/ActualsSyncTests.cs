using System.Text.RegularExpressions;
using Connector.Agent.Backends.Simulated;
using Connector.Emulators.Anaplan.Model;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Connector.Testing;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>
/// The main flow end to end: agent over HTTPS (simulated ABC, 3 segments Main-Division-Department) → local durable
/// host → Anaplan emulator; then the incremental behaviour over successive runs.
/// </summary>
public sealed class ActualsSyncTests(ActualsSyncTests.Fixture fixture) : IClassFixture<ActualsSyncTests.Fixture>
{
    [Fact]
    public async Task Runs_LoadEveryCell_ThenOnlyChanges()
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        EmulatedModel model = fixture.Environment.Anaplan.DefaultModel;

        // Run 1: everything lands, cell for cell.
        ActualsRunSummary first = await fixture.RunActualsAsync("abc");
        Assert.Equal(RunStatuses.Completed, first.Status);
        Assert.Equal(["FY2026-P10", "FY2026-P11"], first.Periods); // current period and the one before it

        var expectedGl = SimulatedTruth.GlCells(abc, '-', 3, [("2026", 10), ("2026", 11)]);
        SimulatedTruth.AssertSameCells(expectedGl, SimulatedTruth.ModelGl(model, first.Periods));
        SimulatedTruth.AssertSameCells(SimulatedTruth.ApCells(abc), SimulatedTruth.ModelAp(model));
        Dictionary<string, string> vendors = SimulatedTruth.Vendors(abc);
        Assert.Equal(vendors.OrderBy(v => v.Key), model.GetListItems("Vendors").Select(i => KeyValuePair.Create(i.Code, i.Name)).OrderBy(v => v.Key));

        // Control totals: what Sage holds = what the summary says was read = what was read back from Anaplan.
        DatasetSummary gl = first.Datasets.Single(d => d.Dataset == Datasets.GlActuals);
        Assert.Equal(ReconciliationStatuses.Reconciled, gl.Reconciliation?.Status);
        Assert.Equal(expectedGl.Count, gl.Reconciliation!.CellsCompared);
        foreach (string period in first.Periods)
        {
            var cells = expectedGl.Where(c => c.Key.Period == period).Select(c => c.Value).ToList();
            PeriodTotals sage = gl.SageTotals.Single(t => t.Period == period);
            PeriodTotals anaplan = gl.Reconciliation.Periods.Single(t => t.Period == period).Anaplan;
            Assert.Equal(cells.Sum(c => c.Debit), sage.Debit);
            Assert.Equal(cells.Sum(c => c.Credit), sage.Credit);
            Assert.Equal(cells.Sum(c => c.Net), anaplan.Amount);
            Assert.Equal((sage.Debit, sage.Credit, sage.Amount), (anaplan.Debit, anaplan.Credit, anaplan.Amount));
        }

        Assert.Equal(ReconciliationStatuses.Reconciled, first.Datasets.Single(d => d.Dataset == Datasets.ApActuals).Reconciliation?.Status);

        Assert.Equal(expectedGl.Count, gl.Accepted);
        Assert.Empty(model.Violations);

        // The audit holds the run and a row per dataset, with the same counts.
        RunAudit? audit = await fixture.Audit.GetRunAsync("abc", first.RunId);
        Assert.Equal(RunStatuses.Completed, audit?.Status);
        IReadOnlyList<DatasetAudit> datasets = await fixture.Audit.GetDatasetsAsync(first.RunId);
        Assert.Equal(expectedGl.Count, datasets.Single(d => d.Dataset == Datasets.GlActuals).Counts["accepted"]);

        // Run 2, nothing changed in Sage: no AP or vendor row is uploaded (no chunk reaches their files).
        int chunksBefore = fixture.Environment.Anaplan.State.Requests.Find("PUT", "/chunks/").Count;
        ActualsRunSummary second = await fixture.RunActualsAsync("abc");
        Assert.Equal(DatasetStatuses.NoChanges, second.Datasets.Single(d => d.Dataset == Datasets.Vendors).Status);
        Assert.Equal(DatasetStatuses.NoChanges, second.Datasets.Single(d => d.Dataset == Datasets.ApActuals).Status);
        Assert.Equal(0, second.Datasets.Single(d => d.Dataset == Datasets.ApActuals).Staged);
        Assert.Equal(0, second.Datasets.Single(d => d.Dataset == Datasets.Vendors).Staged);
        int chunksForRun2 = fixture.Environment.Anaplan.State.Requests.Find("PUT", "/chunks/").Count - chunksBefore;
        Assert.Equal(3, chunksForRun2); // accounts, cost centres and GL (closed periods are re-sent on purpose); AP and vendors none

        // A vendor renamed and an invoice added in Sage: the next run carries exactly those changes.
        abc.UpsertVendor("01", "0000001", "Acme Renamed Supplies", null, null, null, blankTime: false, create: false);
        abc.UpsertInvoice("01", "0000001", "INV-TEST-1", new DateOnly(2026, 11, 20), 1234.56m, 1234.56m, null, blankTime: false, create: true);
        ActualsRunSummary third = await fixture.RunActualsAsync("abc");
        Assert.Equal(1, third.Datasets.Single(d => d.Dataset == Datasets.Vendors).Staged);
        Assert.Equal(1, third.Datasets.Single(d => d.Dataset == Datasets.ApActuals).Staged);
        Assert.Equal("Acme Renamed Supplies", model.GetListItems("Vendors").Single(i => i.Code == "01-0000001").Name);
        SimulatedTruth.AssertSameCells(SimulatedTruth.ApCells(abc), SimulatedTruth.ModelAp(model));

        // And once loaded, they are not sent again.
        ActualsRunSummary fourth = await fixture.RunActualsAsync("abc");
        Assert.Equal(0, fourth.Datasets.Single(d => d.Dataset == Datasets.ApActuals).Staged);
    }

    [Fact]
    public async Task RunByHttpShape_ExplicitPeriodRange_SendsThoseCells()
    {
        ActualsRunSummary summary = await fixture.RunActualsAsync("abc-range", new ActualsRunRequest("2026", 1, 3));
        Assert.Equal(["FY2026-P01", "FY2026-P02", "FY2026-P03"], summary.Periods);
        var expected = SimulatedTruth.GlCells(fixture.Environment.Sage.Company("ABC"), '-', 3, [("2026", 1), ("2026", 2), ("2026", 3)]);
        SimulatedTruth.AssertSameCells(expected, SimulatedTruth.ModelGl(fixture.Environment.Anaplan.DefaultModel, summary.Periods));
    }

    [Fact]
    public async Task Run_ReadsTheModelOnce_EachListAndEachActionsMetadataOncePerRun()
    {
        // Read from the emulator's request log: a run checks every import, its source file and every read-back export
        // once, before the first upload, and each load then only announces its chunks (no list read again per load).
        ConnectionOptions connection = fixture.ConnectionList.Single(c => c.Id == "abc-range");
        EmulatorRequestLog log = fixture.Environment.Anaplan.State.Requests;
        IReadOnlyList<EmulatorRequest> earlier = log.Snapshot();
        long before = earlier.Count == 0 ? 0 : earlier[^1].Sequence;

        ActualsRunSummary summary = await fixture.RunActualsAsync("abc-range", new ActualsRunRequest("2026", 5, 5));

        Assert.Equal(RunStatuses.Completed, summary.Status);
        string model = $"/2/0/workspaces/{connection.Anaplan.WorkspaceId}/models/{connection.Anaplan.ModelId}/";
        string[] reads = [.. log.Snapshot().Where(r => r.Sequence > before && r.Method == "GET" && r.StatusCode == 200).Select(r => r.Path.Split('?')[0])];
        Assert.Equal(1, reads.Count(p => p == model + "imports"));
        Assert.Equal(1, reads.Count(p => p == model + "files"));
        Assert.Equal(1, reads.Count(p => p == model + "exports"));
        var importReads = reads.Where(p => Regex.IsMatch(p, "^" + Regex.Escape(model) + @"imports/\d+$")).GroupBy(p => p).ToList();
        var exportReads = reads.Where(p => Regex.IsMatch(p, "^" + Regex.Escape(model) + @"exports/\d+$")).GroupBy(p => p).ToList();
        Assert.Equal(5, importReads.Count); // accounts, cost centres, vendors, GL and AP imports
        Assert.All(importReads, g => Assert.True(g.Count() == 1, $"{g.Key} was read {g.Count()} times"));
        Assert.Equal(2, exportReads.Count); // the GL and AP read-back exports
        Assert.All(exportReads, g => Assert.True(g.Count() == 1, $"{g.Key} was read {g.Count()} times"));

        // Each load that ran announced its chunks once and started its import once, by the id the check found.
        int loads = summary.Datasets.Count(d => d.ImportTaskId is not null);
        Assert.Equal(loads, log.Snapshot().Count(r => r.Sequence > before && r.Method == "POST" && Regex.IsMatch(r.Path, @"/files/\d+$")));
        Assert.Equal(loads, log.Snapshot().Count(r => r.Sequence > before && r.Method == "POST" && Regex.IsMatch(r.Path, @"/imports/\d+/tasks$")));
    }

    [Fact]
    public async Task ReadBackExportOrColumnMissing_FailsTheRunAtItsStart_NothingUploaded_NamingTheSettings()
    {
        EmulatorRequestLog log = fixture.Environment.Anaplan.State.Requests;
        IReadOnlyList<EmulatorRequest> earlier = log.Snapshot();
        long before = earlier.Count == 0 ? 0 : earlier[^1].Sequence;

        var done = await fixture.RunActualsToEndAsync("abc-bad-readback", new ActualsRunRequest("2026", 5, 5), TimeSpan.FromMinutes(3));

        Assert.Equal(Microsoft.DurableTask.Client.OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        string error = done.FailureDetails?.ErrorMessage ?? string.Empty;
        Assert.Contains("Actuals:ReadBack:GlExport: the read-back export 'GL Check' does not exist in model", error, StringComparison.Ordinal);
        Assert.Contains(
            $"Actuals:ReadBack:ApExport: the read-back export '{LocalEnvironment.ApReadBackExport}' has no column 'Spend'", error, StringComparison.Ordinal);
        Assert.Contains("set the column names under Actuals:ReadBack:ApColumns", error, StringComparison.Ordinal);

        // Nothing reached Anaplan's files and no action ran: the run stopped at its model check.
        Assert.DoesNotContain(log.Snapshot(), r => r.Sequence > before && r.Method is "POST" or "PUT" && r.Path.Contains("/models/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ImportReplacedDuringTheRun_ItsLoadFailsNamingTheImportAndSetting_TheNextRunChecksAgainAndLoadsIt()
    {
        ConnectionOptions connection = fixture.ConnectionList.Single(c => c.Id == "abc-range");
        EmulatedModel model = fixture.Environment.Anaplan.DefaultModel;
        string glImport = connection.Actuals.Imports.GlActuals, accountsImport = connection.Actuals.Imports.Accounts;
        string accountsId = TenantDefinition.LoadDefault().Workspaces[0].Models[0].Imports.Single(i => i.Name == accountsImport).Id;
        EmulatorRequestLog log = fixture.Environment.Anaplan.State.Requests;
        const string NewId = "112000000990";
        string? originalId = null;
        var request = new ActualsRunRequest("2026", 7, 7);
        try
        {
            // The run checks the model, then, while its accounts import runs, the GL import is deleted and created again
            // under the same name (Anaplan gives it a new id).
            StartRunResult started;
            using (model.HoldTasks(accountsImport))
            {
                int accountTasks = log.Find("POST", $"/imports/{accountsId}/tasks").Count;
                started = await fixture.Starter.StartActualsAsync("abc-range", "test", request);
                await Eventually.TrueAsync(
                    () => log.Find("POST", $"/imports/{accountsId}/tasks").Count > accountTasks, TimeSpan.FromMinutes(2), "the run's accounts import starts");
                originalId = model.RecreateImport(glImport, NewId);
            }

            var done = await fixture.WaitAsync(started.InstanceId, TimeSpan.FromMinutes(3));
            ActualsRunSummary first = done.ReadOutputAs<ActualsRunSummary>()!;
            Assert.Equal(RunStatuses.CompletedWithFailures, first.Status);
            DatasetSummary failed = first.Datasets.Single(d => d.Dataset == Datasets.GlActuals);
            Assert.Equal(DatasetStatuses.Failed, failed.Status);
            Assert.Contains(
                $"The import '{glImport}' (import {originalId}, Actuals:Imports:GlActuals) no longer exists in model {connection.Anaplan.ModelId}: the model changed after this run checked it",
                failed.Message,
                StringComparison.Ordinal);
            Assert.Contains("The next run, or a rewind of this one, checks the model again.", failed.Message, StringComparison.Ordinal);

            // The next run checks the model again: it loads GL through the new import, and Anaplan holds what Sage holds.
            ActualsRunSummary next = await fixture.RunActualsAsync("abc-range", request);
            Assert.Equal(RunStatuses.Completed, next.Status);
            Assert.Single(log.Find("POST", $"/imports/{NewId}/tasks"));
            var expected = SimulatedTruth.GlCells(fixture.Environment.Sage.Company("ABC"), '-', 3, [("2026", 7)]);
            SimulatedTruth.AssertSameCells(expected, SimulatedTruth.ModelGl(model, next.Periods));
        }
        finally
        {
            if (originalId is not null)
            {
                model.RecreateImport(glImport, originalId);
            }
        }
    }

    [Fact]
    public async Task Start_PeriodOutsideTheCalendar_FailsTheRunNamingTheYear()
    {
        var done = await fixture.RunActualsToEndAsync("abc-range", new ActualsRunRequest("2031", 1, 2), TimeSpan.FromMinutes(3));
        Assert.Equal(Microsoft.DurableTask.Client.OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.Contains("Fiscal year 2031 is not in the company's calendar", done.FailureDetails?.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Progress_WhileTheGlImportRuns_StatusNamesStepDatasetAndSize_AndTheModelLockItsHolder()
    {
        // The GL import is held IN_PROGRESS in the model, so the run is provably in that step while we look.
        ConnectionOptions connection = fixture.ConnectionList.Single(c => c.Id == "abc-range");
        int glRows = SimulatedTruth.GlCells(fixture.Environment.Sage.Company("ABC"), '-', 3, [("2026", 4)]).Count;
        StartRunResult started;
        using (fixture.Environment.Anaplan.DefaultModel.HoldTasks(connection.Actuals.Imports.GlActuals))
        {
            started = await fixture.Starter.StartActualsAsync("abc-range", "test", new ActualsRunRequest("2026", 4, 4));

            // The status says "loading gl" just before the load takes the model lock, so wait for both: once the held
            // import has started, neither changes until it is released.
            RunProgress? progress = null;
            ModelLockStatus? modelLock = null;
            await Eventually.TrueAsync(
                async () =>
                {
                    progress = (await fixture.Client.GetInstanceAsync(started.InstanceId, getInputsAndOutputs: true))?.ReadCustomStatusAs<RunProgress>();
                    modelLock = await fixture.Operations.GetModelLockAsync(connection.Anaplan.WorkspaceId, connection.Anaplan.ModelId);
                    return progress is { Step: "loading", Dataset: Datasets.GlActuals }
                        && modelLock?.Holder?.Purpose == $"{connection.Actuals.Imports.GlActuals} ({started.InstanceId})";
                },
                TimeSpan.FromSeconds(90),
                "the run reports that it is loading GL actuals, holding the model for that import");
            Assert.Equal($"{glRows} row(s) in 1 chunk(s)", progress!.Detail);
            Assert.NotNull(modelLock!.LockedBy);
        }

        var done = await fixture.WaitAsync(started.InstanceId, TimeSpan.FromMinutes(3));
        Assert.Equal(Microsoft.DurableTask.Client.OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(new RunProgress("done", null, RunStatuses.Completed), done.ReadCustomStatusAs<RunProgress>());
    }

    public sealed class Fixture : ConnectorFlowFixture
    {
        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
        {
            // A read-back export the model does not have (GL) and a read-back column its export lacks (AP).
            ConnectionOptions badReadBack = environment.Connection("abc-bad-readback", "ABC", "3");
            badReadBack.Actuals.ReadBack.GlExport = "GL Check";
            badReadBack.Actuals.ReadBack.ApColumns.InvoiceAmount = "Spend";
            return [environment.Connection("abc", "ABC", "Department"), environment.Connection("abc-range", "ABC", "3"), badReadBack];
        }
    }
}
