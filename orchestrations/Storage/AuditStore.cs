using System.Globalization;
using Azure;
using Azure.Data.Tables;

namespace Connector.Orchestrations.Storage;

/// <summary>
/// The audit trail in Table storage: one row per run (<c>Runs</c>, partition = connection), one per dataset of a run
/// (<c>RunDatasets</c>, partition = run), and one per rejected or failed record (<c>RunRecords</c>, partition = run).
/// Rows are upserted, so an activity that runs again after a crash rewrites the same rows instead of adding more.
/// A text too long for a Table property (a run summary of hundreds of entries, a long Sage message) is stored whole in a
/// blob beside the staging data (<c>audit/...</c>) and the row names it; every reader here returns the full text, so a
/// run's outcome never depends on the size of what it records.
/// </summary>
public class AuditStore
{
    /// <summary>Texts longer than this (characters) go to a blob: a Table string property holds at most 32 K UTF-16 characters.</summary>
    public const int InlineLimit = 16_000;

    private const string BlobSuffix = "__blob";
    private readonly ConnectorStorage storage;

    public AuditStore(ConnectorStorage storage) => this.storage = storage ?? throw new ArgumentNullException(nameof(storage));

    /// <summary>For mocking.</summary>
    protected AuditStore() => this.storage = null!;

