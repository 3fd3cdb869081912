using System.Globalization;
using Azure;
using Azure.Data.Tables;

namespace Connector.Orchestrations.Storage;

/// <summary>
/// The audit trail in Table storage: one row per run (<c>Runs</c>, partition = connection), one per dataset of a run
/// (<c>RunDatasets</c>, partition = run), and one per rejected or failed record (<c>RunRecords</c>, partition = run).
/// Rows are upserted, so an activity that runs again after a crash rewrites the same rows instead of adding more.
/// </summary>
public class AuditStore
{
    private readonly ConnectorStorage storage;

    public AuditStore(ConnectorStorage storage) => this.storage = storage ?? throw new ArgumentNullException(nameof(storage));

    /// <summary>For mocking.</summary>
    protected AuditStore() => this.storage = null!;

    /// <summary>Writes (or rewrites) a run row.</summary>
    public virtual Task UpsertRunAsync(RunAudit run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        var entity = new TableEntity(TableKeys.Escape(run.ConnectionId), TableKeys.Escape(run.RunId))
        {
            ["Flow"] = run.Flow,
            ["Trigger"] = run.Trigger,
            ["Status"] = run.Status,
            ["StartedAt"] = run.StartedAt,
            ["FinishedAt"] = run.FinishedAt,
            ["Summary"] = run.Summary,
            ["Error"] = run.Error,
        };
        return this.storage.Table(TableNames.Runs).UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken);
    }

    /// <summary>Gets a run row, or null.</summary>
    public virtual async Task<RunAudit?> GetRunAsync(string connectionId, string runId, CancellationToken cancellationToken = default)
    {
        NullableResponse<TableEntity> row = await this.storage.Table(TableNames.Runs)
            .GetEntityIfExistsAsync<TableEntity>(TableKeys.Escape(connectionId), TableKeys.Escape(runId), cancellationToken: cancellationToken);
        if (!row.HasValue || row.Value is null)
        {
            return null;
        }

        return ToRun(connectionId, runId, row.Value);
    }

    /// <summary>Lists the run rows of a connection started at or after <paramref name="startedFrom"/>, in key order.</summary>
    public virtual async IAsyncEnumerable<RunAudit> ListRunsAsync(
        string connectionId, DateTimeOffset startedFrom, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string filter = TableClient.CreateQueryFilter($"PartitionKey eq {TableKeys.Escape(connectionId)} and StartedAt ge {startedFrom}");
        await foreach (TableEntity e in this.storage.Table(TableNames.Runs).QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            yield return ToRun(connectionId, Uri.UnescapeDataString(e.RowKey), e);
        }
    }

    /// <summary>Writes (or rewrites) a dataset row of a run.</summary>
    public virtual Task UpsertDatasetAsync(DatasetAudit dataset, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var entity = new TableEntity(TableKeys.Escape(dataset.RunId), TableKeys.Escape(dataset.Dataset))
        {
            ["ConnectionId"] = dataset.ConnectionId,
            ["Status"] = dataset.Status,
        };
        foreach ((string key, long value) in dataset.Counts)
        {
            entity[$"Count_{key}"] = value;
        }

        foreach ((string key, string value) in dataset.Details)
        {
            entity[key] = value;
        }

        return this.storage.Table(TableNames.RunDatasets).UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken);
    }

    /// <summary>Gets the dataset rows of a run.</summary>
    public virtual async Task<IReadOnlyList<DatasetAudit>> GetDatasetsAsync(string runId, CancellationToken cancellationToken = default)
    {
        var result = new List<DatasetAudit>();
        await foreach (TableEntity e in this.storage.Table(TableNames.RunDatasets)
            .QueryAsync<TableEntity>(x => x.PartitionKey == TableKeys.Escape(runId), cancellationToken: cancellationToken))
        {
            var counts = new Dictionary<string, long>(StringComparer.Ordinal);
            var details = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach ((string key, object value) in e)
            {
                if (key.StartsWith("Count_", StringComparison.Ordinal) && value is long l)
                {
                    counts[key["Count_".Length..]] = l;
                }
                else if (key is not ("PartitionKey" or "RowKey" or "Timestamp" or "odata.etag" or "ConnectionId" or "Status") && value is string text)
                {
                    details[key] = text;
                }
            }

            result.Add(new DatasetAudit(e.GetString("ConnectionId") ?? string.Empty, runId, e.RowKey, e.GetString("Status") ?? string.Empty, counts, details));
        }

        return result;
    }

    /// <summary>
    /// Writes record rows (rejected by the connector or failed in Anaplan) in transactions of up to 100. Row keys are
    /// <c>{dataset}:{kind}:{sequence}</c>, so writing the same records again replaces them.
    /// </summary>
    public virtual async Task WriteRecordsAsync(string runId, IReadOnlyList<RecordAudit> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        TableClient table = this.storage.Table(TableNames.RunRecords);
        string partition = TableKeys.Escape(runId);
        foreach (RecordAudit[] batch in records.Chunk(100))
        {
            var actions = batch.Select(r => new TableTransactionAction(
                TableTransactionActionType.UpsertReplace,
                new TableEntity(partition, $"{TableKeys.Escape(r.Dataset)}:{r.Kind}:{r.Sequence.ToString("D9", CultureInfo.InvariantCulture)}")
                {
                    ["Dataset"] = r.Dataset,
                    ["Kind"] = r.Kind,
                    ["Record"] = Truncate(r.Record),
                    ["Field"] = r.Field,
                    ["Reason"] = Truncate(r.Reason),
                    ["Line"] = r.Line,
                }));
            await table.SubmitTransactionAsync(actions, cancellationToken);
        }
    }

    /// <summary>Reads the record rows of a run, optionally of one dataset.</summary>
    public virtual async IAsyncEnumerable<RecordAudit> GetRecordsAsync(
        string runId, string? dataset = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string partition = TableKeys.Escape(runId);
        AsyncPageable<TableEntity> rows = dataset is null
            ? this.storage.Table(TableNames.RunRecords).QueryAsync<TableEntity>(x => x.PartitionKey == partition, cancellationToken: cancellationToken)
            : this.storage.Table(TableNames.RunRecords).QueryAsync<TableEntity>(
                x => x.PartitionKey == partition && x.RowKey.CompareTo(TableKeys.Escape(dataset) + ":") >= 0 && x.RowKey.CompareTo(TableKeys.Escape(dataset) + ";") < 0,
                cancellationToken: cancellationToken);
        await foreach (TableEntity e in rows)
        {
            string[] key = e.RowKey.Split(':');
            yield return new RecordAudit(
                e.GetString("Dataset") ?? string.Empty,
                e.GetString("Kind") ?? string.Empty,
                long.Parse(key[^1], CultureInfo.InvariantCulture),
                e.GetString("Record") ?? string.Empty,
                e.GetString("Field"),
                e.GetString("Reason") ?? string.Empty,
                e.GetInt64("Line"));
        }
    }

    private static RunAudit ToRun(string connectionId, string runId, TableEntity e)
        => new(
            connectionId,
            runId,
            e.GetString("Flow") ?? string.Empty,
            e.GetString("Trigger") ?? string.Empty,
            e.GetString("Status") ?? string.Empty,
            e.GetDateTimeOffset("StartedAt") ?? default,
            e.GetDateTimeOffset("FinishedAt"),
            e.GetString("Summary"),
            e.GetString("Error"));

    private static string Truncate(string text) => text.Length <= 16_000 ? text : text[..16_000] + "…";
}

/// <summary>One run in the audit trail. <c>Summary</c> is the run's result as JSON.</summary>
public sealed record RunAudit(
    string ConnectionId,
    string RunId,
    string Flow,
    string Trigger,
    string Status,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    string? Summary,
    string? Error);

/// <summary>One dataset of a run: its counts (read, staged, uploaded, accepted, failed...) and details (totals, task ids).</summary>
public sealed record DatasetAudit(
    string ConnectionId,
    string RunId,
    string Dataset,
    string Status,
    IReadOnlyDictionary<string, long> Counts,
    IReadOnlyDictionary<string, string> Details);

/// <summary>One record that did not make it: <c>Kind</c> is "rejected" (by the connector) or "failed" (by Anaplan or Sage).</summary>
public sealed record RecordAudit(string Dataset, string Kind, long Sequence, string Record, string? Field, string Reason, long? Line);

/// <summary>Kinds of record audit rows.</summary>
public static class RecordKinds
{
    public const string Rejected = "rejected";
    public const string Failed = "failed";
}
