using Connector.Agent.Backends.Simulated;
using Connector.Emulators.Anaplan.Model;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Tests.Flows;
using Connector.Testing;
using DatasetNames = Connector.Orchestrations.Flows.Datasets;
using Microsoft.DurableTask.Client;

namespace Connector.Orchestrations.Tests.Recovery;

/// <summary>
/// The rewind test matrix of the main flow (Sage 100 → Anaplan) on the real local host: for each failure class, the
/// fault hits a real run, the run ends failed (or completed with failures), the fault is cleared, the run is rewound
/// under its own id, and then: it completed; Anaplan equals Sage; no dataset Anaplan had taken in the first attempt was
/// uploaded or imported again, and no extraction whose staging was complete read Sage again (the emulator's and the
/// agent's request logs); a task the first attempt started was polled, not started again; the audit shows the rewind.
/// Not applicable to this flow: the budget export failing and Sage refusing a post (the main flow neither exports a
/// budget nor posts to Sage).
/// </summary>
/// <remarks>
/// The cases run in four classes, each with its own fixture (environment, model, task hub), so they run beside each
/// other: the agent down, the chunk upload failing and the failure inside the lock each wait out an activity's durable
/// retries (a minute or more) and have a class of their own; the others share one (<see cref="ActualsRewindQuickTests"/>,
/// <see cref="ActualsRewindAgentDownTests"/>, <see cref="ActualsRewindChunkUploadTests"/>, <see cref="ActualsRewindInsideLockTests"/>).
/// </remarks>
public abstract class ActualsRewindTests(ActualsRewindTests.Fixture fixture)
{
    private static readonly string[] Lists = [Datasets.Accounts, Datasets.CostCenters];