    /// <summary>Writes (or rewrites) a run row.</summary>
    public virtual async Task UpsertRunAsync(RunAudit run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        var entity = new TableEntity(TableKeys.Escape(run.ConnectionId), TableKeys.Escape(run.RunId))
        {
            ["Flow"] = run.Flow,
            ["Trigger"] = run.Trigger,
            ["Status"] = run.Status,
            ["StartedAt"] = run.StartedAt,
            ["FinishedAt"] = run.FinishedAt,
            ["Attempt"] = run.Attempt,
        };
        await this.SetTextAsync(entity, "Summary", run.Summary, cancellationToken);
        await this.SetTextAsync(entity, "Error", run.Error, cancellationToken);
        await this.storage.Table(TableNames.Runs).UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken);
    }

    /// <summary>
    /// Ends a run row that did not complete: its status (<c>Failed</c>, <c>Terminated</c>), when, and why, keeping what the
    /// row already holds (flow, trigger, start, attempt). A run that never wrote its row gets one.
    /// </summary>
    public virtual async Task EndRunAsync(
        string connectionId, string runId, string status, DateTimeOffset finishedAt, string error, CancellationToken cancellationToken = default)
    {
        var entity = new TableEntity(TableKeys.Escape(connectionId), TableKeys.Escape(runId))
        {
            ["Status"] = status,
            ["FinishedAt"] = finishedAt,
        };
        await this.SetTextAsync(entity, "Error", error, cancellationToken);
        await this.storage.Table(TableNames.Runs).UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken);
    }

    /// <summary>Lists a connection's run rows started before <paramref name="before"/> (for retention).</summary>
    public virtual async IAsyncEnumerable<RunAudit> ListRunsStartedBeforeAsync(
        string connectionId, DateTimeOffset before, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // A filter string: the LINQ form (GetDateTimeOffset in the predicate) is not supported by Azure.Data.Tables and
        // made every retention purge fail.
        string partition = TableKeys.Escape(connectionId);
        await foreach (TableEntity e in this.storage.Table(TableNames.Runs).QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {partition} and StartedAt lt {before}"),
            select: ["PartitionKey", "RowKey", "Flow", "Trigger", "Status", "StartedAt", "FinishedAt", "Attempt"],
            cancellationToken: cancellationToken))
        {
            yield return new RunAudit(
                connectionId,
                TableKeys.Unescape(e.RowKey),
                e.GetString("Flow") ?? string.Empty,
                e.GetString("Trigger") ?? string.Empty,
                e.GetString("Status") ?? string.Empty,
                e.GetDateTimeOffset("StartedAt") ?? default,
                e.GetDateTimeOffset("FinishedAt"),
                null,
                null) { Attempt = e.GetInt32("Attempt") ?? 1 };
        }
    }

    /// <summary>Records an operator action on a run (a rewind, a termination, a replay): when, by whom, why, which attempt.</summary>
    public virtual async Task AddEventAsync(RunEvent runEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runEvent);
        var entity = new TableEntity(
            TableKeys.Escape(runEvent.RunId),
            $"{runEvent.At.UtcTicks.ToString("D19", CultureInfo.InvariantCulture)}-{TableKeys.Escape(runEvent.Action)}")
        {
            ["ConnectionId"] = runEvent.ConnectionId,
            ["Action"] = runEvent.Action,
            ["At"] = runEvent.At,
            ["By"] = runEvent.By,
            ["Attempt"] = runEvent.Attempt,
            ["Detail"] = runEvent.Detail,
        };
        await this.SetTextAsync(entity, "Reason", runEvent.Reason, cancellationToken);
        await this.storage.Table(TableNames.RunEvents).UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>Gets the operator actions on a run, oldest first.</summary>
    public virtual async Task<IReadOnlyList<RunEvent>> GetEventsAsync(string runId, CancellationToken cancellationToken = default)
    {
        var events = new List<RunEvent>();
        await foreach (TableEntity e in this.storage.Table(TableNames.RunEvents)
            .QueryAsync<TableEntity>(x => x.PartitionKey == TableKeys.Escape(runId), cancellationToken: cancellationToken))
        {
            events.Add(new RunEvent(
                e.GetString("ConnectionId") ?? string.Empty,
                runId,
                e.GetString("Action") ?? string.Empty,
                e.GetDateTimeOffset("At") ?? default,
                e.GetString("By") ?? string.Empty,
                await this.GetTextAsync(e, "Reason", cancellationToken) ?? string.Empty,
                e.GetInt32("Attempt"),
                e.GetString("Detail")));
        }

        return events;
    }

    /// <summary>
    /// Deletes everything the audit holds about a run: its row, dataset rows, record rows, operator actions and the
    /// blobs of long texts. Returns how many rows were deleted.
    /// </summary>
    public virtual async Task<int> DeleteRunAsync(string connectionId, string runId, CancellationToken cancellationToken = default)
    {
        int deleted = 0;
        string run = TableKeys.Escape(runId);
        NullableResponse<TableEntity> row = await this.storage.Table(TableNames.Runs)
            .GetEntityIfExistsAsync<TableEntity>(TableKeys.Escape(connectionId), run, cancellationToken: cancellationToken);
        if (row.HasValue)
        {
            await this.storage.Table(TableNames.Runs).DeleteEntityAsync(TableKeys.Escape(connectionId), run, ETag.All, cancellationToken);
            deleted++;
        }

        foreach (string table in new[] { TableNames.RunDatasets, TableNames.RunRecords, TableNames.RunEvents })
        {
            deleted += await DeleteRowsAsync(this.storage.Table(table), run, x => x.PartitionKey == run, cancellationToken);
        }

        foreach (string prefix in new[] { BlobPrefix(run), BlobPrefix($"{TableKeys.Escape(connectionId)}/{run}") })
        {
            await this.DeleteBlobsAsync(prefix, cancellationToken);
        }

        return deleted;
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

        return await this.ToRunAsync(connectionId, runId, row.Value, cancellationToken);
    }

    /// <summary>Lists the run rows of a connection started at or after <paramref name="startedFrom"/>, in key order.</summary>
    public virtual async IAsyncEnumerable<RunAudit> ListRunsAsync(
        string connectionId, DateTimeOffset startedFrom, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string filter = TableClient.CreateQueryFilter($"PartitionKey eq {TableKeys.Escape(connectionId)} and StartedAt ge {startedFrom}");
        await foreach (TableEntity e in this.storage.Table(TableNames.Runs).QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            yield return await this.ToRunAsync(connectionId, Uri.UnescapeDataString(e.RowKey), e, cancellationToken);
        }
    }

    /// <summary>Writes (or rewrites) a dataset row of a run.</summary>
    public virtual async Task UpsertDatasetAsync(DatasetAudit dataset, CancellationToken cancellationToken = default)
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
            await this.SetTextAsync(entity, key, value, cancellationToken);
        }

        await this.storage.Table(TableNames.RunDatasets).UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken);
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
                else if (key.EndsWith(BlobSuffix, StringComparison.Ordinal))
                {
                    string name = key[..^BlobSuffix.Length];
                    details[name] = await this.GetTextAsync(e, name, cancellationToken) ?? string.Empty;
                }
                else if (key is not ("PartitionKey" or "RowKey" or "Timestamp" or "odata.etag" or "ConnectionId" or "Status") && value is string text
                    && !e.ContainsKey(key + BlobSuffix))
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
            var actions = new List<TableTransactionAction>(batch.Length);
            foreach (RecordAudit r in batch)
            {
                var entity = new TableEntity(partition, $"{TableKeys.Escape(r.Dataset)}:{r.Kind}:{r.Sequence.ToString("D9", CultureInfo.InvariantCulture)}")
                {
                    ["Dataset"] = r.Dataset,
                    ["Kind"] = r.Kind,
                    ["Field"] = r.Field,
                    ["Line"] = r.Line,
                };
                await this.SetTextAsync(entity, "Record", r.Record, cancellationToken);
                await this.SetTextAsync(entity, "Reason", r.Reason, cancellationToken);
                actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, entity));
            }

            await table.SubmitTransactionAsync(actions, cancellationToken);
        }
    }

    /// <summary>
    /// Deletes the record rows of one kind of a run's dataset (with the blobs of their long texts); returns how many
    /// there were. Used when what wrote them is discarded (GL staged speculatively, then staged again).
    /// </summary>
    public virtual async Task<int> DeleteRecordsAsync(string runId, string dataset, string kind, CancellationToken cancellationToken = default)
    {
        string partition = TableKeys.Escape(runId);
        string from = $"{TableKeys.Escape(dataset)}:{kind}:", to = $"{TableKeys.Escape(dataset)}:{kind};";
        int deleted = await DeleteRowsAsync(
            this.storage.Table(TableNames.RunRecords), partition, x => x.PartitionKey == partition && x.RowKey.CompareTo(from) >= 0 && x.RowKey.CompareTo(to) < 0, cancellationToken);
        await this.DeleteBlobsAsync(BlobPrefix($"{partition}/{from}").TrimEnd('/'), cancellationToken); // every row's own prefix starts so
        return deleted;
    }

    /// <summary>Deletes the rows of one partition that <paramref name="filter"/> selects, a transaction per 100; returns how many there were.</summary>
    private static async Task<int> DeleteRowsAsync(
        TableClient table, string partition, System.Linq.Expressions.Expression<Func<TableEntity, bool>> filter, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        await foreach (TableEntity e in table.QueryAsync(filter, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            keys.Add(e.RowKey);
        }

        foreach (string[] batch in keys.Chunk(100))
        {
            await table.SubmitTransactionAsync(batch.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(partition, k))), cancellationToken);
        }

        return keys.Count;
    }

    /// <summary>Deletes the staging blobs whose names start with <paramref name="prefix"/> (the long texts of audit rows).</summary>
    private async Task DeleteBlobsAsync(string prefix, CancellationToken cancellationToken)
    {
        await foreach (Azure.Storage.Blobs.Models.BlobItem blob in this.storage.StagingContainer.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, cancellationToken))
        {
            await this.storage.StagingContainer.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken);
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
                await this.GetTextAsync(e, "Record", cancellationToken) ?? string.Empty,
                e.GetString("Field"),
                await this.GetTextAsync(e, "Reason", cancellationToken) ?? string.Empty,
                e.GetInt64("Line"));
        }
    }

    private async Task<RunAudit> ToRunAsync(string connectionId, string runId, TableEntity e, CancellationToken cancellationToken)
        => new(
            connectionId,
            runId,
            e.GetString("Flow") ?? string.Empty,
            e.GetString("Trigger") ?? string.Empty,
            e.GetString("Status") ?? string.Empty,
            e.GetDateTimeOffset("StartedAt") ?? default,
            e.GetDateTimeOffset("FinishedAt"),
            await this.GetTextAsync(e, "Summary", cancellationToken),
            await this.GetTextAsync(e, "Error", cancellationToken))
        {
            Attempt = e.GetInt32("Attempt") ?? 1,
        };

    /// <summary>Puts a text on a row, or in a blob the row names when it is too long for a Table property.</summary>
    private async Task SetTextAsync(TableEntity entity, string name, string? text, CancellationToken cancellationToken)
    {
        if (text is null || text.Length <= InlineLimit)
        {
            entity[name] = text;
            entity[name + BlobSuffix] = null;
            return;
        }

        string blobName = $"{BlobPrefix($"{TableKeys.Escape(entity.PartitionKey)}/{TableKeys.Escape(entity.RowKey)}")}{name}.txt";
        await this.storage.StagingContainer.GetBlobClient(blobName).UploadAsync(BinaryData.FromString(text), overwrite: true, cancellationToken);
        entity[name] = null;
        entity[name + BlobSuffix] = blobName;
    }

    /// <summary>Where the long texts of a row (<c>{partition}/{row}</c>) are kept: <c>audit/{partition}/{row}/</c>.</summary>
    private static string BlobPrefix(string path) => $"audit/{path}/".Replace(':', '_');

    /// <summary>Reads a text from its row, or whole from the blob the row names.</summary>
    private async Task<string?> GetTextAsync(TableEntity entity, string name, CancellationToken cancellationToken)
    {
        if (entity.GetString(name + BlobSuffix) is { Length: > 0 } blobName)
        {
            return (await this.storage.StagingContainer.GetBlobClient(blobName).DownloadContentAsync(cancellationToken)).Value.Content.ToString();
        }

        return entity.GetString(name);
    }
}

