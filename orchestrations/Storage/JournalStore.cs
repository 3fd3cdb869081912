using Azure;
using Azure.Data.Tables;

namespace Connector.Orchestrations.Storage;

/// <summary>
/// The connector's record of every journal entry it proposes or posts (table <c>Journal</c>, partition = connection,
/// row = external id): status, Sage entry number and batch, totals, the run, and the Anaplan cells the lines came from,
/// so any Sage entry traces back to its source. A second row per group (version × period × grouping key) remembers
/// which entry was posted for it, so a changed budget is not posted a second time on top of the first.
/// </summary>
public class JournalStore
{
    private readonly ConnectorStorage storage;

    public JournalStore(ConnectorStorage storage) => this.storage = storage ?? throw new ArgumentNullException(nameof(storage));

    /// <summary>For mocking.</summary>
    protected JournalStore() => this.storage = null!;

    private TableClient Table => this.storage.Table(TableNames.Journal);

    /// <summary>Gets an entry's record, or null.</summary>
    public virtual async Task<JournalRecord?> GetAsync(string connectionId, string externalId, CancellationToken cancellationToken = default)
    {
        NullableResponse<TableEntity> row = await this.Table.GetEntityIfExistsAsync<TableEntity>(
            TableKeys.Escape(connectionId), TableKeys.Escape(externalId), cancellationToken: cancellationToken);
        return row.HasValue && row.Value is { } e ? ToRecord(e) : null;
    }

    /// <summary>Writes (or rewrites) an entry's record.</summary>
    public virtual Task UpsertAsync(JournalRecord record, CancellationToken cancellationToken = default)
        => this.Table.UpsertEntityAsync(Entity(record), TableUpdateMode.Replace, cancellationToken);

    /// <summary>
    /// Writes (or rewrites) the records of one connection's entries in one transaction: all or none (at most a hundred,
    /// the most a table transaction takes).
    /// </summary>
    public virtual async Task UpsertManyAsync(IReadOnlyCollection<JournalRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count > 0)
        {
            await this.Table.SubmitTransactionAsync(
                [.. records.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, Entity(r)))], cancellationToken);
        }
    }

    /// <summary>
    /// Writes (or rewrites) the record of an entry that is in Sage and, in the same transaction, marks it as the entry
    /// posted for its group (read by <see cref="GetPostedForGroupAsync"/>): both or neither.
    /// </summary>
    public virtual Task UpsertPostedAsync(JournalRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return this.Table.SubmitTransactionAsync(
            [
                new TableTransactionAction(TableTransactionActionType.UpsertReplace, Entity(record)),
                new TableTransactionAction(TableTransactionActionType.UpsertReplace, GroupEntity(record.ConnectionId, record.GroupKey, record.ExternalId)),
            ],
            cancellationToken);
    }

    /// <summary>Gets the external id posted for a group, or null.</summary>
    public virtual async Task<string?> GetPostedForGroupAsync(string connectionId, string groupKey, CancellationToken cancellationToken = default)
    {
        NullableResponse<TableEntity> row = await this.Table.GetEntityIfExistsAsync<TableEntity>(
            TableKeys.Escape(connectionId), GroupRow(groupKey), cancellationToken: cancellationToken);
        return row.HasValue ? row.Value?.GetString("ExternalId") : null;
    }

    private static TableEntity Entity(JournalRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new TableEntity(TableKeys.Escape(record.ConnectionId), TableKeys.Escape(record.ExternalId))
        {
            ["ExternalId"] = record.ExternalId,
            ["Status"] = record.Status,
            ["RunId"] = record.RunId,
            ["GroupKey"] = record.GroupKey,
            ["Version"] = record.Version,
            ["Period"] = record.Period,
            ["EntryNo"] = record.EntryNo,
            ["BatchNo"] = record.BatchNo,
            ["Debit"] = record.Debit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Credit"] = record.Credit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Lines"] = record.Lines,
            ["SourceCells"] = record.SourceCells.Length <= 30_000 ? record.SourceCells : record.SourceCells[..30_000] + "…",
            ["Message"] = record.Message,
            ["UpdatedAt"] = record.UpdatedAt,
        };
    }

    private static TableEntity GroupEntity(string connectionId, string groupKey, string externalId)
        => new(TableKeys.Escape(connectionId), GroupRow(groupKey)) { ["ExternalId"] = externalId, ["GroupKey"] = groupKey };

    /// <summary>Lists the entries a run touched.</summary>
    public virtual async IAsyncEnumerable<JournalRecord> ListByRunAsync(
        string connectionId, string runId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string pk = TableKeys.Escape(connectionId);
        await foreach (TableEntity e in this.Table.QueryAsync<TableEntity>(x => x.PartitionKey == pk && x.RowKey.CompareTo("group|") < 0, cancellationToken: cancellationToken))
        {
            if (e.GetString("RunId") == runId)
            {
                yield return ToRecord(e);
            }
        }
    }

    private static string GroupRow(string groupKey)
        => "group|" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(groupKey)));

    private static JournalRecord ToRecord(TableEntity e)
        => new(
            TableKeys.Unescape(e.PartitionKey),
            e.GetString("ExternalId") ?? e.RowKey,
            e.GetString("Status") ?? string.Empty,
            e.GetString("RunId") ?? string.Empty,
            e.GetString("GroupKey") ?? string.Empty,
            e.GetString("Version") ?? string.Empty,
            e.GetString("Period") ?? string.Empty,
            e.GetString("EntryNo"),
            e.GetString("BatchNo"),
            decimal.Parse(e.GetString("Debit") ?? "0", System.Globalization.CultureInfo.InvariantCulture),
            decimal.Parse(e.GetString("Credit") ?? "0", System.Globalization.CultureInfo.InvariantCulture),
            e.GetInt32("Lines") ?? 0,
            e.GetString("SourceCells") ?? string.Empty,
            e.GetString("Message"),
            e.GetDateTimeOffset("UpdatedAt") ?? default);

}

/// <summary>What the connector knows of one journal entry (amounts as exact decimal text in the table).</summary>
public sealed record JournalRecord(
    string ConnectionId,
    string ExternalId,
    string Status,
    string RunId,
    string GroupKey,
    string Version,
    string Period,
    string? EntryNo,
    string? BatchNo,
    decimal Debit,
    decimal Credit,
    int Lines,
    string SourceCells,
    string? Message,
    DateTimeOffset UpdatedAt);

/// <summary>Statuses of journal entries.</summary>
public static class JournalStatuses
{
    public const string Posting = "posting";
    public const string Posted = "posted";
    public const string AlreadyPosted = "already posted";
    public const string Rejected = "rejected";
    public const string Failed = "failed";
    public const string NeedsReview = "needs review";
    public const string Proposed = "proposed";
}
