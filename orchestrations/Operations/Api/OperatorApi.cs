using System.Globalization;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Storage;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace Connector.Orchestrations.Operations.Api;

/// <summary>The services the operator API's handlers need besides the durable client (one set per host, a singleton).</summary>
public sealed class OperatorApiServices(
    IOptionsMonitor<ConnectorOptions> connector,
    IOptionsMonitor<OpsOptions> ops,
    AuditStore audit,
    ConnectorStorage storage,
    RunRecoveryFactory recovery,
    TimeProvider time)
{
    public IOptionsMonitor<ConnectorOptions> Connector { get; } = connector;

    public IOptionsMonitor<OpsOptions> Ops { get; } = ops;

    public AuditStore Audit { get; } = audit;

    public ConnectorStorage Storage { get; } = storage;

    public RunRecoveryFactory Recovery { get; } = recovery;

    public TimeProvider Time { get; } = time;
}

/// <summary>
/// The handlers of the operator API (<see cref="OperatorRoutes"/>), written once for every host: each reads its route
/// values, query and body from an <see cref="ApiRequest"/>, does its work through <see cref="RunOperations"/>,
/// <see cref="RunRecovery"/> (rewind, replay a dataset, retry rejected rows, terminate and purge run trees, bulk rewind
/// and replay: a <c>reason</c> is required, and the action is recorded in the run's audit with who did it) and the
/// connector's stores, and returns an <see cref="ApiResult"/>; <see cref="OperatorEdge"/> does the rest. A Functions
/// trigger builds one per invocation around the <c>[DurableClient]</c> it is given; the local host builds one.
/// </summary>
public sealed class OperatorApi
{
    /// <summary>The most record rows one audit answer carries.</summary>
    public const int MaxAuditRecords = 1000;

    /// <summary>The run actions of <c>POST /api/runs/{id}/{action}</c>.</summary>
    public static readonly IReadOnlyList<string> RunActions = ["rewind", "replay", "terminate", "suspend", "resume"];

    private readonly OperatorApiServices services;

    public OperatorApi(DurableTaskClient client, OperatorApiServices services)
    {
        this.Client = client ?? throw new ArgumentNullException(nameof(client));
        this.services = services ?? throw new ArgumentNullException(nameof(services));
        this.Operations = new RunOperations(client, services.Time);
        this.Recovery = services.Recovery.Create(client);
    }

    /// <summary>Gets the durable client.</summary>
    public DurableTaskClient Client { get; }

    /// <summary>Gets the run operations over the client.</summary>
    public RunOperations Operations { get; }

    /// <summary>Gets the recovery actions over the client.</summary>
    public RunRecovery Recovery { get; }

    private ConnectorOptions Connector => this.services.Connector.CurrentValue;

    /// <summary><c>GET /api/ops</c>: whether the API is read-only, and the configured connections (ids, company, model, flows).</summary>
    public Task<ApiResult> GetOverviewAsync(CancellationToken cancellationToken)
    {
        _ = cancellationToken;
        return Task.FromResult(ApiResult.Ok(new OperatorOverview(
            this.services.Ops.CurrentValue.ReadOnly,
            [.. this.Connector.Connections.Select(ConnectionSummary.From)])));
    }

