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
            => [environment.Connection("abc", "ABC", "Department"), environment.Connection("abc-range", "ABC", "3")];
    }
}
