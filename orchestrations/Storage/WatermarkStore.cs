using Azure;
using Azure.Data.Tables;

namespace Connector.Orchestrations.Storage;

/// <summary>
/// Incremental-pull watermarks per connection and dataset. A watermark only moves forward, and only once the data read
/// up to it has been loaded (the caller commits after the import completed), so a failed run re-reads the same rows.
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
            ? new Watermark(e.GetString("Value") ?? string.Empty, e.GetString("RunId") ?? string.Empty, e.GetDateTimeOffset("CommittedAt") ?? default, e.GetString("SentRowsBlob"))
            : null;
    }

    /// <summary>
    /// Commits <paramref name="value"/> unless a later one is already committed (optimistic concurrency on the row).
    /// <paramref name="sentRowsBlob"/> names what the run loaded at the edge of the window (see the extraction
    /// activities): it is replaced along with the watermark, and also when the watermark stays where it was.
    /// </summary>
    /// <returns>True when the stored watermark moved.</returns>
    public virtual async Task<bool> CommitAsync(
        string connectionId, string dataset, string value, string runId, DateTimeOffset now, string? sentRowsBlob = null, CancellationToken cancellationToken = default)
    {
        TableClient table = this.storage.Table(TableNames.Watermarks);
        string pk = TableKeys.Escape(connectionId), rk = TableKeys.Escape(dataset);
        while (true)
        {
            NullableResponse<TableEntity> row = await table.GetEntityIfExistsAsync<TableEntity>(pk, rk, cancellationToken: cancellationToken);
            var entity = new TableEntity(pk, rk) { ["Value"] = value, ["RunId"] = runId, ["CommittedAt"] = now, ["SentRowsBlob"] = sentRowsBlob };
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

/// <summary>A committed watermark.</summary>
public sealed record Watermark(string Value, string RunId, DateTimeOffset CommittedAt, string? SentRowsBlob = null);
