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

namespace Connector.Orchestrations.Tests.Recovery;

/// <summary>
/// Replay of one dataset and retry of the rejected rows, on real actuals runs: both are new recovery runs of the
/// connection that send what the source run staged or rejected, without reading Sage again, and end audited. The model's
/// Cost Centers import here updates matching items only and the model lacks one of ABC's departments, so the GL rows on
/// it are rejected until someone adds the item to Anaplan.
/// </summary>
public sealed class ReplayRetryTests(ReplayRetryTests.Fixture fixture) : IClassFixture<ReplayRetryTests.Fixture>
{
    [Fact]
    public async Task ReplayDataset_OfARunWhoseGlImportFailed_LoadsTheStagedFiles_WithoutReadingSage()
    {
        fixture.AddDepartments(exceptLast: true);
        ImportDefinition gl = fixture.Import("GL Actuals from Sage");
        fixture.Environment.Anaplan.State.Faults.FailNextImportRun(gl.Name);
        OrchestrationMetadata source = await fixture.RunActualsToEndAsync("abc", timeout: TimeSpan.FromMinutes(5));
        ActualsRunSummary failed = source.ReadOutputAs<ActualsRunSummary>()!;
        Assert.Equal(RunStatuses.CompletedWithFailures, failed.Status);
        fixture.Environment.Anaplan.State.Faults.Clear();
        int glReads = fixture.AgentReads("/gl/period-balances");
        int glImports = fixture.AnaplanRequests("POST", $"/imports/{gl.Id}/tasks");

        RecoveryRunResult replay = await fixture.Recovery.ReplayDatasetAsync(source.InstanceId, Datasets.GlActuals, "GL import fixed", "recovery test");
        OrchestrationMetadata done = await fixture.WaitAsync(replay.RunId, TimeSpan.FromMinutes(5));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        DatasetSummary loaded = Assert.Single(done.ReadOutputAs<ActualsRunSummary>()!.Datasets);
        DatasetSummary staged = failed.Datasets.Single(d => d.Dataset == Datasets.GlActuals);
        Assert.Equal(DatasetStatuses.Loaded, loaded.Status);
        Assert.Equal(staged.Staged, loaded.Accepted);
        Assert.Equal(ReconciliationStatuses.Reconciled, loaded.Reconciliation?.Status);
        Assert.Equal(glReads, fixture.AgentReads("/gl/period-balances")); // Sage was not read again
        Assert.Equal(glImports + 1, fixture.AnaplanRequests("POST", $"/imports/{gl.Id}/tasks"));

        RunAuditReport audit = await RunAuditReport.ReadAsync(fixture.Audit, "abc", source.InstanceId, 10);
        RunEvent recorded = Assert.Single(audit.Events, e => e.Action == RunEventActions.ReplayDataset);
        Assert.Equal("GL import fixed", recorded.Reason);
        Assert.Contains(replay.RunId, recorded.Detail!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RetryRejected_AfterTheMissingCostCentreIsAddedInAnaplan_TheRowsReachAnaplan_WithoutReadingSage()
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        string missing = fixture.AddDepartments(exceptLast: true);
        OrchestrationMetadata source = await fixture.RunActualsToEndAsync("abc", timeout: TimeSpan.FromMinutes(5));
        ActualsRunSummary first = source.ReadOutputAs<ActualsRunSummary>()!;
        Assert.Equal(RunStatuses.CompletedWithRejections, first.Status);
        var expected = SimulatedTruth.GlCells(abc, '-', 3, [("2026", 10), ("2026", 11)]);
        Assert.Contains(expected, c => c.Key.CostCenter == missing);
        Assert.DoesNotContain(SimulatedTruth.ModelGl(fixture.Model, first.Periods), c => c.Key.CostCenter == missing && c.Value.Net != 0);

        // Retrying before the fix sends nothing new: the rows are checked against Anaplan's members and rejected again.
        RecoveryRunResult early = await fixture.Recovery.RetryRejectedAsync(source.InstanceId, null, "too early", "recovery test");
        ActualsRunSummary again = (await fixture.WaitAsync(early.RunId, TimeSpan.FromMinutes(5))).ReadOutputAs<ActualsRunSummary>()!;
        Assert.Equal(expected.Count(c => c.Key.CostCenter == missing), Assert.Single(again.Datasets).Rejected);

        // The model builder adds the department; the retry sends the rejected rows, and Anaplan now equals Sage.
        fixture.Model.AddListItem("Cost Centers", missing, $"Department {missing}");
        int glReads = fixture.AgentReads("/gl/period-balances");
        RecoveryRunResult retry = await fixture.Recovery.RetryRejectedAsync(source.InstanceId, null, "department added", "recovery test");
        OrchestrationMetadata done = await fixture.WaitAsync(retry.RunId, TimeSpan.FromMinutes(5));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        DatasetSummary sent = Assert.Single(done.ReadOutputAs<ActualsRunSummary>()!.Datasets);
        Assert.Equal(0, sent.Rejected);
        Assert.Equal(expected.Count(c => c.Key.CostCenter == missing), sent.Accepted);
        SimulatedTruth.AssertSameCells(expected, SimulatedTruth.ModelGl(fixture.Model, first.Periods));
        Assert.Equal(glReads, fixture.AgentReads("/gl/period-balances"));
    }

    public sealed class Fixture : RecoveryFixture
    {
        /// <summary>Adds ABC's departments to Anaplan's Cost Centers list, all but the last when asked; returns the last.</summary>
        public string AddDepartments(bool exceptLast)
        {
            string[] departments = [.. this.Environment.Sage.Company("ABC").GetSubAccounts(3, null, int.MaxValue).Select(s => s.Code.Trim()).Distinct()];
            foreach (string department in departments.Where(d => !exceptLast || d != departments[^1]))
            {
                if (this.Model.GetListItems("Cost Centers").All(i => i.Code != department))
                {
                    this.Model.AddListItem("Cost Centers", department, $"Department {department}");
                }
            }

            return departments[^1];
        }

        protected override LocalEnvironmentOptions EnvironmentOptions(string storage)
        {
            LocalEnvironmentOptions options = base.EnvironmentOptions(storage);
            options.ConfigureAnaplan = ImportsCreatingNoItems("Cost Centers from Sage");
            return options;
        }

        protected override IEnumerable<ConnectionOptions> ConnectionsThroughGate(LocalEnvironment environment)
            => [environment.Connection("abc", "ABC", "Department")];
    }
}
