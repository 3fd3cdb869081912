using Connector.Agent.Backends.Simulated;
using Connector.Emulators.Anaplan;
using Connector.Emulators.Anaplan.Model;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Operations;
using Connector.Testing;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>
/// Nothing goes missing after a failed load: each fault below hits a run that carries real Sage changes, the fault is
/// cleared, the next run goes through, and then Anaplan must equal Sage cell for cell (values computed straight from
/// the simulated company), and the clean run must say what it sent again and why.
/// </summary>
/// <remarks>
/// The chunk upload failing waits out the load's durable retries (a minute or more), so it runs in a class of its own
/// with its own fixture, beside the other cases (<see cref="IntegrityQuickTests"/>, <see cref="IntegrityChunkUploadTests"/>).
/// </remarks>
public abstract class IntegrityTests(IntegrityTests.Fixture fixture)
{
    /// <summary>The period item the shipped model lacks in this fixture, so AP rows for it are refused (a real Anaplan row failure).</summary>
    internal const string MissingPeriod = "FY2027-P03";

    /// <summary>One case: a clean run, Sage changes, a run through the fault, the fault cleared, a clean run, then Anaplan equals Sage.</summary>
    protected async Task FaultThenCleanRunAsync(string fault)
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        EmulatedModel model = fixture.Environment.Anaplan.DefaultModel;
        EmulatorState anaplan = fixture.Environment.Anaplan.State;
        string connection = $"abc-{fault}";
        int n = Array.IndexOf(Fixture.Faults, fault) + 1;

        // A clean first run: everything the connection sends is in Anaplan.
        ActualsRunSummary baseline = await fixture.RunActualsAsync(connection);
        Assert.Equal(RunStatuses.Completed, baseline.Status);

        // Sage changes that must reach Anaplan: a renamed vendor, a new vendor with an invoice, a changed invoice.
        string newVendor = $"09{n:D5}";
        abc.UpsertVendor("01", $"000000{n}", $"Renamed Supplier {n}", null, null, null, blankTime: false, create: false);
        abc.UpsertVendor("01", newVendor, $"New Supplier {n}", "Chicago", null, null, blankTime: false, create: true);
        abc.UpsertInvoice("01", newVendor, $"NEW-{n}", new DateOnly(2026, 11, 20), 1000m + n, 1000m + n, null, blankTime: false, create: true);
        abc.UpsertInvoice("01", "0000002", $"CHG-{n}", new DateOnly(2026, 10, 12), 250.25m * n, 0m, null, blankTime: false, create: true);
        var glPeriods = new List<(string Year, int Period)> { ("2026", 10), ("2026", 11) };
        ActualsRunRequest faultedRequest = new();

        switch (fault)
        {
            case "vendors-import-fails":
                anaplan.Faults.FailNextImportRun("Vendors from Sage");
                break;
            case "ap-rows-refused":
                // An invoice in a period the model does not list yet: Anaplan refuses that AP row ("Item not located").
                abc.UpsertInvoice("01", "0000003", $"FUT-{n}", new DateOnly(2027, 3, 15), 777.77m, 777.77m, null, blankTime: false, create: true);
                break;
            case "gl-import-fails":
                // A late posting in a closed period, sent by an explicit period run whose GL import fails.
                string account = abc.GetPeriodBalances("2026", 3, 3, null, 1).Single().Account.Trim();
                abc.SetPeriodBalance(account, "2026", 3, null, 4321.09m + n, null);
                glPeriods.Add(("2026", 3));
                faultedRequest = new ActualsRunRequest("2026", 3, 3);
                anaplan.Faults.FailNextImportRun("GL Actuals from Sage");
                break;
            case "chunk-upload-fails":
                anaplan.Faults.FailNext("PUT /2/0/workspaces/*/models/*/files/113000000005/chunks/*", 1000, 500);
                break;
        }

        ActualsRunSummary faulted = await fixture.RunActualsAsync(connection, faultedRequest, TimeSpan.FromMinutes(6));
        Assert.Equal(RunStatuses.CompletedWithFailures, faulted.Status);
        string hit = fault switch
        {
            "vendors-import-fails" => Datasets.Vendors,
            "gl-import-fails" => Datasets.GlActuals,
            _ => Datasets.ApActuals,
        };
        DatasetSummary failed = faulted.Datasets.Single(d => d.Dataset == hit);
        Assert.Equal(fault == "ap-rows-refused" ? DatasetStatuses.LoadedWithFailures : DatasetStatuses.Failed, failed.Status);
        Assert.Contains("sent again by the next run", failed.Message, StringComparison.Ordinal);

