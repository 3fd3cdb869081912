using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;

namespace Connector.Orchestrations.Flows;

/// <summary>
/// Makes incremental pulls exact. A pull asks for rows changed since the watermark minus an overlap, so a row updated
/// while the previous pull ran is never missed; but the overlap also returns rows the previous run already loaded.
/// This remembers what the last run returned (key → hash of the staged row) and skips a row whose key and content
/// are unchanged, so a run with no Sage changes uploads nothing.
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
    {
        ArgumentNullException.ThrowIfNull(container);
        if (blobName is null)
        {
            return new SentRows(new Dictionary<string, string>());
        }

        try
        {
            await using Stream stream = await container.GetBlobClient(blobName).OpenReadAsync(cancellationToken: cancellationToken);
            return new SentRows(await JsonSerializer.DeserializeAsync<Dictionary<string, string>>(stream, Json, cancellationToken) ?? []);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Purged with its run: re-send the overlap rather than fail.
            return new SentRows(new Dictionary<string, string>());
        }
    }

    /// <summary>Records a returned row and tells whether it must be staged (new or changed since the last run).</summary>
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

    /// <summary>Saves this run's set for the next run (committed with the watermark); null when too large to keep.</summary>
    public async Task<string?> SaveAsync(BlobContainerClient container, string blobName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(container);
        if (this.current.Count > MaxRemembered)
        {
            return null;
        }

        using var stream = new MemoryStream();
        await JsonSerializer.SerializeAsync(stream, this.current, Json, cancellationToken);
        stream.Position = 0;
        await container.GetBlobClient(blobName).UploadAsync(stream, overwrite: true, cancellationToken);
        return blobName;
    }

    private static string Hash(IReadOnlyList<string> fields)
    {
        var text = new StringBuilder();
        foreach (string field in fields)
        {
            text.Append(field).Append('\u001f');
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())), 0, 16);
    }
}
