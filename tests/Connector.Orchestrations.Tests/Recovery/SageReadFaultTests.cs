using Connector.Agent.Backends.Simulated;
using Connector.Emulators.Anaplan.Model;
using Connector.Local.Demo;
using Connector.Local.Hosting;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Tests.Flows;
using Connector.Testing;
using DurableTask.AzureStorage;
using DurableTask.Core.History;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Connector.Orchestrations.Tests.Recovery;

/// <summary>
/// The Sage side failing while the vendors' load is under way: vendors are extracted at the run's start and loaded as
/// soon as they are staged, while the Sage dimensions (accounts, cost centres) are read and the periods resolved. Here a
/// Sage table those reads need cannot be opened (the simulated agent answers its reads 503, as the BOI backend does, past
/// the client's and the activity's retries) while the vendors' table reads fine. The run must end Failed naming the table,
/// with nothing it started left running (every activity and sub-run ended, the model lock free), the vendors' load either
/// done or never started; then, the table readable again, the recovery (a rewind of the failed run, or the next run) ends
/// with Anaplan equal to Sage for every dataset and vendors imported once in all.
/// </summary>
/// <remarks>
/// Each case waits out the durable retries of the failing read (a minute or more), so each has its own class and fixture
/// (<see cref="SageAccountsUnreadableTests"/>, <see cref="SageCalendarUnreadableTests"/>).
/// </remarks>
public abstract class SageReadFaultTests(SageReadFaultTests.Fixture fixture)
{
    private static readonly (string Year, int Period)[] RunPeriods = [("2026", 10), ("2026", 11)];
    private static readonly string[] RunPeriodCodes = ["FY2026-P10", "FY2026-P11"];

    /// <summary>The accounts' table unreadable: the Sage read fails while the vendors' load runs; the run is rewound.</summary>
    protected async Task AccountsUnreadable_RunFailsAfterTheVendorsLoad_RewindLoadsTheRest()
    {
        const string connection = "read-accounts";
        (string runId, int vendorImportsBefore) = await this.FailAsync(
            connection,
            new SimulatedFaultSettings(UnreadableTables: ["GL_Account"]),
            "GL_Account could not be opened",
            nameof(Orchestrations.Flows.Dimensions.ReadSageDimensionsActivity),
            request: null,
            whileRunning: async id =>
            {
                // The vendors' import is held in progress in the model until the Sage read has failed for good (its last
                // retry answered): the failure comes while the vendors' load is under way, and the run does not end then.
                using (fixture.Model.HoldTasks("Vendors from Sage"))
                {
                    await Eventually.TrueAsync(
                        async () => (await fixture.HistoryAsync(id)).Count(e => e.InstanceId == id && e.Type == EventType.TaskFailed) == ReadAttempts,
                        TimeSpan.FromMinutes(5),
                        "the Sage read fails on each of its attempts while the vendors' import is held");
                    OrchestrationMetadata? during = await fixture.Client.GetInstanceAsync(id);
                    Assert.Equal(OrchestrationRuntimeStatus.Running, during?.RuntimeStatus);
                    Assert.Contains(fixture.Model.GetTasks(), t => t.ActionId == fixture.Import("Vendors from Sage").Id && t.State == "IN_PROGRESS");
                }
            });

        // The run failed only once the vendors' load under way had ended: that load went through, once.
        Assert.Equal(1, this.VendorImports() - vendorImportsBefore);
        Assert.Equal(DatasetStatuses.Loaded, (await fixture.Audit.GetDatasetsAsync(runId)).Single(d => d.Dataset == Datasets.Vendors).Status);

        OrchestrationMetadata rewound = await fixture.RewindToEndAsync(runId, "GL_Account readable again");

        Assert.True(rewound.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"the rewound run ended {rewound.RuntimeStatus}: {rewound.FailureDetails?.ErrorMessage}");
        ActualsRunSummary summary = rewound.ReadOutputAs<ActualsRunSummary>()!;
        this.AssertAnaplanEqualsSage(summary);
        Assert.Equal(1, this.VendorImports() - vendorImportsBefore); // the first attempt's load stood: not imported again
        await fixture.AssertAuditedRewindAsync(connection, runId, "GL_Account readable again", RunStatuses.Completed);
    }

