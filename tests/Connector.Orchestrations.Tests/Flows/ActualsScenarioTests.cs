using Azure.Storage.Blobs.Models;
using Connector.Agent.Backends;
using Connector.Agent.Backends.Simulated;
using Connector.Emulators.Anaplan;
using Connector.Emulators.Anaplan.Model;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Storage;
using Connector.Testing;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>
/// Two connections on one Anaplan model, run at the same time: TST (2 segments, Main(4)-Department(3), 13 periods)
/// and LNG (a long 8-character main account, Main-Location, fiscal year July–June).
/// </summary>
public sealed class TwoConnectionsOneModelTests(TwoConnectionsOneModelTests.Fixture fixture) : IClassFixture<TwoConnectionsOneModelTests.Fixture>
{
    [Fact]
    public async Task ConcurrentRuns_NeverRunActionsInParallel_AndBothStructuresSyncExactly()
    {
        Task<ActualsRunSummary> tst = fixture.RunActualsAsync("tst");
        Task<ActualsRunSummary> lng = fixture.RunActualsAsync("lng");
        ActualsRunSummary[] runs = await Task.WhenAll(tst, lng);

        // The two runs overlapped in time, yet the model never saw two actions at once.
        Assert.True(runs[0].StartedAt < runs[1].FinishedAt && runs[1].StartedAt < runs[0].FinishedAt, "the two runs did not overlap");
        EmulatedModel model = fixture.Environment.Anaplan.DefaultModel;
        Assert.Empty(model.Violations);
        Assert.Equal(0, fixture.Environment.Anaplan.State.Counters.Violations);

        foreach ((ActualsRunSummary run, string company, int costCenter) in new[] { (runs[0], "TST", 2), (runs[1], "LNG", 2) })
        {
            Assert.Equal(RunStatuses.Completed, run.Status);
            SimulatedCompany sage = fixture.Environment.Sage.Company(company);
            var periods = run.Periods.Select(p => (p[2..6], int.Parse(p[^2..], System.Globalization.CultureInfo.InvariantCulture))).ToList();
            SimulatedTruth.AssertSameCells(
                SimulatedTruth.GlCells(sage, '-', costCenter, periods),
                SimulatedTruth.ModelGl(model, run.Periods));

            var vendors = SimulatedTruth.Vendors(sage).Keys.ToHashSet();
            SimulatedTruth.AssertSameCells(
                SimulatedTruth.ApCells(sage),
                SimulatedTruth.ModelAp(model).Where(c => vendors.Contains(c.Key.Vendor)).ToDictionary());
        }

        Assert.Equal(["FY2026-P11", "FY2026-P12"], runs[0].Periods); // TST: 13 four-week periods, P12 current
        Assert.Equal(["FY2027-P04", "FY2027-P05"], runs[1].Periods); // LNG: July–June year named by its end
        Assert.Contains(model.GetListItems("Accounts"), a => a.Code == "40001000"); // the long main account, location removed
    }

    public sealed class Fixture : ConnectorFlowFixture
    {
        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
            => [environment.Connection("tst", "TST", "Department"), environment.Connection("lng", "LNG", "Location")];
    }
}

/// <summary>
/// Rows on a cost centre that Anaplan does not have are rejected before upload, audited with the record and the
/// reason, and the run says so. Here the model's Cost Centers import updates matching items only, and the model
/// was set up without one of the company's departments.
/// </summary>
public sealed class UnknownCostCenterTests(UnknownCostCenterTests.Fixture fixture) : IClassFixture<UnknownCostCenterTests.Fixture>
{
    [Fact]
    public async Task Run_CostCenterMissingInAnaplan_RowsRejectedAndAudited_NotUploaded()
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        EmulatedModel model = fixture.Environment.Anaplan.DefaultModel;
        string[] departments = [.. abc.GetSubAccounts(3, null, int.MaxValue).Select(s => s.Code.Trim()).Distinct()];
        string missing = departments[^1];
        foreach (string department in departments.Where(d => d != missing))
        {
            model.AddListItem("Cost Centers", department, $"Department {department}");
        }

        ActualsRunSummary run = await fixture.RunActualsAsync("abc");

        Assert.Equal(RunStatuses.CompletedWithRejections, run.Status);
        var expected = SimulatedTruth.GlCells(abc, '-', 3, [("2026", 10), ("2026", 11)]);
        var rejectedCells = expected.Where(c => c.Key.CostCenter == missing).ToList();
        Assert.NotEmpty(rejectedCells);
        SimulatedTruth.AssertSameCells(
            expected.Where(c => c.Key.CostCenter != missing).ToDictionary(),
            SimulatedTruth.ModelGl(model, run.Periods));

        DatasetSummary gl = run.Datasets.Single(d => d.Dataset == Datasets.GlActuals);
        Assert.Equal(rejectedCells.Count, gl.Rejected);
        Assert.Equal(DatasetStatuses.Loaded, gl.Status);
        Assert.NotNull(gl.RejectionsBlob);
        Assert.True(run.Alignment!.InvalidAccounts > 0);

        // Every rejected row is in the audit with its record, the field and the reason.
        var audited = await fixture.Audit.GetRecordsAsync(run.RunId, Datasets.GlActuals).ToListAsync();
        Assert.Equal(rejectedCells.Count, audited.Count);
        Assert.All(audited, r =>
        {
            Assert.Equal(RecordKinds.Rejected, r.Kind);
            Assert.Equal("Cost Center", r.Field);
            Assert.Contains($"cost centre item '{missing}' does not exist in the Anaplan Cost Centers list", r.Reason, StringComparison.Ordinal);
            Assert.EndsWith($"-{missing} / {r.Record.Split(" / ")[1]}", r.Record, StringComparison.Ordinal);
        });

        // What Anaplan holds, read back = Sage totals minus what was rejected, and nothing else differs.
        Assert.Equal(ReconciliationStatuses.Reconciled, gl.Reconciliation?.Status);
        foreach (string period in run.Periods)
        {
            decimal rejectedNet = rejectedCells.Where(c => c.Key.Period == period).Sum(c => c.Value.Net);
            Assert.Equal(gl.SageTotals.Single(t => t.Period == period).Amount - rejectedNet, gl.Reconciliation!.Periods.Single(t => t.Period == period).Anaplan.Amount);
        }

        BlobProperties rejections = await fixture.Storage.StagingContainer.GetBlobClient(gl.RejectionsBlob).GetPropertiesAsync();
        Assert.True(rejections.ContentLength > 0);
    }

    public sealed class Fixture : ConnectorFlowFixture
    {
        protected override LocalEnvironmentOptions EnvironmentOptions(string storage)
            => new()
            {
                StorageConnectionString = storage,
                ConfigureAnaplan = ImportsCreatingNoItems("Cost Centers from Sage"),
            };

        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
            => [environment.Connection("abc", "ABC", "Department")];
    }
}
