using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;

namespace Connector.Orchestrations.Flows.Budgets;

/// <summary>
/// The planned entries of a budgets run in Blob storage: JSON lines, <c>perPage</c> entries a blob
/// (<c>{prefix}/{page:D6}.jsonl</c>), in index order, so a batch reads its index range from one or two blobs.
/// </summary>
public static class BudgetEntryPages
{
    /// <summary>Entries a page holds unless the plan says otherwise.</summary>
    public const int DefaultPerPage = 100;

    /// <summary>Gets the blob of page <paramref name="page"/>.</summary>
    public static string PageBlob(string prefix, int page) => $"{prefix}/{page.ToString("D6", System.Globalization.CultureInfo.InvariantCulture)}.jsonl";

    /// <summary>Writes the entries (in index order) as pages; returns how many pages.</summary>
    public static async Task<int> WriteAsync(BlobContainerClient container, string prefix, IReadOnlyList<PlannedEntry> entries, int perPage = DefaultPerPage)
    {
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(entries);
        int pages = 0;
        foreach (PlannedEntry[] page in entries.Chunk(perPage))
        {
            var text = new StringBuilder();
            foreach (PlannedEntry entry in page)
            {
                text.Append(JsonSerializer.Serialize(entry, PlanBudgetEntriesActivity.Json)).Append('\n');
            }

            await container.GetBlobClient(PageBlob(prefix, pages++)).UploadAsync(BinaryData.FromString(text.ToString()), overwrite: true);
        }

        return pages;
    }

    /// <summary>Reads entries <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> - 1 of the plan.</summary>
    public static async Task<IReadOnlyList<PlannedEntry>> ReadAsync(BlobContainerClient container, string prefix, int perPage, int start, int count, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(container);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfLessThan(perPage, 1);
        var entries = new List<PlannedEntry>(count);
        for (int page = start / perPage; page <= (start + count - 1) / perPage; page++)
        {
            string text = (await container.GetBlobClient(PageBlob(prefix, page)).DownloadContentAsync(cancellationToken)).Value.Content.ToString();
            int index = page * perPage;
            foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (index >= start && index < start + count)
                {
                    PlannedEntry entry = JsonSerializer.Deserialize<PlannedEntry>(line, PlanBudgetEntriesActivity.Json)!;
                    entries.Add(entry.Index == index ? entry : throw new InvalidDataException($"Page {page} of {prefix} holds entry {entry.Index} where entry {index} belongs."));
                }

                index++;
            }
        }

        return entries.Count == count
            ? entries
            : throw new InvalidDataException($"The plan under {prefix} has no entries {start + entries.Count} to {start + count - 1}.");
    }
}

/// <summary>
/// Per-entry results in Blob storage: a JSON array of <see cref="EntryResult"/>, written by each posting batch and, whole
/// for the run, by <see cref="CollectBudgetResultsActivity"/> (the blob a budgets run's summary names).
/// </summary>
public static class BudgetRunResults
{
    /// <summary>Gets the blob of a batch's results in one attempt of the run.</summary>
    public static string BatchBlob(RunRef run, int batch)
    {
        ArgumentNullException.ThrowIfNull(run);
        return Datasets.RunBlob(run, $"budget/results/attempt-{run.Attempt}/{batch.ToString("D5", System.Globalization.CultureInfo.InvariantCulture)}.json");
    }

    /// <summary>Gets the blob of the run's results, every entry.</summary>
    public static string RunBlob(RunRef run) => Datasets.RunBlob(run, "budget/results.json");

    /// <summary>Writes results.</summary>
    public static async Task WriteAsync(BlobContainerClient container, string blob, IReadOnlyList<EntryResult> results, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(container);
        await using Stream stream = await container.GetBlockBlobClient(blob).OpenWriteAsync(overwrite: true, cancellationToken: cancellationToken);
        await JsonSerializer.SerializeAsync(stream, results, PlanBudgetEntriesActivity.Json, cancellationToken);
    }

    /// <summary>Reads results (every entry the blob holds, in its order).</summary>
    public static async Task<IReadOnlyList<EntryResult>> ReadAsync(BlobContainerClient container, string blob, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(container);
        await using Stream stream = await container.GetBlobClient(blob).OpenReadAsync(cancellationToken: cancellationToken);
        return await JsonSerializer.DeserializeAsync<List<EntryResult>>(stream, PlanBudgetEntriesActivity.Json, cancellationToken) ?? [];
    }

    /// <summary>
    /// Reads every entry's result of a budgets run from its summary: the results blob it names, or (a summary written
    /// before results went to a blob) the results it carries; empty when neither.
    /// </summary>
    public static async Task<IReadOnlyList<EntryResult>> ReadAsync(BlobContainerClient container, JsonElement summary, CancellationToken cancellationToken = default)
    {
        if (summary.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty p in summary.EnumerateObject())
            {
                if (p.NameEquals("resultsBlob") || p.NameEquals("ResultsBlob"))
                {
                    return p.Value.GetString() is { Length: > 0 } blob ? await ReadAsync(container, blob, cancellationToken) : [];
                }
            }

            foreach (JsonProperty p in summary.EnumerateObject())
            {
                if ((p.NameEquals("results") || p.NameEquals("Results")) && p.Value.ValueKind == JsonValueKind.Array)
                {
                    return p.Value.Deserialize<List<EntryResult>>(PlanBudgetEntriesActivity.Json) ?? [];
                }
            }
        }

        return [];
    }
}