    /// <summary>The fiscal calendar's table unreadable: the periods fail, the vendors staged are never loaded; the next run loads them.</summary>
    protected async Task CalendarUnreadable_RunFailsWithoutLoadingVendors_NextRunLoadsEverything()
    {
        const string connection = "read-calendar";
        string vendorChunks = $"/files/{fixture.Import("Vendors from Sage").ImportDataSourceId}/chunks/";
        int uploadsBefore = fixture.AnaplanRequests("PUT", vendorChunks);
        (_, int vendorImportsBefore) = await this.FailAsync(
            connection, new SimulatedFaultSettings(UnreadableTables: ["GL_FiscalYearDetail"]), "GL_FiscalYearDetail could not be opened", nameof(ResolvePeriodsActivity), request: null);

        // The vendors' load waits for the periods: it never started.
        Assert.Equal(0, this.VendorImports() - vendorImportsBefore);
        Assert.Equal(uploadsBefore, fixture.AnaplanRequests("PUT", vendorChunks));

        ActualsRunSummary next = await fixture.RunActualsAsync(connection, timeout: TimeSpan.FromMinutes(6));

        this.AssertAnaplanEqualsSage(next);
        Assert.Equal(1, this.VendorImports() - vendorImportsBefore);
    }

    /// <summary>
    /// The periods refused at once (a fiscal year Sage does not have) while the vendors are still being extracted (every
    /// Sage page slow, vendors in several pages): the run fails once that extraction has ended, and the next run loads
    /// everything, the vendors once.
    /// </summary>
    protected async Task YearNotInCalendar_WhileVendorsAreExtracted_RunFailsOnceTheyAreStaged_NextRunLoadsEverything()
    {
        const string connection = "read-year";
        (string runId, int vendorImportsBefore) = await this.FailAsync(
            connection, new SimulatedFaultSettings(SlowPageMilliseconds: 1500), "Fiscal year 2031 is not in the company's calendar", nameof(ResolvePeriodsActivity), new ActualsRunRequest("2031", 1, 1));

        // The fault came while the vendors were being extracted: the periods' failure is in the history before the
        // extraction's end, and the run's failure after it (the history check in FailAsync: every activity ended).
        List<RunHistoryEvent> parent = [.. (await fixture.HistoryAsync(runId)).Where(e => e.InstanceId == runId)];
        int vendorsScheduled = parent.Single(e => e.Type == EventType.TaskScheduled && e.Name == nameof(ExtractVendorsActivity)).EventId;
        int periodsScheduled = parent.Single(e => e.Type == EventType.TaskScheduled && e.Name == nameof(ResolvePeriodsActivity)).EventId;
        int periodsFailed = parent.FindIndex(e => e.Type == EventType.TaskFailed && e.ScheduledId == periodsScheduled);
        int vendorsStaged = parent.FindIndex(e => e.Type == EventType.TaskCompleted && e.ScheduledId == vendorsScheduled);
        Assert.True(periodsFailed >= 0 && vendorsStaged > periodsFailed, $"the periods failed (event {periodsFailed}) after the vendors were staged (event {vendorsStaged})");
        Assert.True(vendorsStaged < parent.FindIndex(e => e.Type == EventType.ExecutionCompleted), "the run ended before the vendors' extraction did");
        Assert.Equal(0, this.VendorImports() - vendorImportsBefore);

        ActualsRunSummary next = await fixture.RunActualsAsync(connection, timeout: TimeSpan.FromMinutes(6));

        this.AssertAnaplanEqualsSage(next);
        Assert.Equal(1, this.VendorImports() - vendorImportsBefore);
    }

