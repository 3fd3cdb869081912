using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;

namespace Connector.Orchestrations.Flows;

/// <summary>
/// Makes incremental pulls exact. A pull asks for rows changed since the watermark minus an overlap, so a row updated
/// while the previous pull ran is never missed; but the overlap also returns rows an earlier run already loaded. This
/// remembers the rows Anaplan accepted near the watermark (key → hash of the staged row) and skips a row whose key and
/// content are unchanged, so a run with no Sage changes uploads nothing. A row is remembered only once Anaplan took it:
/// the set a run saves is every row its pull returned, and the commit after the load removes the ones Anaplan did not
/// take (<see cref="PendingRows"/> carries those to the next run).
/// </summary>
public sealed class SentRows
{
    /// <summary>Beyond this many rows the set is not kept (the next run then re-sends its overlap: correct, only less lean).</summary>
    public const int MaxRemembered = 200_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly IReadOnlyDictionary<string, string> previous;
    private readonly Dictionary<string, string> current = new(StringComparer.Ordinal);

    private SentRows(IReadOnlyDictionary<string, string> previous) => this.previous = previous;

    /// <summary>Gets how many rows were skipped as already loaded.</summary>
    public long Unchanged { get; private set; }

    /// <summary>Loads the set the last committed run left (empty when there is none or a full resync is asked for).</summary>
    public static async Task<SentRows> LoadAsync(BlobContainerClient container, string? blobName, CancellationToken cancellationToken = default)
        => new(await ReadAsync(container, blobName, cancellationToken) ?? new Dictionary<string, string>());

    /// <summary>Reads a saved set (key → hash); null when there is none (never saved, too large to keep, or purged).</summary>
    public static async Task<Dictionary<string, string>?> ReadAsync(BlobContainerClient container, string? blobName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(container);
        if (blobName is null)
        {
            return null;
        }

        try
        {
            await using Stream stream = await container.GetBlobClient(blobName).OpenReadAsync(cancellationToken: cancellationToken);
            return await JsonSerializer.DeserializeAsync<Dictionary<string, string>>(stream, Json, cancellationToken) ?? [];
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Purged with its run: re-send the overlap rather than fail.
            return null;
        }
    }

    /// <summary>Writes a set (key → hash); returns the blob name, or null when it is too large to keep.</summary>
    public static async Task<string?> WriteAsync(
        BlobContainerClient container, string blobName, IReadOnlyDictionary<string, string> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(rows);
        return rows.Count > MaxRemembered ? null : await UploadJsonAsync(container, blobName, rows, cancellationToken);
    }

    /// <summary>Serializes <paramref name="value"/> as JSON into a blob (replacing it); returns the blob name.</summary>
    internal static async Task<string> UploadJsonAsync<T>(BlobContainerClient container, string blobName, T value, CancellationToken cancellationToken)
    {
        await Storage.SegmentedBuffer.UploadJsonAsync(container.GetBlobClient(blobName), value, Json, cancellationToken);
        return blobName;
    }

    /// <summary>The hash a row is remembered by (its staged fields).</summary>
    public static string Hash(IReadOnlyList<string> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var text = new StringBuilder();
        foreach (string field in fields)
        {
            text.Append(field).Append('\u001f');
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())), 0, 16);
    }

    /// <summary>Records a returned row and tells whether it must be staged (new or changed since Anaplan last took it).</summary>
    public bool ShouldSend(string key, IReadOnlyList<string> fields)
    {
        string hash = Hash(fields);
        if (this.current.Count <= MaxRemembered)
        {
            this.current[key] = hash;
        }

        if (this.previous.TryGetValue(key, out string? before) && before == hash)
        {
            this.Unchanged++;
            return false;
        }

        return true;
    }

    /// <summary>Saves every row this run's pull returned, the candidate set for the commit; null when too large to keep.</summary>
    public Task<string?> SaveAsync(BlobContainerClient container, string blobName, CancellationToken cancellationToken = default)
        => this.current.Count > MaxRemembered ? Task.FromResult<string?>(null) : WriteAsync(container, blobName, this.current, cancellationToken);
}

/// <summary>A row an earlier load did not get into Anaplan: its staged fields, the run that tried, and why it did not go in.</summary>
public sealed record PendingRow(string Key, IReadOnlyList<string> Fields, string RunId, string Reason);

/// <summary>
/// The rows a dataset still owes Anaplan. A load that failed leaves every row it staged here, a load with refused rows
/// leaves those (the failure dump names them): the next run stages them again (unless its pull brings a newer version of
/// the same key, which wins) and reports them as re-sent.
/// </summary>
public static class PendingRows
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Reads the rows a commit left; empty when there are none.</summary>
    public static async Task<IReadOnlyList<PendingRow>> ReadAsync(BlobContainerClient container, string? blobName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(container);
        if (blobName is null)
        {
            return [];
        }

        // Unlike the sent set, these rows are not optional: a missing blob would lose them, so it is an error.
        await using Stream stream = await container.GetBlobClient(blobName).OpenReadAsync(cancellationToken: cancellationToken);
        return await JsonSerializer.DeserializeAsync<List<PendingRow>>(stream, Json, cancellationToken) ?? [];
    }

    /// <summary>Writes the rows; returns the blob name, or null when there are none.</summary>
    public static async Task<string?> WriteAsync(BlobContainerClient container, string blobName, IReadOnlyList<PendingRow> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(rows);
        return rows.Count == 0 ? null : await SentRows.UploadJsonAsync(container, blobName, rows, cancellationToken);
    }

    /// <summary>Groups rows by the run and reason they come from, as a run summary lists them.</summary>
    public static IReadOnlyList<ResentRows> Summarize(IEnumerable<PendingRow> rows)
        => [.. rows.GroupBy(r => (r.RunId, Reason: Cause(r.Reason)))
            .Select(g => new ResentRows(g.Key.RunId, g.Key.Reason, g.LongCount()))
            .OrderBy(r => r.FromRunId, StringComparer.Ordinal)];

    /// <summary>The reason without a row's own details after "Anaplan refused the row: ..." (those stay in the audit of that run).</summary>
    private static string Cause(string reason)
    {
        int colon = reason.IndexOf(": ", StringComparison.Ordinal);
        return reason.StartsWith(LoadOutcomes.RefusedPrefix, StringComparison.Ordinal) && colon > 0 ? reason[..colon] : reason;
    }
}
