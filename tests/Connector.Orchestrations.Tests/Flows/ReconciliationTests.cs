using Azure.Storage.Blobs.Models;
using Connector.Agent.Backends;
using Connector.Agent.Backends.Simulated;
using Connector.Emulators.Anaplan.Model;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Storage;
using Connector.Testing;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>
/// Reconciliation is observed, not computed: after the GL and AP loads the connector reads the cells back from Anaplan
/// (the model's read-back exports) and compares them with Sage. Anaplan stores numbers as doubles, so a debit Sage holds
/// to the cent can come back as something else; a cell Anaplan holds that Sage does not is a difference too.
/// </summary>
public sealed class ReconciliationTests(ReconciliationTests.Fixture fixture) : IClassFixture<ReconciliationTests.Fixture>
{
    [Fact]
    public async Task ModelHoldsOtherValues_RunCompletesWithDifferences_ListedPerPeriodAndCell()
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        EmulatedModel model = fixture.Environment.Anaplan.DefaultModel;
        PeriodBalanceRow row = abc.GetPeriodBalances("2026", 11, 11, null, int.MaxValue).First(r => r.Debit > 0);
        string account = row.Account.Trim();
        string[] segments = account.Split('-');
        (string item, string costCenter) = ($"{segments[0]}-{segments[1]}", segments[2]);

        // A stale cell: an account × cost centre Anaplan has as members but Sage has no account for.
        var pairs = abc.GetAccounts(null, int.MaxValue).Select(a => a.Account.Trim().Split('-')).Select(s => (Item: $"{s[0]}-{s[1]}", CostCenter: s[2])).ToHashSet();
        (string Item, string CostCenter) stale = pairs.Select(p => p.Item).Distinct().SelectMany(i => pairs.Select(p => p.CostCenter).Distinct().Select(c => (i, c))).First(p => !pairs.Contains(p));
        await fixture.RunActualsAsync("abc"); // the lists now hold every member
        model.SetCell("GL Actuals", [stale.Item, stale.CostCenter, "FY2026-P10"], "Debit", 55.0);

        abc.SetPeriodBalance(account, "2026", 11, null, 99999999999999999999999.00m, null);
        try
        {
            ActualsRunSummary run = await fixture.RunActualsAsync("abc");

            Assert.Equal("CompletedWithDifferences", run.Status);
            DatasetSummary gl = run.Datasets.Single(d => d.Dataset == Datasets.GlActuals);
            Reconciliation r = gl.Reconciliation!;
            Assert.Equal(ReconciliationStatuses.Differences, r.Status);
            Assert.Equal(LocalEnvironment.GlReadBackExport, r.Export);

            // The debit Sage holds to the cent is 1E+23 in the model (a double): listed with both values, Debit and Net.
            CellDifference debit = Assert.Single(r.FirstDifferences, d => d.Item == $"{item} × {costCenter}" && d.LineItem == "Debit");
            Assert.Equal(("FY2026-P11", 99999999999999999999999.00m, "1E+23"), (debit.Period, debit.Sage, debit.Anaplan));
            Assert.Contains(r.FirstDifferences, d => d.Item == $"{item} × {costCenter}" && d.LineItem == "Net" && d.Period == "FY2026-P11");

            // The stale cell is listed for its account × cost centre, Sage holding nothing there.
            CellDifference extra = Assert.Single(r.FirstDifferences, d => d.Item == $"{stale.Item} × {stale.CostCenter}");
            Assert.Equal(("FY2026-P10", "Debit", 0m, "55"), (extra.Period, extra.LineItem, extra.Sage, extra.Anaplan));
            Assert.Equal(3, r.Differences);

            // Per period: both periods differ, and the totals shown for Anaplan are the ones read back.
            PeriodReconciliation p11 = r.Periods.Single(p => p.Period == "FY2026-P11");
            Assert.False(p11.Matches);
            Assert.Equal(gl.SageTotals.Single(t => t.Period == "FY2026-P11").Debit, p11.Sage.Debit);
            Assert.NotEqual(p11.Sage.Debit, p11.Anaplan.Debit);
            Assert.False(r.Periods.Single(p => p.Period == "FY2026-P10").Matches);

            // In the audit, one row per difference, and a CSV for people.
            var audited = await fixture.Audit.GetRecordsAsync(run.RunId, Datasets.GlActuals).Where(a => a.Kind == RecordKinds.Difference).ToListAsync();
            Assert.Equal(3, audited.Count);
            Assert.Contains(audited, a => a.Record == $"{item} × {costCenter} / FY2026-P11" && a.Field == "Debit" && a.Reason.Contains("'1E+23'", StringComparison.Ordinal));
            BlobProperties csv = await fixture.Storage.StagingContainer.GetBlobClient(r.DifferencesBlob).GetPropertiesAsync();
            Assert.True(csv.ContentLength > 0);
            Assert.Equal(ReconciliationStatuses.Reconciled, run.Datasets.Single(d => d.Dataset == Datasets.ApActuals).Reconciliation?.Status ?? ReconciliationStatuses.Reconciled);
        }
        finally
        {
            abc.SetPeriodBalance(account, "2026", 11, null, row.Debit, null);
            model.SetCell("GL Actuals", [stale.Item, stale.CostCenter, "FY2026-P10"], "Debit", null);
        }
    }

    [Fact]
    public async Task NoReadBackConfigured_SummarySaysNotReconciled_AndClaimsNoAnaplanTotals()
    {
        ActualsRunSummary run = await fixture.RunActualsAsync("abc-unreconciled");

        Assert.Equal(RunStatuses.Completed, run.Status);
        foreach (DatasetSummary d in run.Datasets.Where(d => d.Dataset is Datasets.GlActuals or Datasets.ApActuals && d.Status != DatasetStatuses.NoChanges))
        {
            Assert.Equal(ReconciliationStatuses.NotReconciled, d.Reconciliation?.Status);
            Assert.StartsWith("not reconciled: no read-back export is configured (Actuals:ReadBack:", d.Reconciliation!.Reason, StringComparison.Ordinal);
            Assert.Empty(d.Reconciliation.Periods);
            Assert.Equal(0, d.Reconciliation.CellsCompared);
        }
    }

    public sealed class Fixture : ConnectorFlowFixture
    {
        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
        {
            ConnectionOptions unreconciled = environment.Connection("abc-unreconciled", "ABC", "Department");
            unreconciled.Actuals.ReadBack = new ReadBackOptions();
            return [environment.Connection("abc", "ABC", "Department"), unreconciled];
        }
    }
}
