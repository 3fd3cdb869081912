using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Connector.Orchestrations.Configuration;

namespace Connector.Orchestrations.Storage;

/// <summary>
/// The storage account the connector keeps its own data in: staging blobs (CSV parts, exports, snapshots) and tables
/// (audit, mappings, watermarks, journal ledger). Reached by connection string or by Entra ID identity.
/// </summary>
public sealed class ConnectorStorage
{
    public ConnectorStorage(StorageOptions options, string? fallbackConnectionString = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.Options = options;
        if (options.BlobServiceUri is not null || options.TableServiceUri is not null)
        {
            TokenCredential credential = options.ManagedIdentityClientId is { Length: > 0 } clientId
                ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
                : new DefaultAzureCredential();
            this.Blobs = new BlobServiceClient(
                options.BlobServiceUri ?? throw new InvalidOperationException($"{ConnectorOptions.SectionName}:Storage:BlobServiceUri must be set with TableServiceUri."),
                credential);
            this.Tables = new TableServiceClient(
                options.TableServiceUri ?? throw new InvalidOperationException($"{ConnectorOptions.SectionName}:Storage:TableServiceUri must be set with BlobServiceUri."),
                credential);
        }
        else
        {
            string connectionString = options.ConnectionString is { Length: > 0 } own
                ? own
                : fallbackConnectionString ?? throw new InvalidOperationException(
                    $"{ConnectorOptions.SectionName}:Storage:ConnectionString (or BlobServiceUri and TableServiceUri) must be set.");
            this.Blobs = new BlobServiceClient(connectionString);
            this.Tables = new TableServiceClient(connectionString);
        }
    }

    /// <summary>Gets the settings.</summary>
    public StorageOptions Options { get; }

    /// <summary>Gets the blob service.</summary>
    public BlobServiceClient Blobs { get; }

    /// <summary>Gets the table service.</summary>
    public TableServiceClient Tables { get; }

    /// <summary>Gets the staging container.</summary>
    public BlobContainerClient StagingContainer => this.Blobs.GetBlobContainerClient(this.Options.StagingContainer);

    /// <summary>Gets a connector table by its short name (the configured prefix is prepended).</summary>
    public TableClient Table(string name) => this.Tables.GetTableClient(this.Options.TablePrefix + name);

    private Task? created;

    /// <summary>Creates the container and tables once per process (the first call does the work, later calls await it).</summary>
    public Task EnsureCreatedOnceAsync()
    {
        Task? task = this.created;
        if (task is null || task.IsFaulted || task.IsCanceled)
        {
            task = this.EnsureCreatedAsync();
            this.created = task;
        }

        return task;
    }

    /// <summary>Creates the staging container and every table if they do not exist yet.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        await this.StagingContainer.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        foreach (string table in TableNames.All)
        {
            await this.Table(table).CreateIfNotExistsAsync(cancellationToken);
        }
    }
}

/// <summary>Short names of the connector's tables.</summary>
public static class TableNames
{
    public const string Runs = "Runs";
    public const string RunDatasets = "RunDatasets";
    public const string RunRecords = "RunRecords";
    public const string Watermarks = "Watermarks";
    public const string Mappings = "Mappings";
    public const string MappingHistory = "MappingHistory";
    public const string Journal = "Journal";

    /// <summary>What each step of a run produced (<see cref="StepResultStore"/>).</summary>
    public const string RunSteps = "RunSteps";

    /// <summary>Operator actions on a run: rewinds, terminations, replays (<see cref="AuditStore"/>).</summary>
    public const string RunEvents = "RunEvents";

    /// <summary>How long each Anaplan action's tasks take, learned from their first status checks (<see cref="TaskDurationStore"/>).</summary>
    public const string TaskDurations = "TaskDurations";

    /// <summary>What a connection's last run left for the next (<see cref="ConnectionStateStore"/>).</summary>
    public const string ConnectionState = "ConnectionState";

    public static IReadOnlyList<string> All { get; } = [Runs, RunDatasets, RunRecords, Watermarks, Mappings, MappingHistory, Journal, RunSteps, RunEvents, TaskDurations, ConnectionState];
}

/// <summary>Makes arbitrary text safe as a table PartitionKey or RowKey (no '/', '\\', '#', '?' or control characters).</summary>
public static class TableKeys
{
    /// <summary>Reverses <see cref="Escape"/>.</summary>
    public static string Unescape(string key) => Uri.UnescapeDataString(key);

    public static string Escape(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var builder = new System.Text.StringBuilder(value.Length);
        foreach (char c in value)
        {
            if (c is '/' or '\\' or '#' or '?' or '%' || char.IsControl(c))
            {
                builder.Append('%').Append(((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
