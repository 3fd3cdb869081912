using Azure;
using Azure.Data.Tables;

namespace Connector.Orchestrations.Storage;

/// <summary>
/// Sage code ⇄ Anaplan list item code, per connection and dimension (<see cref="MappingDimensions"/>). Without a row
/// the codes are the same on both sides; a row is an explicit override. Every change gets a new version and a
/// history row (who, when, old and new value, note), so the mapping in force at any time can be audited.
/// </summary>
public partial class MappingStore
{
    private readonly ConnectorStorage storage;

    public MappingStore(ConnectorStorage storage) => this.storage = storage ?? throw new ArgumentNullException(nameof(storage));

    /// <summary>For mocking.</summary>
    protected MappingStore() => this.storage = null!;

    /// <summary>Gets the overrides of one dimension: Sage code → Anaplan code.</summary>
    public virtual async Task<IReadOnlyDictionary<string, string>> GetOverridesAsync(
        string connectionId, string dimension, CancellationToken cancellationToken = default)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (MappingEntry entry in this.ListAsync(connectionId, dimension, cancellationToken))
        {
            map[entry.SageCode] = entry.AnaplanCode;
        }

        return map;
    }

    /// <summary>Lists the overrides with their versions.</summary>
    public virtual async IAsyncEnumerable<MappingEntry> ListAsync(
        string connectionId, string dimension, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string pk = Partition(connectionId, dimension);
        await foreach (TableEntity e in this.storage.Table(TableNames.Mappings)
            .QueryAsync<TableEntity>(x => x.PartitionKey == pk, cancellationToken: cancellationToken))
        {
            yield return ToEntry(e);
        }
    }

    /// <summary>Sets (or changes) one override and records the change in the history.</summary>
    /// <exception cref="Operations.ConnectorValidationException">A code is empty or the dimension is unknown.</exception>
    public virtual async Task<MappingEntry> SetAsync(
        string connectionId, string dimension, string sageCode, string anaplanCode, string changedBy, string? note, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        Validate(dimension, sageCode);
        if (anaplanCode is null || !AnaplanCode().IsMatch(anaplanCode.Trim()))
        {
            throw new Operations.ConnectorValidationException(
                nameof(anaplanCode),
                $"anaplanCode '{anaplanCode}' is not an Anaplan list item code: 1 to {MaxAnaplanCode} letters, digits, spaces or . _ / -, starting with a letter or digit.");
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(changedBy);
        if (note is { Length: > MaxNote })
        {
            throw new Operations.ConnectorValidationException(nameof(note), $"note is {note.Length} characters; at most {MaxNote}.");
        }

        return await this.ChangeAsync(connectionId, dimension, sageCode, anaplanCode.Trim(), changedBy, note, now, cancellationToken)
            ?? throw new InvalidOperationException("Setting a mapping cannot remove it.");
    }

    /// <summary>Removes an override (the codes become the same again) and records it in the history.</summary>
    /// <returns>False when there was no override.</returns>
    public virtual async Task<bool> RemoveAsync(
        string connectionId, string dimension, string sageCode, string changedBy, string? note, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        Validate(dimension, sageCode);
        NullableResponse<TableEntity> existing = await this.storage.Table(TableNames.Mappings)
            .GetEntityIfExistsAsync<TableEntity>(Partition(connectionId, dimension), TableKeys.Escape(sageCode.Trim()), cancellationToken: cancellationToken);
        if (!existing.HasValue)
        {
            return false;
        }

        await this.ChangeAsync(connectionId, dimension, sageCode, null, changedBy, note, now, cancellationToken);
        return true;
    }

    /// <summary>Gets the history of one Sage code's mapping, oldest first.</summary>
    public virtual async Task<IReadOnlyList<MappingChange>> GetHistoryAsync(
        string connectionId, string dimension, string sageCode, CancellationToken cancellationToken = default)
    {
        string pk = Partition(connectionId, dimension);
        string prefix = TableKeys.Escape(sageCode.Trim()) + ":";
        var changes = new List<MappingChange>();
        await foreach (TableEntity e in this.storage.Table(TableNames.MappingHistory).QueryAsync<TableEntity>(
            x => x.PartitionKey == pk && x.RowKey.CompareTo(prefix) >= 0 && x.RowKey.CompareTo(prefix + "~") < 0,
            cancellationToken: cancellationToken))
        {
            changes.Add(new MappingChange(
                sageCode.Trim(),
                (int)(e.GetInt32("Version") ?? 0),
                e.GetString("OldAnaplanCode"),
                e.GetString("NewAnaplanCode"),
                e.GetString("ChangedBy") ?? string.Empty,
                e.GetDateTimeOffset("ChangedAt") ?? default,
                e.GetString("Note")));
        }

        return changes;
    }

    private static string Partition(string connectionId, string dimension) => TableKeys.Escape($"{connectionId}:{dimension}");

    private static void Validate(string dimension, string sageCode)
    {
        if (!MappingDimensions.All.Contains(dimension))
        {
            throw new Operations.ConnectorValidationException(nameof(dimension), $"Unknown mapping dimension '{dimension}': use {string.Join(" or ", MappingDimensions.All)}.");
        }

        if (sageCode is null || !SageCode().IsMatch(sageCode.Trim()))
        {
            throw new Operations.ConnectorValidationException(
                nameof(sageCode),
                $"sageCode '{sageCode}' is not a Sage {dimension} code: 1 to {MaxSageCode} letters, digits or . _ / - (a formatted account is at most 41 characters), starting with a letter or digit.");
        }
    }

    /// <summary>Sage 100's formatted account (GL_Account.Account) is 41 characters; a segment code is shorter.</summary>
    public const int MaxSageCode = 41;

    /// <summary>The longest code accepted for an Anaplan list item.</summary>
    public const int MaxAnaplanCode = 60;

    private const int MaxNote = 500;

    // Codes are identifiers on both sides: no formula-leading characters, no quotes, separators or control characters.
    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._/-]{0,40}$")]
    private static partial System.Text.RegularExpressions.Regex SageCode();

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,59}$")]
    private static partial System.Text.RegularExpressions.Regex AnaplanCode();

    private static MappingEntry ToEntry(TableEntity e)
        => new(
            e.GetString("SageCode") ?? e.RowKey,
            e.GetString("AnaplanCode") ?? string.Empty,
            e.GetInt32("Version") ?? 0,
            e.GetString("ChangedBy") ?? string.Empty,
            e.GetDateTimeOffset("ChangedAt") ?? default);

    private async Task<MappingEntry?> ChangeAsync(
        string connectionId, string dimension, string sageCode, string? anaplanCode, string changedBy, string? note, DateTimeOffset now, CancellationToken cancellationToken)
    {
        TableClient table = this.storage.Table(TableNames.Mappings);
        string pk = Partition(connectionId, dimension), rk = TableKeys.Escape(sageCode.Trim());
        while (true)
        {
            NullableResponse<TableEntity> current = await table.GetEntityIfExistsAsync<TableEntity>(pk, rk, cancellationToken: cancellationToken);
            int version = (current.HasValue ? current.Value!.GetInt32("Version") ?? 0 : await this.LastHistoryVersionAsync(pk, rk, cancellationToken)) + 1;
            string? old = current.HasValue ? current.Value!.GetString("AnaplanCode") : null;
            try
            {
                MappingEntry? entry = null;
                if (anaplanCode is null)
                {
                    await table.DeleteEntityAsync(pk, rk, current.Value!.ETag, cancellationToken);
                }
                else
                {
                    var entity = new TableEntity(pk, rk)
                    {
                        ["SageCode"] = sageCode.Trim(),
                        ["AnaplanCode"] = anaplanCode,
                        ["Version"] = version,
                        ["ChangedBy"] = changedBy,
                        ["ChangedAt"] = now,
                    };
                    if (current.HasValue)
                    {
                        await table.UpdateEntityAsync(entity, current.Value!.ETag, TableUpdateMode.Replace, cancellationToken);
                    }
                    else
                    {
                        await table.AddEntityAsync(entity, cancellationToken);
                    }

                    entry = ToEntry(entity);
                }

                await this.storage.Table(TableNames.MappingHistory).UpsertEntityAsync(
                    new TableEntity(pk, $"{rk}:{version:D6}")
                    {
                        ["Version"] = version,
                        ["OldAnaplanCode"] = old,
                        ["NewAnaplanCode"] = anaplanCode,
                        ["ChangedBy"] = changedBy,
                        ["ChangedAt"] = now,
                        ["Note"] = note,
                    },
                    TableUpdateMode.Replace,
                    cancellationToken);
                return entry;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                // Changed concurrently: read the new version and apply on top of it.
            }
        }
    }

    private async Task<int> LastHistoryVersionAsync(string pk, string rk, CancellationToken cancellationToken)
    {
        // A removed override leaves no row; its history still numbers the versions.
        string prefix = rk + ":";
        int last = 0;
        await foreach (TableEntity e in this.storage.Table(TableNames.MappingHistory).QueryAsync<TableEntity>(
            x => x.PartitionKey == pk && x.RowKey.CompareTo(prefix) >= 0 && x.RowKey.CompareTo(prefix + "~") < 0,
            cancellationToken: cancellationToken))
        {
            last = Math.Max(last, e.GetInt32("Version") ?? 0);
        }

        return last;
    }
}

/// <summary>Mapping dimensions.</summary>
public static class MappingDimensions
{
    public const string Account = "account";
    public const string CostCenter = "costcenter";

    public static IReadOnlyList<string> All { get; } = [Account, CostCenter];
}

/// <summary>One override in force.</summary>
public sealed record MappingEntry(string SageCode, string AnaplanCode, int Version, string ChangedBy, DateTimeOffset ChangedAt);

/// <summary>One change in a mapping's history (NewAnaplanCode null = override removed).</summary>
public sealed record MappingChange(string SageCode, int Version, string? OldAnaplanCode, string? NewAnaplanCode, string ChangedBy, DateTimeOffset ChangedAt, string? Note);