    /// <summary>One case of the matrix: the fault, the first attempt, the rewind, and what must hold after it.</summary>
    protected async Task FaultThenRewindAsync(string fault)
    {
        string connection = $"act-{fault}";
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        ImportDefinition gl = fixture.Import("GL Actuals from Sage");
        string secret = (await fixture.Environment.Credentials.GetAsync(LocalEnvironment.SageApiKeyReference)).Reveal();
        Counts before = this.Count();

        // The fault, armed so that it hits the run at the step the class is about.
        StartRun started = await this.StartWithFaultAsync(connection, fault, gl, secret);
        OrchestrationMetadata first = await fixture.WaitAsync(started.RunId, TimeSpan.FromMinutes(6));
        string firstStatus = first.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? first.ReadOutputAs<ActualsRunSummary>()!.Status : first.RuntimeStatus.ToString();
        Assert.True(firstStatus == started.Expected, $"{fault}: the first attempt ended {firstStatus}, not {started.Expected}: {first.FailureDetails?.ErrorMessage}");
        if (first.RuntimeStatus == OrchestrationRuntimeStatus.Failed)
        {
            // The known gap is closed: a failed run's audit row says Failed, with the cause.
            Orchestrations.Storage.RunAudit row = (await fixture.Audit.GetRunAsync(connection, started.RunId))!;
            Assert.Equal(RunStatuses.Failed, row.Status);
            Assert.False(string.IsNullOrEmpty(row.Error));
        }

        Counts attempt1 = this.Count() - before;

        // What the first attempt got into Anaplan: the datasets its summary says were loaded (a run that failed has none
        // but the lists it imported before failing).
        HashSet<string> loaded = first.RuntimeStatus == OrchestrationRuntimeStatus.Completed
            ? [.. first.ReadOutputAs<ActualsRunSummary>()!.Datasets.Where(d => d.Status is DatasetStatuses.Loaded or DatasetStatuses.NoChanges).Select(d => d.Dataset)]
            : [.. Lists.Where(l => attempt1.Imports[l] > 0)];

        // The fault is cleared, and the run is rewound.
        fixture.Gate.Down = false;
        fixture.Environment.Anaplan.State.Faults.Clear();
        fixture.Environment.Sage.Faults("ABC").Clear();
        await fixture.SetSecretAsync(LocalEnvironment.SageApiKeyReference, secret);
        OrchestrationMetadata second = await fixture.RewindToEndAsync(started.RunId, $"{fault} fixed");
        Counts attempt2 = this.Count() - before - attempt1;

        Assert.True(second.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{fault}: the rewound run ended {second.RuntimeStatus}: {second.FailureDetails?.ErrorMessage}");
        ActualsRunSummary summary = second.ReadOutputAs<ActualsRunSummary>()!;
        Assert.Equal(started.RunId, summary.RunId);
        Assert.Equal(2, RecoveryFixture.AttemptOf(second));
        Assert.Equal(RunStatuses.Completed, summary.Status);

        // Anaplan equals Sage (read from the model, computed from the simulated company).
        SimulatedTruth.AssertSameCells(SimulatedTruth.GlCells(abc, '-', 3, [("2026", 10), ("2026", 11)]), SimulatedTruth.ModelGl(fixture.Model, ["FY2026-P10", "FY2026-P11"]));
        SimulatedTruth.AssertSameCells(SimulatedTruth.ApCells(abc), SimulatedTruth.ModelAp(fixture.Model));
        Assert.All(summary.Datasets.Where(d => d.Dataset is Datasets.GlActuals or Datasets.ApActuals),
            d => Assert.Equal(ReconciliationStatuses.Reconciled, d.Reconciliation?.Status));

        // Nothing the first attempt got into Anaplan went again; each dataset was imported once in all.
        foreach (string dataset in Counts.Datasets)
        {
            int total = attempt1.Imports[dataset] + attempt2.Imports[dataset];
            bool failedOnce = dataset == Datasets.GlActuals && fault is "import-failed";
            Assert.True(total == (failedOnce ? 2 : 1), $"{fault}: {dataset} was imported {attempt1.Imports[dataset]} + {attempt2.Imports[dataset]} time(s)");
            if (loaded.Contains(dataset))
            {
                Assert.True(attempt2.Uploads[dataset] == 0 && attempt2.Imports[dataset] == 0, $"{fault}: {dataset}, loaded by the first attempt, was sent again");
            }
        }

        // No Sage read for what the first attempt had staged; a started import was polled, not started again.
        foreach ((string dataset, string path) in Counts.Extractions)
        {
            if (started.StagedFirst.Contains(dataset))
            {
                Assert.True(attempt2.SageReads[dataset] == 0, $"{fault}: {dataset} was read from Sage again ({attempt2.SageReads[dataset]} request(s))");
            }
        }

        if (fault == "failure-inside-lock")
        {
            Assert.Equal(0, attempt2.Imports[Datasets.GlActuals]);
            Assert.Equal(0, attempt2.Uploads[Datasets.GlActuals]);
        }

        await fixture.AssertAuditedRewindAsync(connection, started.RunId, $"{fault} fixed", RunStatuses.Completed);
    }

    /// <summary>The GL import rebuilt in the model between the attempts: the rewind checks the model again.</summary>
    protected async Task ImportRecreatedBetweenAttemptsAsync()
    {
        const string connection = "act-import-recreated", NewId = "112000000991";
        SimulatedCompany abc = fixture.Environment.Sage.Company("ABC");
        ImportDefinition gl = fixture.Import("GL Actuals from Sage");
        string secret = (await fixture.Environment.Credentials.GetAsync(LocalEnvironment.SageApiKeyReference)).Reveal();
        int oldIdStarts = fixture.AnaplanRequests("POST", $"/imports/{gl.Id}/tasks");
        string? originalId = null;
        try
        {
            // The first attempt checks the model, loads the lists, then fails on Sage (the agent's key rotated).
            StartRun started = await this.StartWithFaultAsync(connection, "agent-key-rotated", gl, secret);
            OrchestrationMetadata first = await fixture.WaitAsync(started.RunId, TimeSpan.FromMinutes(6));
            fixture.Environment.Sage.Faults("ABC").Clear();
            Assert.Equal(OrchestrationRuntimeStatus.Failed, first.RuntimeStatus);

            // Between the attempts the GL import is rebuilt in the model (a new id), and the key is put right.
            originalId = fixture.Model.RecreateImport(gl.Name, NewId);
            await fixture.SetSecretAsync(LocalEnvironment.SageApiKeyReference, secret);
            OrchestrationMetadata second = await fixture.RewindToEndAsync(started.RunId, "key restored, GL import rebuilt");

            // The rewind checked the model again: GL went through the new import once, never through the old id.
            Assert.True(second.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"the rewound run ended {second.RuntimeStatus}: {second.FailureDetails?.ErrorMessage}");
            Assert.Equal(RunStatuses.Completed, second.ReadOutputAs<ActualsRunSummary>()!.Status);
            Assert.Equal(1, fixture.AnaplanRequests("POST", $"/imports/{NewId}/tasks"));
            Assert.Equal(oldIdStarts, fixture.AnaplanRequests("POST", $"/imports/{originalId}/tasks"));
            SimulatedTruth.AssertSameCells(SimulatedTruth.GlCells(abc, '-', 3, [("2026", 10), ("2026", 11)]), SimulatedTruth.ModelGl(fixture.Model, ["FY2026-P10", "FY2026-P11"]));
        }
        finally
        {
            fixture.Environment.Sage.Faults("ABC").Clear();
            await fixture.SetSecretAsync(LocalEnvironment.SageApiKeyReference, secret);
            if (originalId is not null)
            {
                fixture.Model.RecreateImport(gl.Name, originalId);
            }
        }
    }

    private async Task<StartRun> StartWithFaultAsync(string connection, string fault, ImportDefinition gl, string secret)
    {
        EmulatorState anaplan = fixture.Environment.Anaplan.State;
        string glTasks = $"POST /2/0/workspaces/*/models/*/imports/{gl.Id}/tasks";
        string[] everything = [.. Counts.Extractions.Keys];
        switch (fault)
        {
            case "agent-down" or "agent-key-rotated":
                // GL is extracted while the lists load (speculatively), so the fault cannot wait for the lists: every Sage
                // page takes a while from the start, the connection pages GL in several pages, and the agent goes down (or
                // its key is rotated: the connector's key is refused from then on) as soon as the GL extraction has read
                // its first page, with more to read.
                fixture.Environment.Sage.Faults("ABC").Set(new SimulatedFaultSettings(SlowPageMilliseconds: 1500));
                int glPages = fixture.AgentReads("/gl/period-balances");
                return new StartRun(await this.StartAsync(connection, async id =>
                {
                    await Eventually.TrueAsync(() => fixture.AgentReads("/gl/period-balances") > glPages, TimeSpan.FromMinutes(5), "the GL extraction reads Sage");
                    if (fault == "agent-down")
                    {
                        fixture.Gate.Down = true;
                    }
                    else
                    {
                        await fixture.SetSecretAsync(LocalEnvironment.SageApiKeyReference, "rotated-" + secret[..8]);
                    }
                }), nameof(OrchestrationRuntimeStatus.Failed), []);
            case "chunk-upload-5xx":
                // 500, which the client does not retry itself (a 503 is retried for minutes first: the client tests cover that),
                // so the load fails after the activity's own retries.
                anaplan.Faults.FailNext($"PUT /2/0/workspaces/*/models/*/files/{gl.ImportDataSourceId}/chunks/*", 100_000, 500);
                return new StartRun(await this.StartAsync(connection), RunStatuses.CompletedWithFailures, everything);
            case "import-failed":
                anaplan.Faults.FailNextImportRun(gl.Name);
                return new StartRun(await this.StartAsync(connection), RunStatuses.CompletedWithFailures, everything);
            case "model-locked-at-task-start":
                anaplan.Faults.FailNext(glTasks, 1, 423);
                return new StartRun(await this.StartAsync(connection), RunStatuses.CompletedWithFailures, everything);
            case "failure-inside-lock":
                // The GL import starts, then its status cannot be read: the load fails inside the model lock.
                anaplan.Faults.FailNext($"GET /2/0/workspaces/*/models/*/imports/{gl.Id}/tasks/*", 100_000, 500);
                return new StartRun(await this.StartAsync(connection), RunStatuses.CompletedWithFailures, everything);
            default:
                throw new ArgumentOutOfRangeException(nameof(fault), fault, null);
        }
    }

    private async Task<string> StartAsync(string connection, Func<string, Task>? then = null)
    {
        string id = (await fixture.Starter.StartActualsAsync(connection, "test", new Orchestrations.Operations.ActualsRunRequest())).InstanceId;
        if (then is not null)
        {
            await then(id);
        }

        return id;
    }

    private Counts Count() => new(
        Counts.Datasets.ToDictionary(d => d, d => fixture.AnaplanRequests("POST", $"/imports/{fixture.Import(Counts.ImportName(d)).Id}/tasks")),
        Counts.Datasets.ToDictionary(d => d, d => fixture.AnaplanRequests("PUT", $"/files/{fixture.Import(Counts.ImportName(d)).ImportDataSourceId}/chunks/")),
        Counts.Extractions.ToDictionary(e => e.Key, e => fixture.AgentReads(e.Value)));

    /// <summary>A run started with its fault armed: what its first attempt must end as, and which datasets it staged for sure.</summary>
    private sealed record StartRun(string RunId, string Expected, IReadOnlyList<string> StagedFirst);

    /// <summary>Requests per dataset: imports started, chunks uploaded (Anaplan), reads of its Sage data (agent).</summary>
    private sealed record Counts(Dictionary<string, int> Imports, Dictionary<string, int> Uploads, Dictionary<string, int> SageReads)
    {
        public static readonly string[] Datasets = [DatasetNames.Accounts, DatasetNames.CostCenters, DatasetNames.Vendors, DatasetNames.GlActuals, DatasetNames.ApActuals];

        public static readonly Dictionary<string, string> Extractions = new()
        {
            [DatasetNames.GlActuals] = "/gl/period-balances",
            [DatasetNames.ApActuals] = "/ap/invoice-totals",
            [DatasetNames.Vendors] = "/ap/vendors",
        };

        public static string ImportName(string dataset) => dataset switch
        {
            DatasetNames.Accounts => "Accounts from Sage",
            DatasetNames.CostCenters => "Cost Centers from Sage",
            DatasetNames.Vendors => "Vendors from Sage",
            DatasetNames.GlActuals => "GL Actuals from Sage",
            _ => "AP Actuals from Sage",
        };

        public static Counts operator -(Counts a, Counts b) => new(
            a.Imports.ToDictionary(kv => kv.Key, kv => kv.Value - b.Imports[kv.Key]),
            a.Uploads.ToDictionary(kv => kv.Key, kv => kv.Value - b.Uploads[kv.Key]),
            a.SageReads.ToDictionary(kv => kv.Key, kv => kv.Value - b.SageReads[kv.Key]));
    }

    public sealed class Fixture : RecoveryFixture
    {
        private static readonly string[] Faults = ["agent-down", "agent-key-rotated", "chunk-upload-5xx", "import-failed", "model-locked-at-task-start", "failure-inside-lock", "import-recreated"];

        protected override IEnumerable<ConnectionOptions> ConnectionsThroughGate(LocalEnvironment environment)
        {
            ArgumentNullException.ThrowIfNull(environment);
            int glRows = environment.Sage.Company("ABC").GetPeriodBalances("2026", 10, 11, null, int.MaxValue).Count;
            foreach (string fault in Faults)
            {
                ConnectionOptions connection = environment.Connection($"act-{fault}", "ABC", "Department");
                if (fault is "agent-down" or "agent-key-rotated" or "import-recreated")
                {
                    // GL in several pages, so that a fault after its first page hits the extraction.
                    connection.Sage.PageSize = Math.Max(1, glRows / 6);
                }

                yield return connection;
            }
        }
    }
}

/// <summary>The rewind matrix's cases that wait out no durable retries, and the GL import rebuilt between attempts (one class fixture).</summary>
public sealed class ActualsRewindQuickTests(ActualsRewindTests.Fixture fixture) : ActualsRewindTests(fixture), IClassFixture<ActualsRewindTests.Fixture>
{
    [Theory]
    [InlineData("agent-key-rotated")]
    [InlineData("import-failed")]
    [InlineData("model-locked-at-task-start")]
    public Task FaultThenRewind_CompletesUnderTheSameId_NothingLoadedTwice(string fault) => this.FaultThenRewindAsync(fault);