/// <summary>
/// One run in the audit trail. <c>Summary</c> is the run's result as JSON; <c>Error</c> why a run failed or was
/// terminated; <c>Attempt</c> which execution of the run wrote the row (1, then one more per rewind).
/// </summary>
public sealed record RunAudit(
    string ConnectionId,
    string RunId,
    string Flow,
    string Trigger,
    string Status,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    string? Summary,
    string? Error)
{
    /// <summary>Gets the attempt (execution) of the run the row describes.</summary>
    public int Attempt { get; init; } = 1;
}

/// <summary>
/// An operator action on a run, as the audit shows it: <c>Action</c> (<see cref="RunEventActions"/>), when, by whom,
/// the reason given, the attempt it started or ended, and a detail (the new run a replay started, ...).
/// </summary>
public sealed record RunEvent(string ConnectionId, string RunId, string Action, DateTimeOffset At, string By, string Reason, int? Attempt, string? Detail);

/// <summary>The operator actions recorded on runs.</summary>
public static class RunEventActions
{
    public const string Rewind = "rewind";
    public const string Terminate = "terminate";
    public const string ReplayDataset = "replay-dataset";
    public const string RetryRejected = "retry-rejected";
    public const string Replay = "replay";
}

/// <summary>One dataset of a run: its counts (read, staged, uploaded, accepted, failed...) and details (totals, task ids).</summary>
public sealed record DatasetAudit(
    string ConnectionId,
    string RunId,
    string Dataset,
    string Status,
    IReadOnlyDictionary<string, long> Counts,
    IReadOnlyDictionary<string, string> Details);

/// <summary>One record that did not make it: <c>Kind</c> is "rejected" (by the connector), "failed" (by Anaplan or Sage) or "difference" (Anaplan holds another value than Sage).</summary>
public sealed record RecordAudit(string Dataset, string Kind, long Sequence, string Record, string? Field, string Reason, long? Line);

/// <summary>Kinds of record audit rows.</summary>
public static class RecordKinds
{
    public const string Rejected = "rejected";
    public const string Failed = "failed";

    /// <summary>A cell whose value read back from Anaplan differs from Sage's.</summary>
    public const string Difference = "difference";
}
