using System.Diagnostics;
using System.Globalization;
using System.Text;
using Connector.Agent.Backends;
using Connector.Agent.Backends.Simulated;
using Connector.Emulators.Anaplan.Model;
using Connector.Local.Demo;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Connector.Orchestrations.Tests.Flows;
using Connector.Testing;
using Microsoft.DurableTask.Client;

namespace Connector.Orchestrations.Tests.Faults;

/// <summary>What one seed did and how its end state held up.</summary>
public sealed record SeedResult(FaultPlan Plan, string Happened, string Faulted, string FollowUp, string Invariants, IReadOnlyList<string> Failures, TimeSpan Elapsed)
{
    public bool Passed => this.Failures.Count == 0;

    public string Line
        => string.Create(CultureInfo.InvariantCulture, $"seed {this.Plan.Seed} [{this.Plan}]{this.Happened} | faulted: {this.Faulted} | follow-up: {this.FollowUp} | invariants: {this.Invariants} | {this.Elapsed.TotalSeconds:0}s");
}

/// <summary>
/// Runs one seed: new data on both sides, the plan's faults armed, an actuals run and a budgets run together through
/// them (the worker process killed and restarted where the plan says), the faults disarmed, one clean follow-up run of
/// each, then the invariants, every one read back from the systems: Anaplan equals Sage for every dataset of the run's
/// periods; each budget entry exists exactly once in Sage; every rejected or failed record has an audit row; no secret in
/// any output; the emulator saw no parallel actions on one model and no call inside a Retry-After window.
/// </summary>
public sealed class FaultSuiteRunner : IDisposable
{
    /// <summary>How long a run may take through its faults (a 429 storm without Retry-After alone waits 10 s a call).</summary>
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(8);

    /// <summary>Retry-After is whole seconds and timers are not exact to the millisecond: a call this early still honoured it.</summary>
    private static readonly TimeSpan TimerSlack = TimeSpan.FromMilliseconds(20);

    /// <summary>A call arriving this soon after a 429 left was sent before the client could have read it (loopback).</summary>
    private static readonly TimeSpan InFlight = TimeSpan.FromMilliseconds(50);

    /// <summary>The cost centres (ABC's departments) a seed's budget draws from.</summary>
    private static readonly string[] CostCenters = ["01", "02", "03"];

    private readonly SeededFaultTests.Fixture fixture;
    private readonly string dir = Directory.CreateTempSubdirectory("fault-suite-").FullName;
    private readonly string settings;
    private readonly string sageCrash;
    private readonly string commitCrash;
    private readonly Dictionary<string, string> workerEnvironment;
    private readonly List<WorkerProcess> workers = [];
    private WorkerProcess? worker;

    public FaultSuiteRunner(SeededFaultTests.Fixture fixture)
    {
        this.fixture = fixture;
        this.settings = fixture.WriteWorkerSettings(this.dir);
        this.sageCrash = Path.Combine(this.dir, "crash-after-sage-write");
        this.commitCrash = Path.Combine(this.dir, "crash-before-commit");
        this.workerEnvironment = new Dictionary<string, string> { ["CONNECTOR_MASTER_KEY"] = fixture.Environment.MasterKey };
    }

    private LocalEnvironment Environment => this.fixture.Environment;