    /// <summary>
    /// Sage changes (vendors and an invoice), then the connection's first run with the fault armed: it ends Failed with
    /// the reason, its audit row says so, and nothing it started is left running. The fault is cleared.
    /// </summary>
    private async Task<(string RunId, int VendorImports)> FailAsync(
        string connection, SimulatedFaultSettings fault, string reason, string failingActivity, ActualsRunRequest? request, Func<string, Task>? whileRunning = null)
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        int n = Array.IndexOf(Fixture.ConnectionIds, connection) + 1;
        abc.UpsertVendor("01", "0000001", $"Renamed for {connection}", null, null, null, blankTime: false, create: false);
        abc.UpsertVendor("01", $"07{n:D5}", $"New for {connection}", "Chicago", null, null, blankTime: false, create: true);
        abc.UpsertInvoice("01", "0000002", $"RF-{n}", new DateOnly(2026, 11, 20), 1234.56m, 1234.56m, null, blankTime: false, create: true);
        int vendorImports = this.VendorImports();

        fixture.Environment.Sage.Faults("ABC").Set(fault);
        OrchestrationMetadata failed;
        try
        {
            string id = (await fixture.Starter.StartActualsAsync(connection, "test", request ?? new ActualsRunRequest())).InstanceId;
            if (whileRunning is not null)
            {
                await whileRunning(id);
            }

            failed = await fixture.WaitAsync(id, TimeSpan.FromMinutes(6));
        }
        finally
        {
            fixture.Environment.Sage.Faults("ABC").Clear();
        }

        Assert.Equal(OrchestrationRuntimeStatus.Failed, failed.RuntimeStatus);
        Assert.Contains(reason, failed.FailureDetails?.ErrorMessage, StringComparison.Ordinal);
        Orchestrations.Storage.RunAudit row = (await fixture.Audit.GetRunAsync(connection, failed.InstanceId))!;
        Assert.Equal(RunStatuses.Failed, row.Status);
        Assert.Contains(reason, row.Error, StringComparison.Ordinal);

        // Nothing left behind: every activity the run and its sub-runs scheduled ended (the failing one after its retries),
        // every sub-run ended, and the model lock is free.
        IReadOnlyList<RunHistoryEvent> history = await fixture.HistoryAsync(failed.InstanceId);
        Assert.Contains(history, e => e.Type == EventType.TaskFailed && e.InstanceId == failed.InstanceId);
        Assert.Contains(history, e => e.Type == EventType.TaskScheduled && e.Name == failingActivity);
        foreach (IGrouping<string, RunHistoryEvent> instance in history.GroupBy(e => e.InstanceId))
        {
            int scheduled = instance.Count(e => e.Type == EventType.TaskScheduled);
            int ended = instance.Count(e => e.Type is EventType.TaskCompleted or EventType.TaskFailed);
            Assert.True(scheduled == ended, $"{instance.Key}: {scheduled} activities scheduled, {ended} ended");
            int created = instance.Count(e => e.Type == EventType.SubOrchestrationInstanceCreated);
            int subEnded = instance.Count(e => e.Type is EventType.SubOrchestrationInstanceCompleted or EventType.SubOrchestrationInstanceFailed);
            Assert.True(created == subEnded, $"{instance.Key}: {created} sub-runs created, {subEnded} ended");
        }

