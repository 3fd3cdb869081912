using System.Globalization;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using CsvHelper;

namespace Connector.Orchestrations.Storage;

/// <summary>
/// Reads back what <see cref="CsvPartWriter"/> staged: the gzip parts in order, as one CSV whose header is in the first
/// part (or, for several files read as one, in the first part of each file). Rows come back as field arrays in the header's order; memory stays bounded by one part's buffers.
/// </summary>
public static class StagedCsvReader
{
    /// <summary>Reads every data row of <paramref name="staged"/>.</summary>
    public static async IAsyncEnumerable<string[]> ReadAsync(ConnectorStorage storage, StagedCsv staged, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(staged);
        var container = storage.Blobs.GetBlobContainerClient(staged.Container);
        bool header = true;
        for (int p = 0; p < staged.Parts.Count; p++)
        {
            StagedPart part = staged.Parts[p];
            header |= staged.FileStarts?.Contains(p) == true;
            await using Stream blob = await container.GetBlobClient(part.BlobName).OpenReadAsync(cancellationToken: cancellationToken);
            await using var gzip = new GZipStream(blob, CompressionMode.Decompress);
            await using CsvReader csv = CsvReader.Create(gzip, new CsvReaderOptions { HasHeader = header, FormatProvider = CultureInfo.InvariantCulture }, leaveOpen: true);
            if (header)
            {
                await csv.ReadHeaderAsync(cancellationToken);
                header = false;
            }

            while (await csv.ReadAsync(cancellationToken))
            {
                var fields = new string[csv.FieldCount];
                for (int i = 0; i < fields.Length; i++)
                {
                    fields[i] = csv.GetString(i);
                }

                yield return fields;
            }
        }
    }
}