    public async Task<SeedResult> RunSeedAsync(FaultPlan plan)
    {
        var clock = Stopwatch.StartNew();
        var failures = new List<string>();
        await this.EnsureWorkerAsync();
        SimulatedCompany abc = this.Environment.Sage.Company("ABC");
        EmulatedModel model = this.Environment.Anaplan.DefaultModel;
        EmulatorState anaplan = this.Environment.Anaplan.State;
        (string version, decimal budgetTotal) = this.SeedData(plan.Seed, abc, model);

        IReadOnlyList<EmulatorRequest> before = anaplan.Requests.Snapshot();
        long firstSequence = before.Count == 0 ? 0 : before[^1].Sequence;
        int violationsBefore = model.Violations.Count;
        this.Arm(plan);

        // The faulted runs: both flows at once on one model, so the per-model lock is exercised too.
        using var watching = new CancellationTokenSource();
        Task<string> watcher = this.WatchAsync(plan, firstSequence, watching.Token);
        string[] faultedIds = await this.StartBothAsync(plan.Seed, version, "fault");
        OrchestrationMetadata?[] faulted = [await this.WaitAsync(faultedIds[0], failures), await this.WaitAsync(faultedIds[1], failures)];
        await watching.CancelAsync();
        int calls = anaplan.Requests.Snapshot().Count(r => r.Sequence > firstSequence && r.Path.StartsWith("/2/0", StringComparison.Ordinal));
        string happened = string.Create(CultureInfo.InvariantCulture, $" ({calls} API calls)") + await watcher + this.Disarm();
        await this.EnsureWorkerAsync();

        // One clean follow-up run of each.
        string[] followIds = await this.StartBothAsync(plan.Seed, version, "follow");
        OrchestrationMetadata?[] follow = [await this.WaitAsync(followIds[0], failures), await this.WaitAsync(followIds[1], failures)];
        var checks = new List<(string Name, bool Passed)>();
        ActualsRunSummary? actuals = Output<ActualsRunSummary>(follow[0]);
        BudgetRunSummary? budgets = Output<BudgetRunSummary>(follow[1]);
        Check(checks, failures, "follow-up completed", () =>
        {
            foreach (OrchestrationMetadata? run in follow)
            {
                Assert.True(run?.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"follow-up run {run?.InstanceId} ended {run?.RuntimeStatus}: {run?.FailureDetails?.ErrorMessage}");
            }
        });
        Check(checks, failures, "Anaplan=Sage", () => AssertAnaplanEqualsSage(abc, model, actuals));
        IReadOnlyList<EntryResult> followResults = budgets is null ? [] : await this.fixture.ResultsAsync(budgets);
        IReadOnlyList<EntryResult> faultedResults = Output<BudgetRunSummary>(faulted[1]) is { } firstBudgets ? await this.fixture.ResultsAsync(firstBudgets) : [];
        Check(checks, failures, "budget once", () => AssertEachEntryOnce(abc, version, budgetTotal, budgets, followResults, faultedResults));
        await CheckAsync(checks, failures, "audit", () => this.AssertAuditedAsync([.. faulted, .. follow]));
        await CheckAsync(checks, failures, "no secret", () => this.AssertNoSecretAsync([.. faulted, .. follow], firstSequence));
        Check(checks, failures, "serial actions", () =>
        {
            var parallel = model.Violations.Skip(violationsBefore).ToList();
            Assert.True(parallel.Count == 0, $"{parallel.Count} action(s) started on a busy model: {string.Join("; ", parallel.Select(v => $"{v.StartedActionId} while {v.BusyWithActionId} at {v.At:HH:mm:ss.fff}"))}");
        });
        Check(checks, failures, "Retry-After", () =>
        {
            var early = anaplan.Requests.CallsInsideRetryAfterWindows(firstSequence, InFlight, TimerSlack);
            Assert.True(early.Count == 0, $"{early.Count} call(s) inside a Retry-After window: {string.Join("; ", early.Take(5).Select(e => $"{e.Early.Method} {e.Early.Path} at {e.Early.ReceivedAt:HH:mm:ss.fff}, {e.Refused.StatusCode} to #{e.Refused.Sequence} at {e.Refused.CompletedAt:HH:mm:ss.fff} said Retry-After {e.Refused.RetryAfter}"))}");
        });

        string invariants = string.Join(", ", checks.Select(c => $"{c.Name} {(c.Passed ? "pass" : "FAIL")}"));
        return new SeedResult(plan, happened, Outcome(faulted), Outcome(follow), invariants, failures, clock.Elapsed);
    }

    public void Dispose()
    {
        foreach (WorkerProcess process in this.workers)
        {
            process.Dispose();
        }

        Directory.Delete(this.dir, recursive: true);
    }

    private static void Check(List<(string, bool)> checks, List<string> failures, string name, Action check)
    {
        try
        {
            check();
            checks.Add((name, true));
        }
        catch (Exception ex) when (ex is Xunit.Sdk.XunitException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            checks.Add((name, false));
            failures.Add($"{name}: {ex.Message}");
        }
    }

    private static async Task CheckAsync(List<(string, bool)> checks, List<string> failures, string name, Func<Task> check)
    {
        try
        {
            await check();
            checks.Add((name, true));
        }
        catch (Exception ex) when (ex is Xunit.Sdk.XunitException or InvalidOperationException or Azure.RequestFailedException)
        {
            checks.Add((name, false));
            failures.Add($"{name}: {ex.Message}");
        }
    }

    private static T? Output<T>(OrchestrationMetadata? run)
        where T : class
        => run?.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? run.ReadOutputAs<T>() : null;

    private static string Outcome(OrchestrationMetadata?[] runs)
    {
        string One(OrchestrationMetadata? run, bool budgets)
        {
            if (run is null)
            {
                return "did not finish";
            }

            if (run.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
            {
                string message = run.FailureDetails?.ErrorMessage ?? string.Empty;
                return $"{run.RuntimeStatus} ({(message.Length > 90 ? message[..90] + "…" : message)})";
            }

            if (budgets)
            {
                BudgetRunSummary b = run.ReadOutputAs<BudgetRunSummary>()!;
                return string.Create(CultureInfo.InvariantCulture, $"{b.Status} ({b.Posted} posted, {b.AlreadyPosted} already)");
            }

            ActualsRunSummary a = run.ReadOutputAs<ActualsRunSummary>()!;
            var odd = a.Datasets.Where(d => d.Status is not (DatasetStatuses.Loaded or DatasetStatuses.NoChanges)).Select(d => $"{d.Dataset} {d.Status}").ToList();
            string files = a.Datasets.FirstOrDefault(d => d.Dataset == Datasets.GlActuals && d.Files > 1) is { } gl ? $", GL in {gl.Files} files" : string.Empty;
            return odd.Count == 0 ? a.Status + files : $"{a.Status} ({string.Join(", ", odd)}){files}";
        }

        return $"actuals {One(runs[0], false)}; budgets {One(runs[1], true)}";
    }

    /// <summary>Anaplan holds what Sage holds, read from both: GL cells of the run's periods, AP cells, vendors, cost centres.</summary>
    private static void AssertAnaplanEqualsSage(SimulatedCompany abc, EmulatedModel model, ActualsRunSummary? run)
    {
        Assert.NotNull(run);
        var periods = run.Periods.Select(p => (p[2..6], int.Parse(p[^2..], CultureInfo.InvariantCulture))).ToList();
        SimulatedTruth.AssertSameCells(SimulatedTruth.GlCells(abc, '-', 3, periods), SimulatedTruth.ModelGl(model, run.Periods));
        SimulatedTruth.AssertSameCells(SimulatedTruth.ApCells(abc), SimulatedTruth.ModelAp(model));
        SimulatedTruth.AssertSameCells(SimulatedTruth.Vendors(abc), model.GetListItems("Vendors").ToDictionary(i => i.Code, i => i.Name));
        var costCenters = model.GetListItems("Cost Centers").Select(i => i.Code).ToHashSet();
        var missing = abc.GetSubAccounts(3, null, int.MaxValue).Select(s => s.Code.Trim()).Where(c => !costCenters.Contains(c)).ToList();
        Assert.True(missing.Count == 0, $"cost centre(s) of Sage missing in Anaplan: {string.Join(", ", missing)}");
    }

    /// <summary>Every entry of the version's budget is in Sage exactly once, and Sage's entries add up to Anaplan's cells.</summary>
    private static void AssertEachEntryOnce(
        SimulatedCompany abc, string version, decimal anaplanTotal, BudgetRunSummary? follow, IReadOnlyList<EntryResult> followResults, IReadOnlyList<EntryResult> faultedResults)
    {
        Assert.NotNull(follow);
        Assert.True(followResults.Count == follow.Plan.EntryCount, $"the follow-up's results blob lists {followResults.Count} of its {follow.Plan.EntryCount} entries");
        var ids = followResults.Select(e => e.ExternalId).ToHashSet(StringComparer.Ordinal);
        ids.UnionWith(faultedResults.Select(e => e.ExternalId));

        Assert.NotEmpty(ids);
        var inSage = abc.ListJournalEntries().Where(e => ids.Contains(e.ExternalId)).ToList();
        var twice = inSage.GroupBy(e => e.ExternalId).Where(g => g.Count() > 1).Select(g => $"{g.Key} ×{g.Count()}").ToList();
        Assert.True(twice.Count == 0, $"entries posted more than once: {string.Join(", ", twice)}");
        var absent = ids.Where(id => inSage.All(e => e.ExternalId != id)).ToList();
        Assert.True(absent.Count == 0, $"{version}: entries of the plan not in Sage: {string.Join(", ", absent)}");
        decimal posted = inSage.Sum(e => e.Lines.Sum(l => l.Debit));
        Assert.True(posted == anaplanTotal, $"{version}: Sage's entries debit {posted}, Anaplan's cells total {anaplanTotal}");
    }

    /// <summary>Every rejected row and failed record a run counted has its audit row (read from the audit table).</summary>
    private async Task AssertAuditedAsync(IEnumerable<OrchestrationMetadata?> runs)
    {
        foreach (OrchestrationMetadata? run in runs)
        {
            if (Output<ActualsRunSummary>(run) is { Datasets: not null } actuals)
            {
                var records = await this.fixture.Audit.GetRecordsAsync(actuals.RunId).ToListAsync();
                foreach (DatasetSummary d in actuals.Datasets)
                {
                    int rejected = records.Count(r => r.Dataset == d.Dataset && r.Kind == RecordKinds.Rejected);
                    int failed = records.Count(r => r.Dataset == d.Dataset && r.Kind == RecordKinds.Failed);
                    Assert.True(rejected >= d.Rejected && failed >= d.Failed, $"run {actuals.RunId} {d.Dataset}: {d.Rejected} rejected and {d.Failed} failed, audited {rejected} and {failed}");
                }
            }
            else if (Output<BudgetRunSummary>(run) is { Plan: not null } budgets)
            {
                var records = await this.fixture.Audit.GetRecordsAsync(budgets.RunId, Datasets.Budget).ToListAsync();
                int refused = budgets.Count(JournalStatuses.Rejected) + budgets.Count(JournalStatuses.NeedsReview);
                Assert.True(
                    records.Count(r => r.Kind == RecordKinds.Rejected) >= budgets.Plan.LinesRejected && records.Count(r => r.Kind == RecordKinds.Failed) >= refused,
                    $"run {budgets.RunId}: {budgets.Plan.LinesRejected} lines rejected and {refused} entries refused, audited {records.Count} rows");
            }
        }
    }

    /// <summary>No secret the connector held in any output: logs of this process, the agent and every worker process, run
    /// outputs and failures, audit rows, and the URLs Anaplan saw.</summary>
    private async Task AssertNoSecretAsync(IEnumerable<OrchestrationMetadata?> runs, long firstSequence)
    {
        string key = (await this.Environment.Credentials.GetAsync(LocalEnvironment.SageApiKeyReference)).Reveal();
        string password = (await this.Environment.Credentials.GetAsync(LocalEnvironment.AnaplanPasswordReference)).Reveal();
        var secrets = new Dictionary<string, string>
        {
            ["the Sage API key"] = key,
            ["the Anaplan password"] = password,
            ["the Basic header"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{LocalEnvironment.AnaplanUser}:{password}")),
            ["the credential master key"] = this.Environment.MasterKey,
        };
        foreach ((string token, int i) in this.Environment.Anaplan.State.IssuedTokenValues().Select((t, i) => (t, i)))
        {
            secrets[$"Anaplan token #{i + 1}"] = token;
        }

        var places = new List<(string Where, string Text)>();
        places.AddRange(this.fixture.Logs.Lines.Select((l, i) => ($"client log line {i}", l)));
        places.AddRange(this.fixture.AgentLogs.Lines.Select((l, i) => ($"agent log line {i}", l)));
        foreach (WorkerProcess process in this.workers)
        {
            places.AddRange(process.Output.Select((l, i) => ($"worker {process.Id} output line {i}", l)));
        }

        places.AddRange(this.Environment.Anaplan.State.Requests.Snapshot().Where(r => r.Sequence > firstSequence).Select(r => ($"Anaplan URL {r.Method} {r.Path}", r.Path)));
        foreach (OrchestrationMetadata? run in runs.OfType<OrchestrationMetadata>())
        {
            places.Add(($"run {run.InstanceId} output", run.SerializedOutput ?? string.Empty));
            places.Add(($"run {run.InstanceId} failure", run.FailureDetails?.ToString() ?? string.Empty));
            places.Add(($"run {run.InstanceId} status", run.SerializedCustomStatus ?? string.Empty));
            await foreach (RecordAudit record in this.fixture.Audit.GetRecordsAsync(run.InstanceId))
            {
                places.Add(($"audit row of {run.InstanceId}", $"{record.Record} {record.Field} {record.Reason}"));
            }
        }

        Assert.True(places.Any(p => p.Where.StartsWith("worker", StringComparison.Ordinal)), "no worker output was captured");
        var leaks = (from place in places from secret in secrets where place.Text.Contains(secret.Value, StringComparison.Ordinal) select $"{secret.Key} in {place.Where}").Distinct().ToList();
        Assert.True(leaks.Count == 0, $"{leaks.Count} leak(s) in {places.Count} places: {string.Join("; ", leaks.Take(10))}");
    }

    /// <summary>New data on both sides, drawn from the seed: a renamed vendor, a new vendor with an invoice, and an approved
    /// budget version of its own (so each seed's entries are its own). Returns the version and its total.</summary>
    private (string Version, decimal Total) SeedData(int seed, SimulatedCompany abc, EmulatedModel model)
    {
        var random = new Random(seed * 7919);
        string version = string.Create(CultureInfo.InvariantCulture, $"Fault{seed}");
        int[] periods = [.. Enumerable.Range(1, 3).OrderBy(_ => random.Next()).Take(random.Next(1, 3))];
        string[] costCenters = [.. CostCenters.OrderBy(_ => random.Next()).Take(random.Next(1, 3))];
        var cells = (from p in periods from c in costCenters
                     select new BudgetSeed.Cell("600-01", c, string.Create(CultureInfo.InvariantCulture, $"FY2027-P{p:D2}"), version, random.Next(100, 1_000_000) / 100m)).ToList();
        if (model.GetListItems("Versions").All(i => i.Code != version))
        {
            model.AddListItem("Versions", version, version); // before its cells: a cell must name an existing version
        }

        BudgetSeed.Seed(model, cells, version);

        string vendor = (970000 + seed).ToString("D7", CultureInfo.InvariantCulture);
        bool known = abc.GetVendors(null, null, int.MaxValue).Any(v => v.DivisionNo == "01" && v.VendorNo == vendor);
        abc.UpsertVendor("01", "0000001", string.Create(CultureInfo.InvariantCulture, $"Renamed by seed {seed}"), null, null, null, blankTime: false, create: false);
        abc.UpsertVendor("01", vendor, string.Create(CultureInfo.InvariantCulture, $"Seed {seed} Supplier"), "Denver", null, null, blankTime: false, create: !known);
        decimal amount = random.Next(1_000, 10_000_000) / 100m;
        abc.UpsertInvoice("01", vendor, string.Create(CultureInfo.InvariantCulture, $"F{seed}-{random.Next(1000)}"), new DateOnly(2026, 11, 1 + random.Next(25)), amount, amount, null, blankTime: false, create: true);
        return (version, cells.Sum(c => c.Amount));
    }

    private void Arm(FaultPlan plan)
    {
        this.Environment.Sage.Faults("ABC").Set(new SimulatedFaultSettings(
            LockNextWrites: plan.LockStorm,
            UnavailableReason: plan.AgentUnavailable > 0 ? "session" : null,
            UnavailableCount: plan.AgentUnavailable > 0 ? plan.AgentUnavailable : null,
            CrashAfterNextWrites: plan.AgentDropAfterWrite ? 1 : 0));
        EmulatorFaults faults = this.Environment.Anaplan.State.Faults;
        if (plan.AnaplanDrops > 0)
        {
            faults.DropNext(plan.DropRoute, plan.AnaplanDrops);
        }

        if (plan.Storm429 > 0)
        {
            faults.FailNext(plan.StormRoute, plan.Storm429, 429, plan.StormRetryAfter);
        }

        if (plan.ChunkFailure is { } status)
        {
            faults.FailNext(FaultPlan.ChunkRoute, 1, status);
        }

        if (plan.FailingImport is { } import)
        {
            faults.FailNextImportRun(import);
        }

        foreach (string file in new[] { this.sageCrash, this.commitCrash }.SelectMany(f => new[] { f, f + ".crashed" }))
        {
            File.Delete(file);
        }

        if (plan.Kill == KillPoint.AfterSageWrite)
        {
            File.WriteAllText(this.sageCrash, string.Empty);
        }
        else if (plan.Kill == KillPoint.BeforeCommit)
        {
            File.WriteAllText(this.commitCrash, string.Empty);
        }
    }

    /// <summary>Disarms every fault; says which armed faults the runs never reached.</summary>
    private string Disarm()
    {
        EmulatorFaults faults = this.Environment.Anaplan.State.Faults;
        var unused = faults.Active.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Kind} {r.Route} ×{r.Remaining}")).ToList();
        SimulatedFaultSettings sage = this.Environment.Sage.Faults("ABC").Current;
        if (sage.LockNextWrites > 0)
        {
            unused.Add(string.Create(CultureInfo.InvariantCulture, $"record-lock ×{sage.LockNextWrites}"));
        }

        if (sage.UnavailableCount > 0)
        {
            unused.Add(string.Create(CultureInfo.InvariantCulture, $"agent-503 ×{sage.UnavailableCount}"));
        }

        if (sage.CrashAfterNextWrites > 0)
        {
            unused.Add("agent drop");
        }

        if (File.Exists(this.sageCrash) || File.Exists(this.commitCrash))
        {
            unused.Add("worker kill point");
        }

        faults.Clear();
        this.Environment.Sage.Faults("ABC").Clear();
        File.Delete(this.sageCrash);
        File.Delete(this.commitCrash);
        return unused.Count == 0 ? string.Empty : $" (not reached: {string.Join(", ", unused)})";
    }

    /// <summary>While the faulted runs go: kills the token once the first chunk arrives, kills the worker at the seeded
    /// call count, and starts a new worker whenever the worker died (killed or by its own crash point).</summary>
    private async Task<string> WatchAsync(FaultPlan plan, long firstSequence, CancellationToken cancellationToken)
    {
        EmulatorState anaplan = this.Environment.Anaplan.State;
        var happened = new List<string>();
        bool revoked = false, killed = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            var calls = anaplan.Requests.Snapshot().Where(r => r.Sequence > firstSequence && r.Path.StartsWith("/2/0", StringComparison.Ordinal)).ToList();
            if (plan.TokenExpiryMidUpload && !revoked && calls.Any(r => r.Method == "PUT" && r.Path.Contains("/chunks/", StringComparison.Ordinal)))
            {
                revoked = true;
                happened.Add(string.Create(CultureInfo.InvariantCulture, $"{anaplan.RevokeAllTokens()} token(s) expired after chunk"));
            }

            if (plan.Kill == KillPoint.AfterAnaplanCalls && !killed && calls.Count >= plan.KillAfterCalls)
            {
                killed = true;
                this.worker!.Kill();
                happened.Add(string.Create(CultureInfo.InvariantCulture, $"worker {this.worker.Id} killed at call {calls.Count}"));
            }

            if (this.worker!.HasExited)
            {
                if (!killed)
                {
                    killed = true;
                    string at = File.Exists(this.sageCrash + ".crashed") ? $"after Sage wrote {File.ReadAllText(this.sageCrash + ".crashed")}"
                        : File.Exists(this.commitCrash + ".crashed") ? $"before committing {File.ReadAllText(this.commitCrash + ".crashed")}" : "unexpectedly";
                    happened.Add($"worker {this.worker.Id} died {at}");
                }

                await this.EnsureWorkerAsync();
                happened.Add($"worker {this.worker.Id} started");
            }

            try
            {
                // A poll of in-memory state with a short period: the faults react to what the emulator saw.
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        if (plan.Kill == KillPoint.AfterAnaplanCalls && !killed)
        {
            happened.Add("the runs made fewer calls than the kill point");
        }

        return happened.Count == 0 ? string.Empty : $" ({string.Join(", ", happened)})";
    }

    private async Task EnsureWorkerAsync()
    {
        if (this.worker is null || this.worker.HasExited)
        {
            this.worker = await WorkerProcess.StartAsync(["runtime", this.settings, this.sageCrash, this.commitCrash], this.workerEnvironment);
            this.workers.Add(this.worker);
        }
    }

    private async Task<string[]> StartBothAsync(int seed, string version, string kind)
    {
        string key = string.Create(CultureInfo.InvariantCulture, $"seed-{seed}-{kind}-{Guid.NewGuid():N}");
        StartRunResult actuals = await this.fixture.Starter.StartActualsAsync("abc", "fault-suite", new ActualsRunRequest(RequestKey: key + "-a"));
        StartRunResult budgets = await this.fixture.Starter.StartBudgetsAsync("abc", "fault-suite", new BudgetRunRequest(Version: version, RequestKey: key + "-b"));
        return [actuals.InstanceId, budgets.InstanceId];
    }

    /// <summary>Waits for a run to end however it ends; a run still going after <see cref="RunTimeout"/> is a failure of
    /// the seed, and is terminated so the next seed starts clean.</summary>
    private async Task<OrchestrationMetadata?> WaitAsync(string instanceId, List<string> failures)
    {
        try
        {
            return await this.fixture.WaitAsync(instanceId, RunTimeout);
        }
        catch (TimeoutException ex)
        {
            failures.Add(ex.Message);
            await this.fixture.Client.TerminateInstanceAsync(instanceId, "the fault suite gave up on it");
            return null;
        }
    }
}
