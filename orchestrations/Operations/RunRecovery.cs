using System.Text.Json;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Flows.Recovery;
using Connector.Orchestrations.Storage;
using Connector.Orchestrations.Telemetry;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Connector.Orchestrations.Operations;

/// <summary>The outcome of a rewind: the run, the attempt started, and whether a worker was seen to start it.</summary>
/// <param name="RunId">The run (the same id: a rewind is a new execution of it).</param>
/// <param name="Attempt">The attempt the rewind started (2 for the first rewind).</param>
/// <param name="Status">The run's status when the rewind returned.</param>
/// <param name="Started">True when the new attempt was seen running (or already ended); false when it is still queued.</param>
public sealed record RewindResult(string RunId, int Attempt, OrchestrationRuntimeStatus Status, bool Started);

/// <summary>The outcome of terminating a run tree.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Terminated">The runs and sub-runs that were told to stop.</param>
/// <param name="Stopped">True when every one of them was seen terminated.</param>
/// <param name="LocksReleased">How many model locks held by runs that no longer run were released.</param>
public sealed record TerminateResult(string RunId, IReadOnlyList<string> Terminated, bool Stopped, int LocksReleased);

/// <summary>What purging a run removed.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Instances">The run and sub-run instances purged from the task hub.</param>
/// <param name="StepResults">The recorded step results deleted.</param>
/// <param name="StagingBlobs">The staging blobs deleted.</param>
/// <param name="AuditRows">The audit rows deleted (0 when the audit was kept).</param>
/// <param name="AuditKept">Whether the audit was kept.</param>
/// <param name="KeptForLaterRuns">Blobs kept because a connection's watermark still names them (later runs read them).</param>
public sealed record PurgeRunResult(string RunId, int Instances, int StepResults, int StagingBlobs, int AuditRows, bool AuditKept, IReadOnlyList<string> KeptForLaterRuns);

/// <summary>A recovery run started for a finished run.</summary>
public sealed record RecoveryRunResult(string RunId, string SourceRunId, string Dataset, string Mode);

/// <summary>One run of a bulk action: what was (or would be) done, or why it could not be.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Status">The run's status (the connector's, for a completed run).</param>
/// <param name="Action">What was done: <c>rewound</c>, <c>replayed</c>; with a dry run <c>would rewind</c>, <c>would replay</c>.</param>
/// <param name="Attempt">The attempt a rewind started.</param>
/// <param name="NewRunId">The run a replay started.</param>
/// <param name="Error">Why the action failed for this run.</param>
public sealed record BulkRunResult(string RunId, string Status, string Action, int? Attempt = null, string? NewRunId = null, string? Error = null);

/// <summary>What a retention pass purged.</summary>
public sealed record RetentionResult(DateTimeOffset Before, int Runs, int Instances, int AuditRows, int StagingBlobs);

/// <summary>
/// Recovery and clean-up of whole runs, the operator actions behind the CLI and the HTTP API: rewind (resume a failed
/// run under its own id), replay one dataset or retry the rejected rows of a finished run, bulk rewind/replay, terminate
/// and purge a run with its sub-runs, its audit, step results and staging, and the retention that purges old runs.
/// </summary>
/// <remarks>
/// <para>A rewind here is the connector's own, not the storage backend's: it starts the run again as a new execution of
/// the same instance id, with its original input and the next attempt number, and every step an earlier attempt finished
/// is taken from the run's recorded step results (<see cref="StepResultStore"/>) instead of being done again. The Azure
/// Storage backend's rewind keeps every event recorded after a failure in the history (the durable retry policy's
/// timers, the entity lock release the SDK always sends after a failure inside a critical section), so a replay of such a
/// history meets events the code does not produce again and the run fails as non-deterministic; this way works the same
/// on every Durable Task backend.</para>
/// <para>Errors: <see cref="RunNotFoundException"/> (no such run), <see cref="RunStateException"/> (the run's state or
/// kind forbids it; the message says why), <see cref="ConnectorValidationException"/> (a malformed request),
/// <see cref="ConnectionNotFoundException"/>.</para>
/// </remarks>
public class RunRecovery
{
    private static readonly OrchestrationRuntimeStatus[] Running =
    [
        OrchestrationRuntimeStatus.Pending,
        OrchestrationRuntimeStatus.Running,
        OrchestrationRuntimeStatus.Suspended,
    ];

    private readonly DurableTaskClient client;
    private readonly AuditStore audit;
    private readonly StepResultStore steps;
    private readonly WatermarkStore watermarks;
    private readonly ConnectorStorage storage;
    private readonly IOptionsMonitor<ConnectorOptions> options;
    private readonly TimeProvider time;
    private readonly ILogger logger;