    /// <summary>
    /// <c>GET /api/runs</c>: runs newest first, filtered by <c>connection</c>, <c>flow</c>, <c>status</c>, <c>prefix</c>,
    /// <c>from</c>, <c>to</c>, <c>max</c>, <c>all</c>; with <c>audit=true</c> each run also carries its trigger and outcome
    /// as its audit row records them.
    /// </summary>
    public async Task<ApiResult> ListRunsAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var query = new RunQuery
        {
            Statuses = ApiQuery.Enums<OrchestrationRuntimeStatus>(request.Query("status"), "status"),
            InstanceIdPrefix = request.Query("prefix"),
            ConnectionId = request.Query("connection"),
            Flow = request.Query("flow"),
            IncludeSubRuns = ApiQuery.Flag(request.Query("all"), "all"),
            CreatedFrom = ApiQuery.Time(request.Query("from"), "from"),
            CreatedTo = ApiQuery.Time(request.Query("to"), "to"),
            Max = ApiQuery.Int(request.Query("max"), "max", 1, 10_000) ?? 100,
        };
        bool withAudit = ApiQuery.Flag(request.Query("audit"), "audit");
        List<RunSummary> runs = await this.Operations.ListAsync(query, cancellationToken).ToListAsync(cancellationToken);
        if (withAudit && runs.Count > 0)
        {
            await this.services.Storage.EnsureCreatedOnceAsync();
            var withRows = new RunSummary[runs.Count];
            await Parallel.ForAsync(0, runs.Count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                RunSummary run = runs[i];
                RunAudit? row = run.ConnectionId is { } connection && run.ParentInstanceId is null
                    ? await this.services.Audit.GetRunAsync(connection, run.InstanceId, ct)
                    : null;
                withRows[i] = row is null ? run : run with { Trigger = row.Trigger, Outcome = row.FinishedAt is null ? null : row.Status };
            });
            runs = [.. withRows];
        }

        return ApiResult.Ok(runs);
    }

    /// <summary>
    /// <c>GET /api/runs/{instanceId}</c>: one run; with <c>history=true</c> its steps, failure path and sub-runs, and with
    /// <c>tree=true</c> as well every sub-run's own steps (the run's whole timeline).
    /// </summary>
    public async Task<ApiResult> GetRunAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string instanceId = request.Route("instanceId");
        bool tree = ApiQuery.Flag(request.Query("tree"), "tree");
        bool history = tree || ApiQuery.Flag(request.Query("history"), "history");
        return ApiResult.Ok(history
            ? await this.Operations.InspectAsync(instanceId, tree, cancellationToken)
            : await this.Operations.GetAsync(instanceId, cancellationToken) ?? throw new RunNotFoundException(instanceId));
    }

    /// <summary>
    /// <c>POST /api/runs/{instanceId}/{action}</c> with <c>{"reason"}</c>: rewind (the connector's own: a new attempt under
    /// the same id that skips the steps an earlier attempt finished; 409 saying why when it cannot), replay, terminate
    /// (the whole run tree; frees its model locks), suspend or resume a run. Rewind and terminate need a reason.
    /// </summary>
    public async Task<ApiResult> RunActionAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string instanceId = request.Route("instanceId");
        string action = request.Route("action");
        string? given = (await request.BodyAsync<ReasonBody>(cancellationToken))?.Reason;
        string reason = string.IsNullOrWhiteSpace(given) ? $"operator {action} over HTTP" : given;
        switch (action.ToLowerInvariant())
        {
            case "rewind":
                RewindResult rewound = await this.Recovery.RewindAsync(instanceId, Required(given), this.Caller(request), cancellationToken);
                return ApiResult.Accepted(new { id = rewound.RunId, instanceId, action, rewound.Attempt, rewound.Status, rewound.Started });
            case "replay":
                return ApiResult.Accepted(new { instanceId, action, replayInstanceId = await this.Operations.ReplayAsync(instanceId, cancellationToken) });
            case "terminate":
                TerminateResult terminated = await this.Recovery.TerminateAsync(instanceId, Required(given), this.Caller(request), cancellationToken);
                return ApiResult.Accepted(new { id = instanceId, instanceId, action, terminated.Terminated, terminated.Stopped, terminated.LocksReleased });
            case "suspend":
                await this.Operations.SuspendAsync(instanceId, reason, cancellationToken);
                return ApiResult.Accepted(new { instanceId, action });
            case "resume":
                await this.Operations.ResumeAsync(instanceId, reason, cancellationToken);
                return ApiResult.Accepted(new { instanceId, action });
            default:
                throw new ConnectorValidationException("action", $"Unknown action '{action}': use {string.Join(", ", RunActions)}.");
        }
    }

    /// <summary>
    /// <c>POST /api/runs/{instanceId}/datasets/{dataset}/replay</c> with <c>{"reason"}</c>: a new recovery run that loads
    /// what the finished run staged for that dataset again (Sage is not read); 202 with the new run's id.
    /// </summary>
    public async Task<ApiResult> ReplayDatasetAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string reason = Required((await request.BodyAsync<ReasonBody>(cancellationToken))?.Reason);
        RecoveryRunResult started = await this.Recovery.ReplayDatasetAsync(
            request.Route("instanceId"), request.Route("dataset"), reason, this.Caller(request), cancellationToken);
        return ApiResult.Accepted(new { id = started.RunId, sourceRunId = started.SourceRunId, started.Dataset, started.Mode });
    }

    /// <summary>
    /// <c>POST /api/runs/{instanceId}/retry-rejected</c> with <c>{"reason", "dataset"?}</c>: a new recovery run that sends
    /// the rows the run rejected again, mapped with today's mappings and checked against Anaplan's members; 202 with its id.
    /// </summary>
    public async Task<ApiResult> RetryRejectedAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RetryBody? body = await request.BodyAsync<RetryBody>(cancellationToken);
        RecoveryRunResult started = await this.Recovery.RetryRejectedAsync(
            request.Route("instanceId"), body?.Dataset, Required(body?.Reason), this.Caller(request), cancellationToken);
        return ApiResult.Accepted(new { id = started.RunId, sourceRunId = started.SourceRunId, started.Dataset, started.Mode });
    }

    /// <summary>
    /// <c>DELETE /api/runs/{instanceId}[?keepAudit=true|false]</c>: purges a finished run tree: its sub-runs, recorded
    /// step results, staging and, unless <c>keepAudit</c>, its audit rows; the answer says what went.
    /// </summary>
    public async Task<ApiResult> PurgeRunAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        bool keepAudit = ApiQuery.Flag(request.Query("keepAudit"), "keepAudit");
        PurgeRunResult purged = await this.Recovery.PurgeAsync(request.Route("instanceId"), keepAudit, cancellationToken);
        return ApiResult.Ok(new
        {
            purged = purged.Instances,
            purged.StepResults,
            purged.StagingBlobs,
            purged.AuditRows,
            purged.AuditKept,
            purged.KeptForLaterRuns,
        });
    }

    /// <summary>
    /// <c>POST /api/runs-purge</c>: purges the finished runs created in a range, each run tree with its step results,
    /// staging and (unless <c>keepAudit</c>) audit; <c>dryRun</c> lists them.
    /// </summary>
    public async Task<ApiResult> PurgeRunsAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        PurgeBody body = await request.BodyAsync<PurgeBody>(cancellationToken)
            ?? throw new ConnectorValidationException(null, "A body with createdFrom and createdTo is required.");
        List<RunSummary> runs = await this.Operations.ListPurgeableAsync(body.CreatedFrom, body.CreatedTo, body.Statuses, cancellationToken).ToListAsync(cancellationToken);
        if (body.DryRun)
        {
            return ApiResult.Ok(new { dryRun = true, wouldPurge = runs.Count, runs });
        }

        // Each run with its sub-runs, step results, staging and (unless keepAudit) audit; then leftover sub-runs.
        int purged = 0;
        foreach (RunSummary run in runs.Where(r => r.ParentInstanceId is null))
        {
            purged += (await this.Recovery.PurgeAsync(run.InstanceId, body.KeepAudit, cancellationToken)).Instances;
        }

        return ApiResult.Ok(new { purged = purged + await this.Operations.PurgeAsync(body.CreatedFrom, body.CreatedTo, body.Statuses, cancellationToken) });
    }

    /// <summary>
    /// <c>POST /api/connections/{connectionId}/runs-rewind</c> with <c>{"reason","from","to","dryRun"}</c>: rewinds every
    /// recoverable run of the connection created in the range; answers what was (or would be) done to each run.
    /// </summary>
    public Task<ApiResult> RewindRunsAsync(ApiRequest request, CancellationToken cancellationToken)
        => this.BulkAsync(request, (connection, body, reason, by, ct) => this.Recovery.RewindManyAsync(connection, body.From, body.To, reason, by, body.DryRun, ct), cancellationToken);

    /// <summary>
    /// <c>POST /api/connections/{connectionId}/runs-replay</c> with <c>{"reason","from","to","dryRun"}</c>: replays (new runs
    /// with the same input) every recoverable run of the connection created in the range.
    /// </summary>
    public Task<ApiResult> ReplayRunsAsync(ApiRequest request, CancellationToken cancellationToken)
        => this.BulkAsync(request, (connection, body, reason, by, ct) => this.Recovery.ReplayManyAsync(connection, body.From, body.To, reason, by, body.DryRun, ct), cancellationToken);

    /// <summary>
    /// <c>GET /api/locks</c>: every model lock (those of the configured connections, used or not, and any other that
    /// exists): who holds it, since when and for what, whether that run still runs, and which runs wait for it.
    /// </summary>
    public async Task<ApiResult> ListLocksAsync(CancellationToken cancellationToken)
    {
        ConnectionOptions[] connections = [.. this.Connector.Connections];
        IReadOnlyList<ModelLockStatus> locks = await this.Operations.ListModelLocksAsync(
            connections.Select(c => (c.Anaplan.WorkspaceId, c.Anaplan.ModelId)), cancellationToken);
        return ApiResult.Ok(locks.Select(l => new ModelLockView(
            l,
            [.. connections.Where(c => string.Equals(ConnectionSummary.LockKeyOf(c), l.Key, StringComparison.OrdinalIgnoreCase)).Select(c => c.Id)])));
    }

    /// <summary><c>GET /api/locks/{workspaceId}/{modelId}</c>: one model's lock.</summary>
    public async Task<ApiResult> GetLockAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string workspaceId = request.Route("workspaceId");
        string modelId = request.Route("modelId");
        return ApiResult.Ok((object?)await this.Operations.GetModelLockAsync(workspaceId, modelId, cancellationToken)
            ?? new { key = $"{workspaceId}:{modelId}", acquisitions = 0 });
    }

    /// <summary><c>POST /api/locks-release-orphaned</c>: releases locks held by runs that no longer run (<c>dryRun</c> lists them).</summary>
    public async Task<ApiResult> ReleaseOrphanedLocksAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        bool dryRun = (await request.BodyAsync<DryRunBody>(cancellationToken))?.DryRun == true;
        return dryRun
            ? ApiResult.Ok(new { dryRun = true, locks = await this.Operations.FindOrphanedLocksAsync(cancellationToken) })
            : ApiResult.Ok(new { released = await this.Operations.ReleaseOrphanedLocksAsync(cancellationToken: cancellationToken) });
    }

    /// <summary>
    /// <c>GET /api/connections/{connectionId}/runs/{runId}/audit</c>: the run's audit (records: the first 1000); a budgets
    /// run's every journal entry with its result (<c>journal</c>, read from the run's results blob).
    /// </summary>
    public async Task<ApiResult> GetAuditAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string connection = this.Connector.Get(request.Route("connectionId")).Id;
        await this.services.Storage.EnsureCreatedOnceAsync();
        return ApiResult.Ok(await RunAuditReport.ReadAsync(
            this.services.Audit, connection, request.Route("runId"), MaxAuditRecords, cancellationToken: cancellationToken, staging: this.services.Storage.StagingContainer));
    }

    /// <summary>
    /// <c>GET /api/connections/{connectionId}/runs/{runId}/records.csv[?kind=rejected|failed&amp;q=text]</c>: every rejected
    /// and failed record of the run as CSV (formula-safe), optionally only one kind or those containing a text.
    /// </summary>
    public async Task<ApiResult> GetRecordsCsvAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string connection = this.Connector.Get(request.Route("connectionId")).Id;
        string runId = request.Route("runId");
        string? kind = request.Query("kind") is { Length: > 0 } k
            ? (k.ToLowerInvariant() is RecordKinds.Rejected or RecordKinds.Failed or RecordKinds.Difference
                ? k.ToLowerInvariant()
                : throw new ConnectorValidationException("kind", $"kind must be {RecordKinds.Rejected}, {RecordKinds.Failed} or {RecordKinds.Difference}, not '{k}'."))
            : null;
        string? search = request.Query("q") is { Length: > 0 } q ? q : null;
        await this.services.Storage.EnsureCreatedOnceAsync();
        _ = await this.services.Audit.GetRunAsync(connection, runId, cancellationToken)
            ?? throw new RunNotFoundException(runId, $"Connection '{connection}' has no audited run '{runId}'.");

        var records = new List<RecordAudit>();
        await foreach (RecordAudit record in this.services.Audit.GetRecordsAsync(runId, null, cancellationToken))
        {
            if ((kind is null || record.Kind == kind) && (search is null || RunAuditReport.Matches(record, search)))
            {
                records.Add(record);
            }
        }

        using var text = new StringWriter(CultureInfo.InvariantCulture);
        RunAuditReport.WriteRecordsCsv(text, records);
        string file = $"{runId.Replace(':', '_').Replace('|', '_')}-records.csv";
        return ApiResult.Text(text.ToString(), "text/csv; charset=utf-8", new Dictionary<string, string>
        {
            ["Content-Disposition"] = $"attachment; filename=\"{file}\"",
        });
    }

    /// <summary>
    /// <c>GET /api/connections/{connectionId}/trends[?days=30]</c>: every audited run of the connection started in the
    /// last days, with its duration and row counts (sums of what its datasets recorded).
    /// </summary>
    public async Task<ApiResult> GetTrendsAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string connection = this.Connector.Get(request.Route("connectionId")).Id;
        int days = ApiQuery.Int(request.Query("days"), "days", 1, 366) ?? 30;
        await this.services.Storage.EnsureCreatedOnceAsync();
        return ApiResult.Ok(await RunTrends.ReadAsync(this.services.Audit, this.Client, connection, this.services.Time.GetUtcNow(), days, cancellationToken));
    }

    /// <summary>The reason a recovery action must be given (recorded in the run's audit with who did it).</summary>
    private static string Required(string? reason)
        => string.IsNullOrWhiteSpace(reason)
            ? throw new ConnectorValidationException("reason", "A reason is required (it is recorded in the run's audit with who did it): send {\"reason\": \"...\"}.")
            : reason.Trim();

    /// <summary>Who the audit records a change of this request as done by.</summary>
    private string Caller(ApiRequest request) => OperatorEdge.Caller(request, this.services.Ops.CurrentValue);

    /// <summary>A bulk action on a connection's runs: reads the body (a reason is required) and answers what was done to each run.</summary>
    private async Task<ApiResult> BulkAsync(
        ApiRequest request,
        Func<string, BulkBody, string, string, CancellationToken, Task<IReadOnlyList<BulkRunResult>>> act,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        BulkBody body = await request.BodyAsync<BulkBody>(cancellationToken) ?? new BulkBody(null, null, null, false);
        IReadOnlyList<BulkRunResult> runs = await act(request.Route("connectionId"), body, Required(body.Reason), this.Caller(request), cancellationToken);
        return ApiResult.Ok(new { dryRun = body.DryRun, runs });
    }

    private sealed record ReasonBody(string? Reason);

    private sealed record RetryBody(string? Reason, string? Dataset);

    private sealed record BulkBody(string? Reason, DateTimeOffset? From, DateTimeOffset? To, bool DryRun);

    private sealed record DryRunBody(bool DryRun);

    private sealed record PurgeBody(
        DateTimeOffset CreatedFrom, DateTimeOffset CreatedTo, IReadOnlyCollection<OrchestrationRuntimeStatus>? Statuses, bool DryRun = false, bool KeepAudit = false);
}

