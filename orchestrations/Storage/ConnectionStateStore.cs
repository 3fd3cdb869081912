using Azure;
using Azure.Data.Tables;

namespace Connector.Orchestrations.Storage;

/// <summary>
/// What a connection's last actuals alignment found, kept for the next run (table <c>ConnectionState</c>, partition = the
/// connection id, row = <c>alignment</c>): how many accounts valid on the Sage side Anaplan refused (an account or
/// cost-centre item missing from its lists). A run whose predecessor's alignment refused some does not stage GL before
/// its own alignment is built: the speculative files would most likely be discarded and staged again.
/// </summary>
public class ConnectionStateStore
{
    private const string AlignmentRow = "alignment";

    private readonly ConnectorStorage storage;

    public ConnectionStateStore(ConnectorStorage storage) => this.storage = storage ?? throw new ArgumentNullException(nameof(storage));

    /// <summary>For mocking.</summary>
    protected ConnectionStateStore() => this.storage = null!;

    private TableClient Table => this.storage.Table(TableNames.ConnectionState);

    /// <summary>Gets how many accounts the connection's last alignment refused, or null before its first alignment.</summary>
    public virtual async Task<int?> GetRefusedByAnaplanAsync(string connectionId, CancellationToken cancellationToken = default)
    {
        await this.storage.EnsureCreatedOnceAsync();
        NullableResponse<TableEntity> row = await this.Table.GetEntityIfExistsAsync<TableEntity>(
            TableKeys.Escape(connectionId), AlignmentRow, cancellationToken: cancellationToken);
        return row.HasValue && row.Value is { } e ? e.GetInt32("RefusedByAnaplan") : null;
    }

    /// <summary>Records what a run's alignment refused.</summary>
    public virtual async Task SetRefusedByAnaplanAsync(string connectionId, int refused, string runId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await this.storage.EnsureCreatedOnceAsync();
        var entity = new TableEntity(TableKeys.Escape(connectionId), AlignmentRow)
        {
            ["RefusedByAnaplan"] = refused,
            ["RunId"] = runId,
            ["UpdatedAt"] = now,
        };
        await this.Table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
    }
}