    [Fact]
    public Task ImportRecreatedBetweenAttempts_RewindChecksTheModelAgain_LoadsThroughTheNewImport() => this.ImportRecreatedBetweenAttemptsAsync();
}

/// <summary>The rewind matrix's agent down during the GL extraction (its own fixture: it waits out the extraction's retries).</summary>
[StartEarly]
public sealed class ActualsRewindAgentDownTests(ActualsRewindTests.Fixture fixture) : ActualsRewindTests(fixture), IClassFixture<ActualsRewindTests.Fixture>
{
    [Theory]
    [InlineData("agent-down")]
    public Task FaultThenRewind_CompletesUnderTheSameId_NothingLoadedTwice(string fault) => this.FaultThenRewindAsync(fault);
}

/// <summary>The rewind matrix's chunk upload failing (its own fixture: it waits out the load's retries).</summary>
[StartEarly]
public sealed class ActualsRewindChunkUploadTests(ActualsRewindTests.Fixture fixture) : ActualsRewindTests(fixture), IClassFixture<ActualsRewindTests.Fixture>
{
    [Theory]
    [InlineData("chunk-upload-5xx")]
    public Task FaultThenRewind_CompletesUnderTheSameId_NothingLoadedTwice(string fault) => this.FaultThenRewindAsync(fault);
}

/// <summary>The rewind matrix's failure inside the model lock (its own fixture: it waits out the status check's retries).</summary>
[StartEarly]
public sealed class ActualsRewindInsideLockTests(ActualsRewindTests.Fixture fixture) : ActualsRewindTests(fixture), IClassFixture<ActualsRewindTests.Fixture>
{
    [Theory]
    [InlineData("failure-inside-lock")]
    public Task FaultThenRewind_CompletesUnderTheSameId_NothingLoadedTwice(string fault) => this.FaultThenRewindAsync(fault);
}
