using Azure;
using Azure.Data.Tables;

namespace Connector.Orchestrations.Storage;

/// <summary>
/// What each dataset of a connection remembers between runs. Incremental datasets: the watermark (it only moves forward,
/// and only after the load ended), the rows Anaplan accepted near it (<c>SentRowsBlob</c>) and the rows it did not take
/// yet (<c>PendingBlob</c>), which the next run sends again. GL, re-sent by period: the periods whose load did not go
/// through (<c>PendingPeriods</c>).
/// </summary>
public class WatermarkStore
{
    private readonly ConnectorStorage storage;

    public WatermarkStore(ConnectorStorage storage) => this.storage = storage ?? throw new ArgumentNullException(nameof(storage));

    /// <summary>For mocking.</summary>
    protected WatermarkStore() => this.storage = null!;

    /// <summary>Gets the committed watermark (an ISO-8601 UTC timestamp), or null before the first load.</summary>
    public virtual async Task<Watermark?> GetAsync(string connectionId, string dataset, CancellationToken cancellationToken = default)
    {
        NullableResponse<TableEntity> row = await this.storage.Table(TableNames.Watermarks)
            .GetEntityIfExistsAsync<TableEntity>(TableKeys.Escape(connectionId), TableKeys.Escape(dataset), cancellationToken: cancellationToken);
        return row.HasValue && row.Value is { } e
            ? new Watermark(
                e.GetString("Value") ?? string.Empty,
                e.GetString("RunId") ?? string.Empty,
                e.GetDateTimeOffset("CommittedAt") ?? default,
                e.GetString("SentRowsBlob"),
                e.GetString("PendingBlob"),
                e.GetInt64("PendingRows") ?? 0,
                PendingPeriod.Parse(e.GetString("PendingPeriods")),
                e.GetString("Layout"))
            : null;
    }

    /// <summary>Gets the blobs a connection's watermarks name (what later runs still read), whichever run wrote them.</summary>
    public virtual async Task<IReadOnlySet<string>> GetReferencedBlobsAsync(string connectionId, CancellationToken cancellationToken = default)
    {
        var blobs = new HashSet<string>(StringComparer.Ordinal);
        await foreach (TableEntity e in this.storage.Table(TableNames.Watermarks).QueryAsync<TableEntity>(
            x => x.PartitionKey == TableKeys.Escape(connectionId), cancellationToken: cancellationToken))
        {
            foreach (string? blob in new[] { e.GetString("SentRowsBlob"), e.GetString("PendingBlob") })
            {
                if (!string.IsNullOrEmpty(blob))
                {
                    blobs.Add(blob);
                }
            }
        }

        return blobs;
    }

    /// <summary>
    /// Replaces the periods a non-incremental dataset (GL) must send again with <paramref name="pending"/>, keeping the
    /// watermark columns as they are.
    /// </summary>
    public virtual async Task SetPendingPeriodsAsync(
        string connectionId, string dataset, IReadOnlyList<PendingPeriod> pending, string runId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pending);
        var entity = new TableEntity(TableKeys.Escape(connectionId), TableKeys.Escape(dataset))
        {
            ["PendingPeriods"] = PendingPeriod.Format(pending),
            ["PendingRunId"] = runId,
            ["PendingAt"] = now,
        };
        await this.storage.Table(TableNames.Watermarks).UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken);
    }

    /// <summary>
    /// Commits <paramref name="value"/> unless a later one is already committed (optimistic concurrency on the row).
    /// <paramref name="sentRowsBlob"/> names the rows Anaplan accepted at the edge of the window and
    /// <paramref name="pendingBlob"/> the rows it did not take (both written by the caller before): they are replaced
    /// along with the watermark, and also when the watermark stays where it was. <paramref name="layout"/> is the signature
    /// of the import layout the rows were staged in.
    /// </summary>
    /// <returns>True when the stored watermark moved.</returns>
    public virtual async Task<bool> CommitAsync(
        string connectionId,
        string dataset,
        string value,
        string runId,
        DateTimeOffset now,
        string? sentRowsBlob = null,
        string? pendingBlob = null,
        long pendingRows = 0,
        string? layout = null,
        CancellationToken cancellationToken = default)
    {
        TableClient table = this.storage.Table(TableNames.Watermarks);
        string pk = TableKeys.Escape(connectionId), rk = TableKeys.Escape(dataset);
        while (true)
        {
            NullableResponse<TableEntity> row = await table.GetEntityIfExistsAsync<TableEntity>(pk, rk, cancellationToken: cancellationToken);
            var entity = new TableEntity(pk, rk)
            {
                ["Value"] = value,
                ["RunId"] = runId,
                ["CommittedAt"] = now,
                ["SentRowsBlob"] = sentRowsBlob,
                ["PendingBlob"] = pendingBlob,
                ["PendingRows"] = pendingRows,
                ["Layout"] = layout,
            };
            try
            {
                if (!row.HasValue || row.Value is null)
                {
                    await table.AddEntityAsync(entity, cancellationToken);
                    return true;
                }

                int order = string.CompareOrdinal(row.Value.GetString("Value"), value);
                if (order > 0)
                {
                    return false;
                }

                await table.UpdateEntityAsync(entity, row.Value.ETag, TableUpdateMode.Replace, cancellationToken);
                return order < 0;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                // Another run committed in between: read again and compare.
            }
        }
    }
}

/// <summary>
/// A committed watermark, with what its dataset still has to send again and the signature of the import layout its rows
/// were staged in (null: the shipped model's, before layouts were recorded).
/// </summary>
public sealed record Watermark(
    string Value,
    string RunId,
    DateTimeOffset CommittedAt,
    string? SentRowsBlob = null,
    string? PendingBlob = null,
    long PendingRows = 0,
    IReadOnlyList<PendingPeriod>? PendingPeriods = null,
    string? Layout = null);

/// <summary>A period (Sage fiscal year and period, and its Anaplan code) a run must send again, and why.</summary>
public sealed record PendingPeriod(string FiscalYear, int Period, string PeriodCode, string RunId, string Reason)
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    internal static IReadOnlyList<PendingPeriod> Parse(string? json)
        => string.IsNullOrEmpty(json) ? [] : System.Text.Json.JsonSerializer.Deserialize<List<PendingPeriod>>(json, Json) ?? [];

    internal static string Format(IReadOnlyList<PendingPeriod> periods) => System.Text.Json.JsonSerializer.Serialize(periods, Json);
}