    public RunRecovery(
        DurableTaskClient client,
        AuditStore audit,
        StepResultStore steps,
        WatermarkStore watermarks,
        ConnectorStorage storage,
        IOptionsMonitor<ConnectorOptions> options,
        TimeProvider time,
        ILogger<RunRecovery> logger)
    {
        this.client = client ?? throw new ArgumentNullException(nameof(client));
        this.audit = audit;
        this.steps = steps;
        this.watermarks = watermarks;
        this.storage = storage;
        this.options = options;
        this.time = time;
        this.logger = logger;
    }

    /// <summary>For mocking.</summary>
    protected RunRecovery()
    {
        this.client = null!;
        this.audit = null!;
        this.steps = null!;
        this.watermarks = null!;
        this.storage = null!;
        this.options = null!;
        this.time = TimeProvider.System;
        this.logger = null!;
    }

    /// <summary>Gets how long an action waits to see the engine apply it before it reports it as only requested.</summary>
    public TimeSpan SettleTime { get; init; } = TimeSpan.FromSeconds(20);

    private RunOperations Runs => new(this.client, this.time);

    /// <summary>
    /// Says why a run cannot be rewound, or null when it can: a flow's run (actuals, budgets, recovery) that failed, was
    /// terminated, or completed with failures (a dataset that failed to load, a read-back that could not be taken, an entry
    /// Sage did not take: refused, as for a closed period, or failing). A run still running, a clean run (completed, with
    /// rejections the connector made, with differences, a dry run) and other orchestrations cannot.
    /// </summary>
    public static string? WhyNotRewindable(OrchestrationMetadata run)
    {
        ArgumentNullException.ThrowIfNull(run);
        string id = run.InstanceId;
        if (RunIds.IsSubRun(id))
        {
            return $"'{id}' is a sub-run of '{RunIds.Root(id)}': rewind the run '{RunIds.Root(id)}' instead (its sub-runs resume with it).";
        }

        if (Running.Contains(run.RuntimeStatus))
        {
            return $"Run '{id}' is {run.RuntimeStatus}; only a run that has ended (failed, terminated, or completed with failures) can be rewound.";
        }

        if (!IsFlow(run.Name))
        {
            return $"Run '{id}' is a {RunIds.Flow(run.Name)} run; only actuals, budgets and recovery runs record their steps and can be rewound (start it again instead).";
        }

        switch (run.RuntimeStatus)
        {
            case OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated:
                return null;
            case OrchestrationRuntimeStatus.Completed:
                string status = ConnectorStatus(run) ?? RunStatuses.Completed;
                if (status == RunStatuses.CompletedWithFailures || (status == RunStatuses.CompletedWithRejections && HasRefusedEntries(run)))
                {
                    return null;
                }

                return $"Run '{id}' completed {status}: nothing failed, so there is nothing to rewind"
                    + (status == RunStatuses.CompletedWithRejections ? " (rows the connector rejected are sent again by 'retry-rejected' once the mapping is fixed)." : ".");
            default:
                return $"Run '{id}' is {run.RuntimeStatus}; only a run that has ended (failed, terminated, or completed with failures) can be rewound.";
        }
    }

    /// <summary>
    /// Rewinds a run: checks that it can be rewound and that no part of its run tree still runs, starts it again as a new
    /// execution of the same id with its original input and the next attempt number, records the rewind in the audit,
    /// and waits (up to <see cref="SettleTime"/>) to see a worker start it.
    /// </summary>
    /// <param name="runId">The top-level run.</param>
    /// <param name="reason">Why (recorded in the audit).</param>
    /// <param name="by">Who (recorded in the audit).</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <exception cref="RunNotFoundException">No such run.</exception>
    /// <exception cref="RunStateException">The run cannot be rewound; the message says why.</exception>
    public virtual async Task<RewindResult> RewindAsync(string runId, string reason, string by, CancellationToken cancellationToken = default)
    {
        OrchestrationMetadata run = await this.RequireTopLevelAsync(runId, "rewound", cancellationToken);
        if (WhyNotRewindable(run) is { } why)
        {
            throw new RunStateException(runId, run.RuntimeStatus, why);
        }

        await this.RequireTreeEndedAsync(runId, "rewound", cancellationToken);
        (object input, int attempt, string connectionId) = NextAttempt(run);
        try
        {
            await this.client.ScheduleNewOrchestrationInstanceAsync(
                run.Name, input, new Microsoft.DurableTask.StartOrchestrationOptions(runId) { DedupeStatuses = [.. Running.Select(s => s.ToString())] }, cancellationToken);
        }
        catch (Exception ex) when (IsAlreadyRunning(ex))
        {
            throw new RunStateException(runId, OrchestrationRuntimeStatus.Running, $"Run '{runId}' was started again by someone else in the meantime; it is running.");
        }

        await this.RecordEventAsync(connectionId, runId, RunEventActions.Rewind, reason, by, attempt, null, cancellationToken);
        (OrchestrationRuntimeStatus status, bool started) = await this.WaitForAttemptAsync(runId, attempt, cancellationToken);
        return new RewindResult(runId, attempt, status, started);
    }

