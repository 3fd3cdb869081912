using Connector.Agent.Backends.Simulated;
using Connector.Emulators.Anaplan.Model;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Connector.Testing;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>
/// The fifth seeded fault of the integrity suite: the worker dies after an import ended and before the connector
/// committed what it loaded. The worker is a separate process running the connector as the product composes it; it
/// kills itself at that moment. A new process takes the run over, the next run goes through, and Anaplan equals Sage.
/// </summary>
[StartEarly(2)]
public sealed class IntegrityCrashTests(IntegrityCrashTests.Fixture fixture) : IClassFixture<IntegrityCrashTests.Fixture>, IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("integrity-crash-").FullName;

    [Fact]
    public async Task WorkerKilledAfterImportBeforeCommit_TakenOver_NextRunLeavesAnaplanEqualToSage()
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        EmulatedModel model = fixture.Environment.Anaplan.DefaultModel;
        string settings = fixture.WriteWorkerSettings(this.dir);
        string crashFile = Path.Combine(this.dir, "crash-armed");
        var environment = new Dictionary<string, string> { ["CONNECTOR_MASTER_KEY"] = fixture.Environment.MasterKey };

        using WorkerProcess first = await WorkerProcess.StartAsync(["runtime", settings, crashFile], environment);
        ActualsRunSummary baseline = await this.RunAsync();
        Assert.Equal(RunStatuses.Completed, baseline.Status);

        abc.UpsertVendor("01", "0000001", "Renamed Before The Crash", null, null, null, blankTime: false, create: false);
        abc.UpsertVendor("01", "0970001", "Brand New Supplier", "Denver", null, null, blankTime: false, create: true);
        abc.UpsertInvoice("01", "0970001", "CRASH-1", new DateOnly(2026, 11, 18), 4242.42m, 4242.42m, null, blankTime: false, create: true);
        File.WriteAllText(crashFile, string.Empty);
        StartRunResult started = await fixture.Starter.StartActualsAsync("abc", "test", new ActualsRunRequest());
        await first.WaitForExitAsync(TimeSpan.FromMinutes(8)); // it kills itself before the first commit: the vendors'

        Assert.Equal(Datasets.Vendors, File.ReadAllText(crashFile + ".crashed"));
        Assert.Equal("Renamed Before The Crash", model.GetListItems("Vendors").Single(i => i.Code == "01-0000001").Name); // the import ran
        Watermark? committed = await fixture.Services.GetRequiredService<WatermarkStore>().GetAsync("abc", Datasets.Vendors);
        Assert.Equal(baseline.RunId, committed?.RunId); // and its outcome was not committed

        using WorkerProcess second = await WorkerProcess.StartAsync(["runtime", settings, crashFile], environment);
        OrchestrationMetadata takenOver = await fixture.WaitAsync(started.InstanceId, TimeSpan.FromMinutes(8));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, takenOver.RuntimeStatus);
        Assert.Equal(RunStatuses.Completed, takenOver.ReadOutputAs<ActualsRunSummary>()!.Status);

        ActualsRunSummary next = await this.RunAsync();

        SimulatedTruth.AssertSameCells(SimulatedTruth.GlCells(abc, '-', 3, [("2026", 10), ("2026", 11)]), SimulatedTruth.ModelGl(model, next.Periods));
        SimulatedTruth.AssertSameCells(SimulatedTruth.ApCells(abc), SimulatedTruth.ModelAp(model));
        SimulatedTruth.AssertSameCells(SimulatedTruth.Vendors(abc), model.GetListItems("Vendors").ToDictionary(i => i.Code, i => i.Name));
        Assert.Equal(RunStatuses.Completed, next.Status);
        Assert.All(next.Datasets, d => Assert.Empty(d.Resent ?? [])); // nothing was lost, so nothing is owed
    }

    public void Dispose() => Directory.Delete(this.dir, recursive: true);

    private async Task<ActualsRunSummary> RunAsync()
    {
        StartRunResult started = await fixture.Starter.StartActualsAsync("abc", "test", new ActualsRunRequest(RequestKey: Guid.NewGuid().ToString("N")));
        OrchestrationMetadata done = await fixture.WaitAsync(started.InstanceId, TimeSpan.FromMinutes(8));
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"run {done.InstanceId} ended {done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage}");
        return done.ReadOutputAs<ActualsRunSummary>()!;
    }

    public sealed class Fixture : ConnectorFlowFixture
    {
        protected override bool RunWorker => false;

        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment) => [environment.Connection("abc", "ABC", "Department")];
    }
}