        await foreach (OrchestrationMetadata sub in fixture.Client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = failed.InstanceId + "|" }))
        {
            Assert.True(sub.IsCompleted, $"sub-run {sub.InstanceId} is {sub.RuntimeStatus}");
        }

        ConnectionOptions options = fixture.ConnectionList.Single(c => c.Id == connection);
        await Eventually.TrueAsync(
            async () => await fixture.Operations.GetModelLockAsync(options.Anaplan.WorkspaceId, options.Anaplan.ModelId) is null or { LockedBy: null },
            TimeSpan.FromMinutes(1),
            "the model lock is released once the failed run has ended");
        return (failed.InstanceId, vendorImports);
    }

    /// <summary>The run completed, and Anaplan equals Sage for the run's periods, AP and the Vendors list (read from the model).</summary>
    private void AssertAnaplanEqualsSage(ActualsRunSummary summary)
    {
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        Assert.Equal(RunStatuses.Completed, summary.Status);
        SimulatedTruth.AssertSameCells(SimulatedTruth.GlCells(abc, '-', 3, RunPeriods), SimulatedTruth.ModelGl(fixture.Model, RunPeriodCodes));
        SimulatedTruth.AssertSameCells(SimulatedTruth.ApCells(abc), SimulatedTruth.ModelAp(fixture.Model));
        SimulatedTruth.AssertSameCells(SimulatedTruth.Vendors(abc), fixture.Model.GetListItems("Vendors").ToDictionary(i => i.Code, i => i.Name));
        Assert.All(
            summary.Datasets.Where(d => d.Dataset is Datasets.GlActuals or Datasets.ApActuals),
            d => Assert.Equal(ReconciliationStatuses.Reconciled, d.Reconciliation?.Status));
        Assert.Empty(fixture.Model.Violations);
    }

    private int VendorImports() => fixture.AnaplanRequests("POST", $"/imports/{fixture.Import("Vendors from Sage").Id}/tasks");

    /// <summary>The attempts of an activity under <c>AnaplanPolling.Retry</c> (its first and four retries).</summary>
    private const int ReadAttempts = 5;

    public sealed class Fixture : RecoveryFixture
    {
        internal static readonly string[] ConnectionIds = ["read-accounts", "read-calendar", "read-year"];

        /// <summary>The durable history of a run and its sub-orchestrations.</summary>
        public Task<IReadOnlyList<RunHistoryEvent>> HistoryAsync(string runId)
            => RunHistory.ReadAsync(this.Services.GetRequiredService<AzureStorageOrchestrationService>(), this.Client, runId);

        protected override IEnumerable<ConnectionOptions> ConnectionsThroughGate(LocalEnvironment environment)
        {
            ArgumentNullException.ThrowIfNull(environment);
            int vendors = environment.Sage.Company("ABC").GetVendors(null, null, int.MaxValue).Count;
            foreach (string id in ConnectionIds)
            {
                ConnectionOptions connection = environment.Connection(id, "ABC", "Department");
                if (id == "read-year")
                {
                    // Vendors in 8 pages or more, each slow (the fault): their extraction outlasts the periods' refusal.
                    connection.Sage.PageSize = Math.Max(1, vendors / 8);
                }

                yield return connection;
            }
        }
    }
}

/// <summary>The accounts' table unreadable (its own fixture: it waits out the Sage read's retries).</summary>
[StartEarly]
public sealed class SageAccountsUnreadableTests(SageReadFaultTests.Fixture fixture) : SageReadFaultTests(fixture), IClassFixture<SageReadFaultTests.Fixture>
{
    [Fact]
    public Task AccountsTableUnreadable_RunFailsNamingIt_AfterTheVendorsLoadEnded_RewindCompletes_AnaplanEqualsSage()
        => this.AccountsUnreadable_RunFailsAfterTheVendorsLoad_RewindLoadsTheRest();
}

/// <summary>The periods failing: the fiscal calendar's table unreadable (waits out the periods' retries), then a fiscal year Sage does not have.</summary>
[StartEarly]
public sealed class SageCalendarUnreadableTests(SageReadFaultTests.Fixture fixture) : SageReadFaultTests(fixture), IClassFixture<SageReadFaultTests.Fixture>
{
    [Fact]
    public Task CalendarTableUnreadable_RunFailsNamingIt_VendorsNeverLoaded_NextRunCompletes_AnaplanEqualsSage()
        => this.CalendarUnreadable_RunFailsWithoutLoadingVendors_NextRunLoadsEverything();

    [Fact]
    public Task YearNotInCalendar_WhileVendorsAreExtracted_RunFailsOnceTheyAreStaged_NextRunCompletes_AnaplanEqualsSage()
        => this.YearNotInCalendar_WhileVendorsAreExtracted_RunFailsOnceTheyAreStaged_NextRunLoadsEverything();
}