    /// <summary>
    /// Starts a recovery run that loads one dataset of a finished actuals run again from the files it staged, without
    /// reading Sage; its id is <c>{run}~replay-{dataset}-{time}</c>.
    /// </summary>
    public virtual async Task<RecoveryRunResult> ReplayDatasetAsync(string runId, string dataset, string reason, string by, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataset);
        OrchestrationMetadata run = await this.RequireFinishedActualsAsync(runId, "replayed", cancellationToken);
        if (!PrepareRecoveryActivity.ReplayableDatasets.Contains(dataset))
        {
            throw new ConnectorValidationException("dataset", $"Unknown dataset '{dataset}': use {string.Join(", ", PrepareRecoveryActivity.ReplayableDatasets)}.");
        }

        var source = new RecordedSteps(await this.steps.GetAsync(runId, cancellationToken));
        DatasetManifest manifest = PrepareRecoveryActivity.StagedManifest(source, runId, dataset);
        if (manifest.Staged.Parts.Count > 0 && !await this.storage.StagingContainer.GetBlobClient(manifest.Staged.Parts[0].BlobName).ExistsAsync(cancellationToken))
        {
            throw new RunStateException(runId, run.RuntimeStatus, $"The staged files of dataset '{dataset}' of run '{runId}' no longer exist (purged); replay is not possible.");
        }