/// <summary>What <c>GET /api/ops</c> answers: the API's mode and the configured connections.</summary>
public sealed record OperatorOverview(bool ReadOnly, IReadOnlyList<ConnectionSummary> Connections);

/// <summary>A configured connection as the dashboard shows it (no URL, user name or credential reference).</summary>
public sealed record ConnectionSummary(string Id, string SageCompany, string WorkspaceId, string ModelId, string LockKey, FlowSummary Actuals, FlowSummary Budgets)
{
    internal static ConnectionSummary From(ConnectionOptions c)
        => new(
            c.Id,
            c.Sage.Company,
            c.Anaplan.WorkspaceId,
            c.Anaplan.ModelId,
            LockKeyOf(c),
            new FlowSummary(c.Actuals.Enabled, c.Actuals.Schedule, c.Actuals.TimeZone),
            new FlowSummary(c.Budgets.Enabled, c.Budgets.Schedule, c.Budgets.TimeZone));

    internal static string LockKeyOf(ConnectionOptions c)
        => $"{c.Anaplan.WorkspaceId.ToLowerInvariant()}:{c.Anaplan.ModelId.ToLowerInvariant()}";
}

/// <summary>A flow of a connection: whether it is on, and its schedule (six-field cron) in its time zone.</summary>
public sealed record FlowSummary(bool Enabled, string Schedule, string TimeZone);

/// <summary>A model lock with the connections whose model it guards.</summary>
public sealed record ModelLockView(ModelLockStatus Lock, IReadOnlyList<string> Connections);
