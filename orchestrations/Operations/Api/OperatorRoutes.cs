namespace Connector.Orchestrations.Operations.Api;

/// <summary>
/// One route of the operator API: its method and template (below <c>/api/</c>, in ASP.NET Core and Azure Functions route
/// syntax) and the shared handler behind it. The Functions app declares one HTTP trigger per route (a test checks the
/// triggers and this table agree); the local host maps the whole table onto its Kestrel app.
/// </summary>
/// <param name="Name">The operation name logged for writes, e.g. <c>purge</c>.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Template">The route template below <c>/api/</c>.</param>
/// <param name="Handle">The shared handler.</param>
public sealed record OperatorRoute(string Name, string Method, string Template, Func<OperatorApi, ApiRequest, CancellationToken, Task<ApiResult>> Handle)
{
    /// <summary>Gets a value indicating whether the route needs no function key (the dashboard's page and files, which hold no data).</summary>
    public bool Anonymous { get; init; }

    /// <summary>The operation a request performs: the route's name, or for <c>runs/{id}/{action}</c> the action.</summary>
    public string Operation(ApiRequest request)
        => request?.RouteValues.TryGetValue("action", out string? action) == true ? action : this.Name;

    /// <summary>What a request acts on: its route values other than the action, joined by <c>/</c>, or <c>*</c>.</summary>
    public string Target(ApiRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string[] values = [.. request.RouteValues.Where(kv => !string.Equals(kv.Key, "action", StringComparison.OrdinalIgnoreCase)).Select(kv => kv.Value)];
        return values.Length == 0 ? "*" : string.Join('/', values);
    }
}

/// <summary>The routes every host of the operator API serves, with their shared handlers in <see cref="OperatorApi"/>.</summary>
public static class OperatorRoutes
{
    public static readonly OperatorRoute Overview = new("get-overview", "GET", "ops", (api, r, ct) => api.GetOverviewAsync(ct));

    public static readonly OperatorRoute ListRuns = new("list-runs", "GET", "runs", (api, r, ct) => api.ListRunsAsync(r, ct));

    public static readonly OperatorRoute GetRun = new("get-run", "GET", "runs/{instanceId}", (api, r, ct) => api.GetRunAsync(r, ct));

    public static readonly OperatorRoute RunAction = new("run-action", "POST", "runs/{instanceId}/{action:alpha}", (api, r, ct) => api.RunActionAsync(r, ct));

    public static readonly OperatorRoute ReplayDataset = new("replay-dataset", "POST", "runs/{instanceId}/datasets/{dataset}/replay", (api, r, ct) => api.ReplayDatasetAsync(r, ct));

    public static readonly OperatorRoute RetryRejected = new("retry-rejected", "POST", "runs/{instanceId}/retry-rejected", (api, r, ct) => api.RetryRejectedAsync(r, ct));

    public static readonly OperatorRoute PurgeRun = new("purge", "DELETE", "runs/{instanceId}", (api, r, ct) => api.PurgeRunAsync(r, ct));

    public static readonly OperatorRoute PurgeRuns = new("purge-many", "POST", "runs-purge", (api, r, ct) => api.PurgeRunsAsync(r, ct));

    public static readonly OperatorRoute RewindRuns = new("rewind-many", "POST", "connections/{connectionId}/runs-rewind", (api, r, ct) => api.RewindRunsAsync(r, ct));

    public static readonly OperatorRoute ReplayRuns = new("replay-many", "POST", "connections/{connectionId}/runs-replay", (api, r, ct) => api.ReplayRunsAsync(r, ct));

    public static readonly OperatorRoute ListLocks = new("list-locks", "GET", "locks", (api, r, ct) => api.ListLocksAsync(ct));

    public static readonly OperatorRoute GetLock = new("get-lock", "GET", "locks/{workspaceId}/{modelId}", (api, r, ct) => api.GetLockAsync(r, ct));

    public static readonly OperatorRoute ReleaseOrphanedLocks = new("release-orphaned-locks", "POST", "locks-release-orphaned", (api, r, ct) => api.ReleaseOrphanedLocksAsync(r, ct));

    public static readonly OperatorRoute RunAudit = new("get-audit", "GET", "connections/{connectionId}/runs/{runId}/audit", (api, r, ct) => api.GetAuditAsync(r, ct));

    public static readonly OperatorRoute RunRecordsCsv = new("get-records-csv", "GET", "connections/{connectionId}/runs/{runId}/records.csv", (api, r, ct) => api.GetRecordsCsvAsync(r, ct));

    public static readonly OperatorRoute Trends = new("get-trends", "GET", "connections/{connectionId}/trends", (api, r, ct) => api.GetTrendsAsync(r, ct));

    public static readonly OperatorRoute DashboardPage = new("dashboard", "GET", "dashboard", (api, r, ct) => Task.FromResult(DashboardAssets.Page()))
    {
        Anonymous = true,
    };

    public static readonly OperatorRoute DashboardFile = new("dashboard-file", "GET", "dashboard/{file}", (api, r, ct) => Task.FromResult(DashboardAssets.File(r.Route("file"))))
    {
        Anonymous = true,
    };

    /// <summary>Gets every route, in the order a host maps them.</summary>
    public static IReadOnlyList<OperatorRoute> All { get; } =
    [
        Overview, ListRuns, GetRun, RunAction, ReplayDataset, RetryRejected, PurgeRun, PurgeRuns, RewindRuns, ReplayRuns,
        ListLocks, GetLock, ReleaseOrphanedLocks, RunAudit, RunRecordsCsv, Trends,
        DashboardPage, DashboardFile,
    ];
}