        return await this.StartRecoveryAsync(run, dataset, RecoveryModes.Replay, $"~replay-{dataset}", reason, by, cancellationToken);
    }

    /// <summary>
    /// Starts a recovery run that maps the GL rows a finished actuals run rejected again with the current mappings, checks
    /// them against Anaplan's current members and sends those that fit; its id is <c>{run}~retry-{time}</c>.
    /// </summary>
    public virtual async Task<RecoveryRunResult> RetryRejectedAsync(string runId, string? dataset, string reason, string by, CancellationToken cancellationToken = default)
    {
        dataset ??= Datasets.GlActuals;
        OrchestrationMetadata run = await this.RequireTopLevelAsync(runId, "retried", cancellationToken);
        if (RunIds.Flow(run.Name) == RunIds.Flows.Budgets)
        {
            throw new RunStateException(
                runId, run.RuntimeStatus,
                $"Run '{runId}' is a budgets run: budget lines it rejected are planned again by the next budgets run once the mapping is fixed (its entries group lines, so single lines are not posted on their own).");
        }

        run = await this.RequireFinishedActualsAsync(runId, "retried", cancellationToken);
        if (dataset != Datasets.GlActuals)
        {
            throw new ConnectorValidationException("dataset", $"Only rows of {Datasets.GlActuals} are rejected by mapping and can be retried, not rows of '{dataset}'.");
        }

        DatasetManifest? manifest = new RecordedSteps(await this.steps.GetAsync(runId, cancellationToken)).Get<DatasetManifest>(StepKeys.Extract(Datasets.GlActuals));
        if (manifest?.RejectedRowsBlob is null)
        {
            throw new RunStateException(runId, run.RuntimeStatus, $"Run '{runId}' rejected no GL row (or its staging was purged): there is nothing to retry.");
        }

        return await this.StartRecoveryAsync(run, dataset, RecoveryModes.RetryRejected, "~retry", reason, by, cancellationToken);
    }

    /// <summary>
    /// Lists the runs of a connection created in a time range that can be rewound now (failed, terminated, or completed
    /// with failures), newest first: what a bulk rewind or replay acts on.
    /// </summary>
    public virtual async Task<IReadOnlyList<RunSummary>> ListRecoverableAsync(
        string connectionId, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken = default)
    {
        string connection = this.options.CurrentValue.Get(connectionId).Id;
        var runs = new List<RunSummary>();
        await foreach (RunSummary run in this.Runs.ListAsync(
            new RunQuery
            {
                ConnectionId = connection,
                CreatedFrom = from,
                CreatedTo = to,
                Statuses = [OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated, OrchestrationRuntimeStatus.Completed],
            },
            cancellationToken))
        {
            if (!IsFlow(run.Name))
            {
                continue;
            }

            OrchestrationMetadata? metadata = await this.client.GetInstanceAsync(run.InstanceId, true, cancellationToken);
            if (metadata is not null && WhyNotRewindable(metadata) is null)
            {
                runs.Add(run);
            }
        }

        return runs;
    }

    /// <summary>Rewinds every run <see cref="ListRecoverableAsync"/> finds (or, with <paramref name="dryRun"/>, lists them).</summary>
    public virtual async Task<IReadOnlyList<BulkRunResult>> RewindManyAsync(
        string connectionId, DateTimeOffset? from, DateTimeOffset? to, string reason, string by, bool dryRun, CancellationToken cancellationToken = default)
    {
        var results = new List<BulkRunResult>();
        foreach (RunSummary run in await this.ListRecoverableAsync(connectionId, from, to, cancellationToken))
        {
            string status = await this.StatusOfAsync(run.InstanceId, cancellationToken);
            if (dryRun)
            {
                results.Add(new BulkRunResult(run.InstanceId, status, "would rewind"));
                continue;
            }

            try
            {
                RewindResult rewound = await this.RewindAsync(run.InstanceId, reason, by, cancellationToken);
                results.Add(new BulkRunResult(run.InstanceId, status, "rewound", rewound.Attempt));
            }
            catch (ConnectorException ex)
            {
                results.Add(new BulkRunResult(run.InstanceId, status, "not rewound", Error: ex.Message));
            }
        }

        return results;
    }

    /// <summary>
    /// Replays every run <see cref="ListRecoverableAsync"/> finds: a new run of the same flow with the same input (id
    /// <c>{run}~replay-{time}</c>), or, with <paramref name="dryRun"/>, lists them.
    /// </summary>
    public virtual async Task<IReadOnlyList<BulkRunResult>> ReplayManyAsync(
        string connectionId, DateTimeOffset? from, DateTimeOffset? to, string reason, string by, bool dryRun, CancellationToken cancellationToken = default)
    {
        var results = new List<BulkRunResult>();
        foreach (RunSummary run in await this.ListRecoverableAsync(connectionId, from, to, cancellationToken))
        {
            string status = await this.StatusOfAsync(run.InstanceId, cancellationToken);
            if (dryRun)
            {
                results.Add(new BulkRunResult(run.InstanceId, status, "would replay"));
                continue;
            }

            try
            {
                string replay = await this.Runs.ReplayAsync(run.InstanceId, cancellationToken);
                await this.RecordEventAsync(run.ConnectionId ?? string.Empty, run.InstanceId, RunEventActions.Replay, reason, by, null, replay, cancellationToken);
                results.Add(new BulkRunResult(run.InstanceId, status, "replayed", NewRunId: replay));
            }
            catch (ConnectorException ex)
            {
                results.Add(new BulkRunResult(run.InstanceId, status, "not replayed", Error: ex.Message));
            }
        }

        return results;
    }

    /// <summary>
    /// Terminates a run and its sub-runs (the run first, so it starts nothing new, then whatever of its tree still runs),
    /// waits (up to <see cref="SettleTime"/>) to see them all stopped, then releases the model locks runs that no longer
    /// run still hold, closes the run's audit row as <c>Terminated</c> with the reason, records who did it, and reports the
    /// run's end (<c>RunEnded</c>).
    /// </summary>
    public virtual async Task<TerminateResult> TerminateAsync(string runId, string reason, string by, CancellationToken cancellationToken = default)
    {
        OrchestrationMetadata run = await this.RequireTopLevelAsync(runId, "terminated", cancellationToken);
        if (RunOperations.FinishedStatuses.Contains(run.RuntimeStatus))
        {
            throw new RunStateException(runId, run.RuntimeStatus, $"Run '{runId}' is already {run.RuntimeStatus}.");
        }

        var told = new List<string>();
        DateTimeOffset until = this.time.GetUtcNow() + this.SettleTime;
        bool stopped = false;
        while (true)
        {
            IReadOnlyList<RunSummary> live = await this.LiveTreeAsync(runId, cancellationToken);
            if (live.Count == 0)
            {
                stopped = true;
                break;
            }

            foreach (RunSummary part in live.Where(p => !told.Contains(p.InstanceId)).OrderBy(p => p.InstanceId.Length))
            {
                await this.client.TerminateInstanceAsync(part.InstanceId, reason, cancellationToken);
                told.Add(part.InstanceId);
            }

            if (this.time.GetUtcNow() >= until)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), this.time, cancellationToken);
        }

        string connectionId = RunIds.Connection(runId) ?? string.Empty;
        await this.RecordEventAsync(connectionId, runId, RunEventActions.Terminate, reason, by, AttemptOf(run), stopped ? null : "requested; not yet seen stopped", cancellationToken);
        if (!stopped)
        {
            return new TerminateResult(runId, told, false, 0);
        }

        int released = await this.Runs.ReleaseOrphanedLocksAsync(cancellationToken: cancellationToken);
        if (IsFlow(run.Name))
        {
            await this.storage.EnsureCreatedOnceAsync();
            await this.audit.EndRunAsync(connectionId, runId, RunStatuses.Terminated, this.time.GetUtcNow(), $"terminated by {by}: {reason}", cancellationToken);
            ConnectorTelemetry.RunEnded(this.logger, RunIds.Flow(run.Name), connectionId, runId, RunStatuses.Terminated);
        }

        return new TerminateResult(runId, told, true, released);
    }

    /// <summary>
    /// Purges a finished run: its instance and every sub-run's from the task hub, its recorded step results, its staging
    /// blobs (except those a connection's watermark still names: later runs read them), and, unless
    /// <paramref name="keepAudit"/>, its audit rows. A run whose instance was purged before (its audit kept) can be purged
    /// again to remove the rest.
    /// </summary>
    public virtual async Task<PurgeRunResult> PurgeAsync(string runId, bool keepAudit, CancellationToken cancellationToken = default)
    {
        if (RunIds.IsSubRun(runId))
        {
            throw new RunStateException(runId, null, $"'{runId}' is a sub-run of '{RunIds.Root(runId)}': purge the run '{RunIds.Root(runId)}' (its sub-runs go with it).");
        }

        string connectionId = RunIds.Connection(runId) ?? string.Empty;
        OrchestrationMetadata? run = await this.client.GetInstanceAsync(runId, false, cancellationToken);
        if (run is null)
        {
            await this.storage.EnsureCreatedOnceAsync();
            if (await this.audit.GetRunAsync(connectionId, runId, cancellationToken) is null && (await this.steps.GetAsync(runId, cancellationToken)).Count == 0)
            {
                throw new RunNotFoundException(runId);
            }
        }
        else if (!RunOperations.FinishedStatuses.Contains(run.RuntimeStatus))
        {
            throw new RunStateException(runId, run.RuntimeStatus, $"Run '{runId}' is {run.RuntimeStatus}; only finished runs can be purged (terminate it first).");
        }

        int instances = 0;
        if (run is not null)
        {
            List<RunSummary> tree = await this.TreeAsync(runId, cancellationToken);
            foreach (RunSummary part in tree.OrderByDescending(p => p.InstanceId.Length))
            {
                instances += (await this.client.PurgeInstanceAsync(part.InstanceId, cancellation: cancellationToken)).PurgedInstanceCount;
            }

            instances += (await this.client.PurgeInstanceAsync(runId, cancellation: cancellationToken)).PurgedInstanceCount;
        }

        return await this.PurgeDataAsync(connectionId, runId, keepAudit, instances, cancellationToken);
    }

    /// <summary>
    /// Purges every finished top-level run created before <paramref name="before"/> (as <see cref="PurgeAsync"/>, audit
    /// included unless <paramref name="keepAudit"/>), then what is left of older runs whose instances are gone (audit rows,
    /// step results, staging), then leftover finished sub-runs whose top-level run is gone or finished. A run that has not
    /// finished (running, pending, suspended) keeps everything: its instance, its sub-runs, audit, steps and staging.
    /// The retention job runs it daily with <c>Connector:Retention:Days</c>.
    /// </summary>
    public virtual async Task<RetentionResult> PurgeFinishedBeforeAsync(DateTimeOffset before, bool keepAudit = false, CancellationToken cancellationToken = default)
    {
        int runs = 0, instances = 0, auditRows = 0, blobs = 0;
        foreach (RunSummary run in await this.ListFinishedBeforeAsync(before, cancellationToken))
        {
            PurgeRunResult purged = await this.PurgeAsync(run.InstanceId, keepAudit, cancellationToken);
            (runs, instances, auditRows, blobs) = (runs + 1, instances + purged.Instances, auditRows + purged.AuditRows, blobs + purged.StagingBlobs);
        }

        if (!keepAudit)
        {
            await this.storage.EnsureCreatedOnceAsync();
            foreach (ConnectionOptions connection in this.options.CurrentValue.Connections)
            {
                await foreach (RunAudit row in this.audit.ListRunsStartedBeforeAsync(connection.Id, before, cancellationToken))
                {
                    if (row.Status != RunStatuses.Running && await this.client.GetInstanceAsync(row.RunId, false, cancellationToken) is null)
                    {
                        PurgeRunResult purged = await this.PurgeDataAsync(connection.Id, row.RunId, keepAudit: false, 0, cancellationToken);
                        (runs, auditRows, blobs) = (runs + 1, auditRows + purged.AuditRows, blobs + purged.StagingBlobs);
                    }
                }
            }
        }

        // Leftover finished sub-runs (of runs purged before sub-runs went with them). Not by a purge filter on status and
        // creation time: that also takes the finished sub-runs of a run still running (its dimensions, the datasets it
        // has loaded), so a run in progress would lose part of its tree. A sub-run goes only when its top-level run is
        // gone or finished.
        var roots = new Dictionary<string, bool>(StringComparer.Ordinal);
        await foreach (RunSummary leftover in this.Runs.ListAsync(
            new RunQuery { CreatedTo = before, Statuses = RunOperations.FinishedStatuses.ToArray(), IncludeSubRuns = true }, cancellationToken))
        {
            if (!RunIds.IsSubRun(leftover.InstanceId))
            {
                continue;
            }

            string root = RunIds.Root(leftover.InstanceId);
            if (!roots.TryGetValue(root, out bool rootEnded))
            {
                OrchestrationMetadata? top = await this.client.GetInstanceAsync(root, false, cancellationToken);
                roots[root] = rootEnded = top is null || RunOperations.FinishedStatuses.Contains(top.RuntimeStatus);
            }

            if (rootEnded)
            {
                instances += (await this.client.PurgeInstanceAsync(leftover.InstanceId, cancellation: cancellationToken)).PurgedInstanceCount;
            }
        }

        return new RetentionResult(before, runs, instances, auditRows, blobs);
    }

    /// <summary>Lists the finished top-level runs created before a time (what <see cref="PurgeFinishedBeforeAsync"/> purges first).</summary>
    public virtual async Task<IReadOnlyList<RunSummary>> ListFinishedBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        var runs = new List<RunSummary>();
        await foreach (RunSummary run in this.Runs.ListAsync(
            new RunQuery { CreatedTo = before, Statuses = RunOperations.FinishedStatuses.ToArray() }, cancellationToken))
        {
            runs.Add(run);
        }

        return runs;
    }

    private static bool IsFlow(string orchestrator)
        => orchestrator is nameof(ActualsSyncOrchestrator) or nameof(BudgetSyncOrchestrator) or nameof(DatasetRecoveryOrchestrator);

    private static bool IsAlreadyRunning(Exception ex)
        => ex.GetType().Name.Contains("AlreadyExists", StringComparison.Ordinal)
            || (ex is InvalidOperationException && ex.Message.Contains("already exists", StringComparison.OrdinalIgnoreCase));

    /// <summary>The connector's status of a completed run (its summary's <c>Status</c>).</summary>
    private static string? ConnectorStatus(OrchestrationMetadata run)
        => Output(run) is { } output && Property(output, "status") is { ValueKind: JsonValueKind.String } status ? status.GetString() : null;

    /// <summary>
    /// Whether a budgets run's summary has an entry Sage refused or that failed: its counts per status (<c>byStatus</c>),
    /// or, in a summary written before the results went to a blob, its <c>results</c>.
    /// </summary>
    private static bool HasRefusedEntries(OrchestrationMetadata run)
    {
        if (Output(run) is not { } output)
        {
            return false;
        }

        if (Property(output, "byStatus") is { ValueKind: JsonValueKind.Object } counts)
        {
            return counts.EnumerateObject().Any(c => c.Name is JournalStatuses.Rejected or JournalStatuses.Failed && c.Value.TryGetInt32(out int n) && n > 0);
        }

        return Property(output, "results") is { ValueKind: JsonValueKind.Array } results
            && results.EnumerateArray().Any(r => Property(r, "status")?.GetString() is JournalStatuses.Rejected or JournalStatuses.Failed);
    }

    private static JsonElement? Output(OrchestrationMetadata run)
    {
        if (run.SerializedOutput is not { Length: > 0 } json)
        {
            return null;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonElement? Property(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (JsonProperty property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }

    private static int? AttemptOf(OrchestrationMetadata run)
        => run.SerializedInput is { Length: > 0 } && Output(new OrchestrationMetadata(run.Name, run.InstanceId) { SerializedOutput = run.SerializedInput }) is { } input
            && Property(input, "attempt") is { ValueKind: JsonValueKind.Number } attempt ? attempt.GetInt32() : null;

    /// <summary>The run's original input with the next attempt number.</summary>
    private static (object Input, int Attempt, string ConnectionId) NextAttempt(OrchestrationMetadata run)
    {
        switch (run.Name)
        {
            case nameof(ActualsSyncOrchestrator):
                ActualsRunInput actuals = run.ReadInputAs<ActualsRunInput>() ?? throw new RunStateException(run.InstanceId, run.RuntimeStatus, $"Run '{run.InstanceId}' has no input to start again with.");
                return (actuals with { Attempt = actuals.Attempt + 1 }, actuals.Attempt + 1, actuals.ConnectionId);
            case nameof(BudgetSyncOrchestrator):
                BudgetRunInput budgets = run.ReadInputAs<BudgetRunInput>() ?? throw new RunStateException(run.InstanceId, run.RuntimeStatus, $"Run '{run.InstanceId}' has no input to start again with.");
                return (budgets with { Attempt = budgets.Attempt + 1 }, budgets.Attempt + 1, budgets.ConnectionId);
            default:
                DatasetRecoveryInput recovery = run.ReadInputAs<DatasetRecoveryInput>() ?? throw new RunStateException(run.InstanceId, run.RuntimeStatus, $"Run '{run.InstanceId}' has no input to start again with.");
                return (recovery with { Attempt = recovery.Attempt + 1 }, recovery.Attempt + 1, recovery.ConnectionId);
        }
    }

    private async Task<string> StatusOfAsync(string runId, CancellationToken cancellationToken)
    {
        OrchestrationMetadata? run = await this.client.GetInstanceAsync(runId, true, cancellationToken);
        return run is null ? "gone" : run.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? ConnectorStatus(run) ?? "Completed" : run.RuntimeStatus.ToString();
    }

    private async Task<OrchestrationMetadata> RequireTopLevelAsync(string runId, string what, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        if (RunIds.IsSubRun(runId))
        {
            throw new RunStateException(runId, null, $"'{runId}' is a sub-run of '{RunIds.Root(runId)}' and cannot be {what} on its own: name the run '{RunIds.Root(runId)}'.");
        }

        OrchestrationMetadata? run = await this.client.GetInstanceAsync(runId, true, cancellationToken);
        if (run is not null)
        {
            return run;
        }

        await this.storage.EnsureCreatedOnceAsync();
        if (RunIds.Connection(runId) is { } connection && await this.audit.GetRunAsync(connection, runId, cancellationToken) is not null)
        {
            throw new RunStateException(runId, null, $"Run '{runId}' was purged (its audit was kept); it cannot be {what}: start a new run.");
        }

        throw new RunNotFoundException(runId);
    }

    private async Task<OrchestrationMetadata> RequireFinishedActualsAsync(string runId, string what, CancellationToken cancellationToken)
    {
        OrchestrationMetadata run = await this.RequireTopLevelAsync(runId, what, cancellationToken);
        if (run.Name != nameof(ActualsSyncOrchestrator))
        {
            throw new RunStateException(runId, run.RuntimeStatus, $"Run '{runId}' is a {RunIds.Flow(run.Name)} run; only the datasets of an actuals run can be {what}.");
        }

        if (!RunOperations.FinishedStatuses.Contains(run.RuntimeStatus))
        {
            throw new RunStateException(runId, run.RuntimeStatus, $"Run '{runId}' is {run.RuntimeStatus}; wait for it to end (or terminate it) first.");
        }

        return run;
    }

    private async Task RequireTreeEndedAsync(string runId, string what, CancellationToken cancellationToken)
    {
        if (await this.LiveTreeAsync(runId, cancellationToken) is [var live, ..])
        {
            throw new RunStateException(
                runId, live.Status, $"Part of run '{runId}' is still running ({live.InstanceId} is {live.Status}); it cannot be {what} until it ends (or is terminated).");
        }
    }

    private async Task<List<RunSummary>> TreeAsync(string runId, CancellationToken cancellationToken)
    {
        var tree = new List<RunSummary>();
        await foreach (RunSummary run in this.Runs.ListAsync(new RunQuery { InstanceIdPrefix = runId + RunIds.SubRunSeparator, IncludeSubRuns = true }, cancellationToken))
        {
            tree.Add(run);
        }

        return tree;
    }

    private async Task<IReadOnlyList<RunSummary>> LiveTreeAsync(string runId, CancellationToken cancellationToken)
    {
        var live = new List<RunSummary>();
        if (await this.client.GetInstanceAsync(runId, false, cancellationToken) is { } root && Running.Contains(root.RuntimeStatus))
        {
            live.Add(new RunSummary(root.InstanceId, root.Name, root.RuntimeStatus, root.CreatedAt, root.LastUpdatedAt));
        }

        live.AddRange((await this.TreeAsync(runId, cancellationToken)).Where(r => Running.Contains(r.Status)));
        return live;
    }

    private async Task<(OrchestrationRuntimeStatus Status, bool Started)> WaitForAttemptAsync(string runId, int attempt, CancellationToken cancellationToken)
    {
        DateTimeOffset until = this.time.GetUtcNow() + this.SettleTime;
        OrchestrationRuntimeStatus status = OrchestrationRuntimeStatus.Pending;
        while (true)
        {
            OrchestrationMetadata? run = await this.client.GetInstanceAsync(runId, true, cancellationToken);
            if (run is null)
            {
                throw new RunStateException(runId, null, $"Run '{runId}' disappeared while its rewind was starting (purged?).");
            }

            status = run.RuntimeStatus;
            if (AttemptOf(run) != attempt)
            {
                throw new RunStateException(runId, status, $"The engine did not take the rewind of run '{runId}': it still shows attempt {AttemptOf(run) ?? 1} ({status}).");
            }

            if (status != OrchestrationRuntimeStatus.Pending)
            {
                return (status, true);
            }

            if (this.time.GetUtcNow() >= until)
            {
                return (status, false);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), this.time, cancellationToken);
        }
    }

    private async Task<RecoveryRunResult> StartRecoveryAsync(
        OrchestrationMetadata run, string dataset, string mode, string suffix, string reason, string by, CancellationToken cancellationToken)
    {
        string connectionId = run.ReadInputAs<ActualsRunInput>()?.ConnectionId ?? RunIds.Connection(run.InstanceId) ?? string.Empty;
        this.options.CurrentValue.Get(connectionId);
        string id = $"{run.InstanceId}{suffix}-{this.time.GetUtcNow():yyyyMMddHHmmssfff}";
        StartRunResult started = await this.Runs.StartAsync(
            nameof(DatasetRecoveryOrchestrator), id, new DatasetRecoveryInput(connectionId, run.InstanceId, dataset, mode, $"{mode} of {run.InstanceId} by {by}"), cancellationToken);
        if (!started.Started)
        {
            throw new RunStateException(id, started.Status, $"A {mode} of '{run.InstanceId}' was already started at this moment ({id}, {started.Status}).");
        }

        await this.RecordEventAsync(
            connectionId, run.InstanceId, mode == RecoveryModes.Replay ? RunEventActions.ReplayDataset : RunEventActions.RetryRejected, reason, by, null, $"{dataset} → {id}", cancellationToken);
        return new RecoveryRunResult(id, run.InstanceId, dataset, mode);
    }

    private async Task RecordEventAsync(
        string connectionId, string runId, string action, string reason, string by, int? attempt, string? detail, CancellationToken cancellationToken)
    {
        await this.storage.EnsureCreatedOnceAsync();
        await this.audit.AddEventAsync(new RunEvent(connectionId, runId, action, this.time.GetUtcNow(), by, reason, attempt, detail), cancellationToken);
    }

    private async Task<PurgeRunResult> PurgeDataAsync(string connectionId, string runId, bool keepAudit, int instances, CancellationToken cancellationToken)
    {
        await this.storage.EnsureCreatedOnceAsync();
        int stepResults = await this.steps.DeleteAsync(runId, cancellationToken);
        IReadOnlySet<string> referenced = await this.watermarks.GetReferencedBlobsAsync(connectionId, cancellationToken);
        var kept = new List<string>();
        int blobs = 0;
        foreach (string prefix in new[] { Datasets.RunFolder(connectionId, runId), Datasets.StateFolder(connectionId, runId) })
        {
            await foreach (Azure.Storage.Blobs.Models.BlobItem blob in this.storage.StagingContainer.GetBlobsAsync(
                Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, cancellationToken))
            {
                if (referenced.Contains(blob.Name))
                {
                    kept.Add(blob.Name);
                    continue;
                }

                if ((await this.storage.StagingContainer.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken)).Value)
                {
                    blobs++;
                }
            }
        }

        int auditRows = keepAudit ? 0 : await this.audit.DeleteRunAsync(connectionId, runId, cancellationToken);
        return new PurgeRunResult(runId, instances, stepResults, blobs, auditRows, keepAudit, kept);
    }
}

/// <summary>
/// Builds a <see cref="RunRecovery"/> over a durable client (the Functions app gets its client per invocation; the local
/// host has one): the connector's stores come from the services.
/// </summary>
public sealed class RunRecoveryFactory(
    AuditStore audit, StepResultStore steps, WatermarkStore watermarks, ConnectorStorage storage, IOptionsMonitor<ConnectorOptions> options, TimeProvider time, ILoggerFactory loggers)
{
    /// <summary>The recovery operations over <paramref name="client"/>.</summary>
    public RunRecovery Create(DurableTaskClient client) => new(client, audit, steps, watermarks, storage, options, time, loggers.CreateLogger<RunRecovery>());
}