        // The fault is cleared (the model builder adds the missing period, the emulator stops failing).
        anaplan.Faults.Clear();
        if (fault == "ap-rows-refused")
        {
            model.AddListItem("Periods", MissingPeriod, "FY2027 Period 03");
        }

        ActualsRunSummary clean = await fixture.RunActualsAsync(connection);

        SimulatedTruth.AssertSameCells(
            SimulatedTruth.GlCells(abc, '-', 3, glPeriods),
            SimulatedTruth.ModelGl(model, [.. glPeriods.Select(p => $"FY{p.Year}-P{p.Period:D2}")]));
        SimulatedTruth.AssertSameCells(SimulatedTruth.ApCells(abc), SimulatedTruth.ModelAp(model));
        SimulatedTruth.AssertSameCells(SimulatedTruth.Vendors(abc), model.GetListItems("Vendors").ToDictionary(i => i.Code, i => i.Name));
        Assert.Equal(RunStatuses.Completed, clean.Status);

        // The clean run says what it sent again, for which run, and why: every row the faulted run's loads did not get in.
        foreach (DatasetSummary owed in faulted.Datasets.Where(d => d.PendingForNextRun > 0))
        {
            ResentRows resent = Assert.Single(clean.Datasets.Single(d => d.Dataset == owed.Dataset).Resent ?? []);
            Assert.Equal(faulted.RunId, resent.FromRunId);
            Assert.Equal(owed.PendingForNextRun, resent.Rows);
        }

        Assert.Contains(faulted.Datasets, d => d.PendingForNextRun > 0 || d.Dataset == Datasets.GlActuals);
        ResentRows again = Assert.Single(clean.Datasets.Single(d => d.Dataset == hit).Resent ?? []);
        Assert.Equal(faulted.RunId, again.FromRunId);
        Assert.Contains(
            fault switch
            {
                "ap-rows-refused" => "Anaplan refused the row",
                "chunk-upload-fails" => "load of run",
                _ => "import of run",
            },
            again.Reason,
            StringComparison.Ordinal);
        if (fault == "gl-import-fails")
        {
            Assert.Equal(["FY2026-P03"], again.Periods);
            Assert.Contains("FY2026-P03", clean.Periods);
            Assert.Equal(faulted.Datasets.Single(d => d.Dataset == Datasets.GlActuals).Staged, again.Rows);
        }

        // And what was loaded is observed in Anaplan, not computed: the read-back equals Sage.
        Assert.All(
            clean.Datasets.Where(d => d.Dataset is Datasets.GlActuals or Datasets.ApActuals && d.Status != DatasetStatuses.NoChanges),
            d => Assert.Equal(ReconciliationStatuses.Reconciled, d.Reconciliation?.Status));
    }

    public sealed class Fixture : ConnectorFlowFixture
    {
        internal static readonly string[] Faults = ["vendors-import-fails", "ap-rows-refused", "gl-import-fails", "chunk-upload-fails"];

        protected override LocalEnvironmentOptions EnvironmentOptions(string storage)
            => new()
            {
                StorageConnectionString = storage,
                ConfigureAnaplan = o =>
                {
                    TenantDefinition definition = TenantDefinition.LoadDefault();
                    definition.Workspaces[0].Models[0].Lists.Single(l => l.Name == "Periods").Items.RemoveAll(i => i.Code == MissingPeriod);
                    o.Definition = definition;
                },
            };

        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
            => [.. Faults.Select(f => environment.Connection($"abc-{f}", "ABC", "Department"))];
    }
}

/// <summary>The cases that wait out no durable retries (one class fixture for the three).</summary>
public sealed class IntegrityQuickTests(IntegrityTests.Fixture fixture) : IntegrityTests(fixture), IClassFixture<IntegrityTests.Fixture>
{
    [Theory]
    [InlineData("vendors-import-fails")]
    [InlineData("ap-rows-refused")]
    [InlineData("gl-import-fails")]
    public Task Fault_ThenCleanRun_AnaplanEqualsSage(string fault) => this.FaultThenCleanRunAsync(fault);
}

/// <summary>The chunk upload failing (its own fixture: it waits out the load's retries).</summary>
[StartEarly]
public sealed class IntegrityChunkUploadTests(IntegrityTests.Fixture fixture) : IntegrityTests(fixture), IClassFixture<IntegrityTests.Fixture>
{
    [Theory]
    [InlineData("chunk-upload-fails")]
    public Task Fault_ThenCleanRun_AnaplanEqualsSage(string fault) => this.FaultThenCleanRunAsync(fault);
}
