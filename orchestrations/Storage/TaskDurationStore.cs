using Azure;
using Azure.Data.Tables;

namespace Connector.Orchestrations.Storage;

/// <summary>
/// What earlier tasks of one Anaplan action on one model taught about its length, per unit of work (a row uploaded for an
/// import; the whole task for an export): <c>Wait</c>, the first status check's wait the next task is given; <c>Floor</c>,
/// the longest first check that found a task still running (forgotten slowly), under which the wait is not brought back;
/// and how many first checks were seen and how many found the task running; <c>Units</c>, the units of the task last
/// learned from (0: not recorded), under which the wait is not scaled down (a smaller import is not checked sooner);
/// <c>LoweredIn</c>, the run whose first check last brought the wait down (null: none recorded), so a run brings it down
/// once, however many tasks of the action it starts.
/// </summary>
public sealed record LearnedTaskDuration(double Wait, double Floor, long Checks, long Misses, double Units = 0, string? LoweredIn = null);

/// <summary>
/// The learned lengths of Anaplan tasks (table <c>TaskDurations</c>, partition = <c>{workspace}:{model}</c>, row =
/// <c>{import|export}:{actionId}</c>), kept in Table storage so every worker that runs the next task of the action starts
/// from what any worker learned.
/// </summary>
public class TaskDurationStore
{
    private readonly ConnectorStorage storage;

    public TaskDurationStore(ConnectorStorage storage) => this.storage = storage ?? throw new ArgumentNullException(nameof(storage));

    /// <summary>For mocking.</summary>
    protected TaskDurationStore() => this.storage = null!;

    private TableClient Table => this.storage.Table(TableNames.TaskDurations);

    /// <summary>Gets what was learned about an action, or null before its first task's first status check.</summary>
    public virtual async Task<LearnedTaskDuration?> GetAsync(string workspaceId, string modelId, string actionType, string actionId, CancellationToken cancellationToken = default)
    {
        await this.storage.EnsureCreatedOnceAsync();
        NullableResponse<TableEntity> row = await this.Table.GetEntityIfExistsAsync<TableEntity>(
            Partition(workspaceId, modelId), Row(actionType, actionId), cancellationToken: cancellationToken);
        return row.HasValue && row.Value is { } e && e.GetDouble("Wait") is { } wait
            ? new LearnedTaskDuration(wait, e.GetDouble("Floor") ?? 0, e.GetInt64("Checks") ?? 0, e.GetInt64("Misses") ?? 0, e.GetDouble("Units") ?? 0, e.GetString("LoweredIn"))
            : null;
    }

    /// <summary>Replaces what was learned about an action.</summary>
    public virtual async Task SetAsync(string workspaceId, string modelId, string actionType, string actionId, LearnedTaskDuration learned, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(learned);
        await this.storage.EnsureCreatedOnceAsync();
        var entity = new TableEntity(Partition(workspaceId, modelId), Row(actionType, actionId))
        {
            ["Wait"] = learned.Wait,
            ["Floor"] = learned.Floor,
            ["Checks"] = learned.Checks,
            ["Misses"] = learned.Misses,
            ["Units"] = learned.Units,
            ["LoweredIn"] = learned.LoweredIn,
            ["UpdatedAt"] = now,
        };
        await this.Table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
    }

    private static string Partition(string workspaceId, string modelId) => TableKeys.Escape($"{workspaceId}:{modelId}".ToLowerInvariant());

    private static string Row(string actionType, string actionId) => TableKeys.Escape($"{actionType}:{actionId}");
}
