using System.Text.Json;
using Azure;
using Azure.Data.Tables;

namespace Connector.Orchestrations.Storage;

/// <summary>
/// What each step of a run produced, kept so that a resumed run (a rewind: a new execution of the same run id) takes a
/// finished step's result instead of doing the step again (table <c>RunSteps</c>, partition = run id, row = step key).
/// Values are the step's small, reference-only result as JSON (blob names, counts, ids, a started Anaplan task); one too
/// long for a Table property is kept in a blob the row names (<c>steps/...</c>). Each row says in which attempt of the run
/// it was written, so a step done again in a later attempt replaces what an earlier one recorded.
/// </summary>
public class StepResultStore
{
    /// <summary>The JSON of recorded values (also what orchestrators read them with).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string BlobColumn = "ValueBlob";
    private readonly ConnectorStorage storage;

    public StepResultStore(ConnectorStorage storage) => this.storage = storage ?? throw new ArgumentNullException(nameof(storage));

    /// <summary>For mocking.</summary>
    protected StepResultStore() => this.storage = null!;

    private TableClient Table => this.storage.Table(TableNames.RunSteps);

    /// <summary>Records (or replaces) the result of <paramref name="step"/> of run <paramref name="runId"/>.</summary>
    public virtual async Task RecordAsync<T>(string runId, string step, int attempt, T value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentException.ThrowIfNullOrEmpty(step);
        await this.storage.EnsureCreatedOnceAsync();
        string json = JsonSerializer.Serialize(value, Json);
        var entity = new TableEntity(TableKeys.Escape(runId), TableKeys.Escape(step))
        {
            ["Step"] = step,
            ["Attempt"] = attempt,
            ["RecordedAt"] = DateTimeOffset.UtcNow,
        };
        if (json.Length <= AuditStore.InlineLimit)
        {
            entity["Value"] = json;
            entity[BlobColumn] = null;
        }
        else
        {
            string blobName = BlobName(runId, step);
            await this.storage.StagingContainer.GetBlobClient(blobName).UploadAsync(BinaryData.FromString(json), overwrite: true, cancellationToken);
            entity["Value"] = null;
            entity[BlobColumn] = blobName;
        }

        await this.Table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>Gets every recorded step of a run (step key → attempt and JSON); empty for a run that recorded none.</summary>
    public virtual async Task<IReadOnlyDictionary<string, RecordedStep>> GetAsync(string runId, CancellationToken cancellationToken = default)
    {
        await this.storage.EnsureCreatedOnceAsync();
        var steps = new Dictionary<string, RecordedStep>(StringComparer.Ordinal);
        await foreach (TableEntity e in this.Table.QueryAsync<TableEntity>(x => x.PartitionKey == TableKeys.Escape(runId), cancellationToken: cancellationToken))
        {
            string json = e.GetString(BlobColumn) is { Length: > 0 } blob
                ? (await this.storage.StagingContainer.GetBlobClient(blob).DownloadContentAsync(cancellationToken)).Value.Content.ToString()
                : e.GetString("Value") ?? "null";
            steps[e.GetString("Step") ?? e.RowKey] = new RecordedStep(e.GetInt32("Attempt") ?? 1, json);
        }

        return steps;
    }

    /// <summary>Deletes every recorded step of a run (and the blobs of long values); returns how many there were.</summary>
    public virtual async Task<int> DeleteAsync(string runId, CancellationToken cancellationToken = default)
    {
        int deleted = 0;
        await foreach (TableEntity e in this.Table.QueryAsync<TableEntity>(
            x => x.PartitionKey == TableKeys.Escape(runId), select: ["PartitionKey", "RowKey", BlobColumn], cancellationToken: cancellationToken))
        {
            if (e.GetString(BlobColumn) is { Length: > 0 } blob)
            {
                await this.storage.StagingContainer.GetBlobClient(blob).DeleteIfExistsAsync(cancellationToken: cancellationToken);
            }

            await this.Table.DeleteEntityAsync(e.PartitionKey, e.RowKey, ETag.All, cancellationToken);
            deleted++;
        }

        return deleted;
    }

    private static string BlobName(string runId, string step) => $"steps/{TableKeys.Escape(runId)}/{TableKeys.Escape(step)}.json".Replace(':', '_');
}

/// <summary>A step's recorded result: the attempt of the run that wrote it, and the value as JSON.</summary>
public sealed record RecordedStep(int Attempt, string Json)
{
    /// <summary>Reads the value.</summary>
    public T? Read<T>() => JsonSerializer.Deserialize<T>(this.Json, StepResultStore.Json);
}
