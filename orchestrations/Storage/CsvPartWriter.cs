using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using CsvHelper;

namespace Connector.Orchestrations.Storage;

/// <summary>
/// Streams CSV rows into gzip parts in Blob storage (<c>{prefix}/part-00001.csv.gz</c>, ...), one part per Anaplan
/// chunk: a part never holds more than <c>maxPartBytes</c> of uncompressed CSV, and the parts concatenated are one CSV
/// file with the header once, at the top (Anaplan joins chunks into one file). Memory stays bounded by one row plus the
/// compressor's and the blob writer's buffers, whatever the row count.
/// </summary>
/// <remarks>
/// Rows are encoded into one reusable buffer, and whole rows are handed to gzip and the checksum in blocks of about
/// <see cref="BlockBytes"/> rather than one call per row (a row is about 50 bytes; per-row compressor and hash calls
/// cost more than the compression itself). A row whose fields need no quoting is encoded directly; any other row goes
/// through CsvHelper, which does the quoting; the bytes are the same either way.
/// </remarks>
public sealed class CsvPartWriter : IAsyncDisposable
{
    /// <summary>Metadata keys stored on each part blob.</summary>
    public const string RowsMetadata = "rows";
    public const string BytesMetadata = "uncompressedbytes";

    /// <summary>How many bytes of whole rows are gathered before they go to gzip and the checksum together.</summary>
    internal const int BlockBytes = 64 * 1024;

    /// <summary>
    /// The parts' gzip level: 2, not <see cref="CompressionLevel.Optimal"/> (6). On GL rows level 2 took about half the
    /// processor time of level 6 for about 5 % more bytes (level 1, zlib-ng's quick strategy, about 50 % more); a part is
    /// sized by its uncompressed bytes, so the level changes no part's rows (README engineering notes).
    /// </summary>
    internal static ZLibCompressionOptions Compression => new() { CompressionLevel = 2 };

    private static readonly CsvWriterOptions CsvOptions = new()
    {
        NewLine = "\r\n",
        FormatProvider = CultureInfo.InvariantCulture,
        WriteByteOrderMark = false,
        ValidateFieldCount = false,
    };

    private readonly BlobContainerClient container;
    private readonly string prefix;
    private readonly long maxPartBytes;
    private readonly string dataset;
    private readonly IncrementalHash checksum = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly MemoryStream rowBuffer = new();
    private readonly CsvWriter rowWriter;
    private readonly List<StagedPart> parts = [];
    private readonly byte[] headerBytes;
    private readonly byte[] block = new byte[BlockBytes];
    private readonly bool headerAlone;
    private byte[] row = new byte[256];
    private int blockLength;

    private Stream? blobStream;
    private CountingStream? compressedCounter;
    private GZipStream? gzip;
    private long partBytes;
    private long partRows;
    private long totalRows;
    private long totalBytes;
    private bool completed;

    /// <param name="container">Where the parts go.</param>
    /// <param name="prefix">The parts' blob name prefix.</param>
    /// <param name="dataset">The dataset, for messages.</param>
    /// <param name="header">The header row.</param>
    /// <param name="maxPartBytes">The most uncompressed bytes a part holds.</param>
    /// <param name="headerAlone">Whether the header gets a part of its own (the first), so the data parts of this file can
    /// follow another file's in one upload (<see cref="StagedCsv.HeaderAlone"/>).</param>
    public CsvPartWriter(BlobContainerClient container, string prefix, string dataset, IReadOnlyList<string> header, long maxPartBytes, bool headerAlone = false)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (header.Count == 0)
        {
            throw new ArgumentException("A CSV needs at least one column.", nameof(header));
        }

        this.container = container ?? throw new ArgumentNullException(nameof(container));
        this.prefix = prefix.TrimEnd('/');
        this.dataset = dataset;
        this.maxPartBytes = maxPartBytes;
        this.headerAlone = headerAlone;
        this.Header = header;
        this.rowWriter = CsvWriter.Create(this.rowBuffer, CsvOptions, leaveOpen: true);
        this.headerBytes = this.Encode(header);
        if (this.headerBytes.Length >= maxPartBytes)
        {
            throw new ArgumentException($"The {dataset} header alone is larger than a part ({maxPartBytes} bytes).", nameof(maxPartBytes));
        }
    }

    /// <summary>Gets the header row.</summary>
    public IReadOnlyList<string> Header { get; }

    /// <summary>Gets the number of data rows written so far.</summary>
    public long Rows => this.totalRows;

    /// <summary>Writes one data row (fields already formatted, invariant culture).</summary>
    /// <exception cref="InvalidDataException">The row has the wrong number of fields or is larger than a part.</exception>
    public async Task WriteRowAsync(IReadOnlyList<string?> fields, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fields);
        ObjectDisposedException.ThrowIf(this.completed, this);
        if (fields.Count != this.Header.Count)
        {
            throw new InvalidDataException(
                $"{this.dataset} row {this.totalRows + 1} has {fields.Count} fields; the header has {this.Header.Count} ({string.Join(",", this.Header)}).");
        }

        await this.WriteEncodedAsync(this.EncodeRow(fields), cancellationToken);
    }

    /// <summary>
    /// Writes one data row of text and amount cells: the same bytes as <see cref="WriteRowAsync(IReadOnlyList{string}, CancellationToken)"/> with each amount formatted
    /// by <see cref="decimal.ToString(IFormatProvider)"/> in the invariant culture, without a string per amount; completes
    /// at once when the row fits in the current block (the usual case).
    /// </summary>
    /// <exception cref="InvalidDataException">The row has the wrong number of cells or is larger than a part.</exception>
    public ValueTask WriteCellsAsync(CsvCell[] cells, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cells);
        ObjectDisposedException.ThrowIf(this.completed, this);
        if (cells.Length != this.Header.Count)
        {
            throw new InvalidDataException(
                $"{this.dataset} row {this.totalRows + 1} has {cells.Length} fields; the header has {this.Header.Count} ({string.Join(",", this.Header)}).");
        }

        int length = this.EncodeCells(cells);
        if (this.gzip is not null && this.partBytes + length <= this.maxPartBytes && this.blockLength + length <= this.block.Length)
        {
            this.row.AsSpan(0, length).CopyTo(this.block.AsSpan(this.blockLength));
            this.blockLength += length;
            this.partBytes += length;
            this.totalBytes += length;
            this.partRows++;
            this.totalRows++;
            return ValueTask.CompletedTask;
        }

        return new ValueTask(this.WriteEncodedAsync(length, cancellationToken));
    }

    /// <summary>Closes the last part and returns what was staged. A dataset with no rows stages one part holding the header.</summary>
    public async Task<StagedCsv> CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (!this.completed)
        {
            if (this.gzip is null && this.parts.Count == 0)
            {
                await this.OpenPartAsync(cancellationToken, headerOnly: true);
            }

            if (this.gzip is not null)
            {
                await this.ClosePartAsync(cancellationToken);
            }

            this.completed = true;
        }

        return new StagedCsv(
            this.dataset,
            this.container.Name,
            [.. this.parts],
            this.totalRows,
            this.totalBytes,
            Convert.ToHexStringLower(this.checksum.GetCurrentHash()))
        {
            HeaderAlone = this.headerAlone,
        };
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (this.gzip is not null)
        {
            await this.gzip.DisposeAsync();
        }

        if (this.blobStream is not null)
        {
            await this.blobStream.DisposeAsync();
        }

        this.checksum.Dispose();
        this.rowWriter.Dispose();
        this.rowBuffer.Dispose();
    }

    /// <summary>Whether CsvHelper writes <paramref name="field"/> as it is: printable ASCII, no quote or comma, no space at either end.</summary>
    internal static bool IsPlain(string field)
    {
        if (field.Length == 0 || field[0] == ' ' || field[^1] == ' ')
        {
            return false;
        }

        foreach (char c in field)
        {
            if (c < ' ' || c > '~' || c == '"' || c == ',')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Writes the row encoded in <see cref="row"/> (<paramref name="length"/> bytes), opening and closing parts as needed.</summary>
    private async Task WriteEncodedAsync(int length, CancellationToken cancellationToken)
    {
        long needed = length + (this.parts.Count == 0 && this.gzip is null && !this.headerAlone ? this.headerBytes.Length : 0);
        if (needed > this.maxPartBytes)
        {
            throw new InvalidDataException($"{this.dataset} row {this.totalRows + 1} is {length} bytes, more than a whole part ({this.maxPartBytes}).");
        }

        if (this.gzip is not null && this.partBytes + length > this.maxPartBytes)
        {
            await this.ClosePartAsync(cancellationToken);
        }

        if (this.gzip is null)
        {
            await this.OpenPartAsync(cancellationToken);
        }

        await this.WriteBytesAsync(this.row, length, cancellationToken);
        this.partRows++;
        this.totalRows++;
    }

    /// <summary>
    /// Encodes a row of cells into <see cref="row"/>: plain text and amounts directly (an amount is digits, a sign and a
    /// point: always plain), any other row as the strings of <see cref="CsvCell.ToString"/>.
    /// </summary>
    private int EncodeCells(CsvCell[] cells)
    {
        // An amount takes at most 31 bytes (29 digits, sign, point); text is plain ASCII, a byte a character.
        int most = cells.Length + 1;
        foreach (CsvCell cell in cells)
        {
            if (cell.Text is { } text)
            {
                if (!IsPlain(text))
                {
                    return this.EncodeQuoted([.. cells.Select(c => c.ToString())]);
                }

                most += text.Length;
            }
            else
            {
                most += 32;
            }
        }

        Span<byte> target = this.RowBuffer(most);
        int at = 0;
        for (int i = 0; i < cells.Length; i++)
        {
            if (i > 0)
            {
                target[at++] = (byte)',';
            }

            if (cells[i].Text is { } text)
            {
                at += PutPlain(target[at..], text);
            }
            else
            {
                at += PutAmount(target[at..], cells[i].Amount);
            }
        }

        return EndRow(target, at);
    }

    /// <summary>Encodes one row (its line ending included) into <see cref="row"/> and returns its length in bytes.</summary>
    private int EncodeRow(IReadOnlyList<string?> fields)
    {
        int length = fields.Count + 1;
        foreach (string? field in fields)
        {
            if (field is null || !IsPlain(field))
            {
                return this.EncodeQuoted(fields);
            }

            length += field.Length;
        }

        // Plain fields are ASCII: one byte per character, joined by commas, ended by CRLF.
        Span<byte> target = this.RowBuffer(length);
        int at = 0;
        for (int i = 0; i < fields.Count; i++)
        {
            if (i > 0)
            {
                target[at++] = (byte)',';
            }

            at += PutPlain(target[at..], fields[i]!);
        }

        return EndRow(target, at);
    }

    /// <summary>
    /// Writes an amount as <see cref="decimal.ToString(IFormatProvider)"/> in the invariant culture writes it (its digits,
    /// its scale kept: 1.50 is "1.50") and returns its length. An amount whose digits fit in 64 bits (every amount of a
    /// ledger) is written from its integer and scale; any other, and a negative zero, by <see cref="decimal.TryFormat"/>.
    /// </summary>
    internal static int PutAmount(Span<byte> target, decimal amount)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(amount, bits);
        ulong digits = (uint)bits[0] | ((ulong)(uint)bits[1] << 32);
        bool negative = bits[3] < 0;
        if (bits[2] != 0 || (negative && digits == 0))
        {
            amount.TryFormat(target, out int formatted, default, CultureInfo.InvariantCulture);
            return formatted;
        }

        int at = negative ? 1 : 0;
        if (negative)
        {
            target[0] = (byte)'-';
        }

        int scale = (bits[3] >> 16) & 0xFF;
        Span<byte> text = stackalloc byte[20];
        digits.TryFormat(text, out int length, default, CultureInfo.InvariantCulture);
        if (scale == 0)
        {
            text[..length].CopyTo(target[at..]);
            return at + length;
        }

        if (length > scale)
        {
            // 12345 at scale 2: "123.45".
            text[..(length - scale)].CopyTo(target[at..]);
            at += length - scale;
            target[at++] = (byte)'.';
            text[(length - scale)..length].CopyTo(target[at..]);
            return at + scale;
        }

        // 5 at scale 3: "0.005".
        target[at++] = (byte)'0';
        target[at++] = (byte)'.';
        target.Slice(at, scale - length).Fill((byte)'0');
        at += scale - length;
        text[..length].CopyTo(target[at..]);
        return at + length;
    }

    /// <summary>Writes a plain field (printable ASCII: a byte a character) and returns its length.</summary>
    private static int PutPlain(Span<byte> target, string plain)
    {
        for (int c = 0; c < plain.Length; c++)
        {
            target[c] = (byte)plain[c];
        }

        return plain.Length;
    }

    private static int EndRow(Span<byte> target, int at)
    {
        target[at] = (byte)'\r';
        target[at + 1] = (byte)'\n';
        return at + 2;
    }

    /// <summary>The row buffer, grown to hold at least <paramref name="bytes"/>.</summary>
    private Span<byte> RowBuffer(int bytes)
    {
        if (this.row.Length < bytes)
        {
            this.row = new byte[Math.Max(bytes, this.row.Length * 2)];
        }

        return this.row;
    }

    private int EncodeQuoted(IReadOnlyList<string?> fields)
    {
        byte[] encoded = this.Encode(fields);
        encoded.CopyTo(this.RowBuffer(encoded.Length));
        return encoded.Length;
    }

    private byte[] Encode(IReadOnlyList<string?> fields)
    {
        // CsvHelper does the quoting; one reusable buffer tells each row's exact size before it goes into a part.
        this.rowBuffer.SetLength(0);
        foreach (string? field in fields)
        {
            this.rowWriter.WriteField(field ?? string.Empty);
        }

        this.rowWriter.EndRecord();
        this.rowWriter.Flush();
        return this.rowBuffer.ToArray();
    }

    /// <summary>
    /// Opens the next part; the first holds the header, alone when <see cref="headerAlone"/> (that part is then closed and
    /// the next opened, unless <paramref name="headerOnly"/>: a file without rows).
    /// </summary>
    private async Task OpenPartAsync(CancellationToken cancellationToken, bool headerOnly = false)
    {
        if (this.headerAlone && this.parts.Count == 0)
        {
            await this.OpenBlobPartAsync(cancellationToken);
            await this.ClosePartAsync(cancellationToken);
            if (headerOnly)
            {
                return;
            }
        }

        await this.OpenBlobPartAsync(cancellationToken);
    }

    private async Task OpenBlobPartAsync(CancellationToken cancellationToken)
    {
        string name = $"{this.prefix}/part-{this.parts.Count + 1:D5}.csv.gz";
        BlockBlobClient blob = this.container.GetBlockBlobClient(name);
        this.blobStream = await blob.OpenWriteAsync(
            overwrite: true,
            new BlockBlobOpenWriteOptions
            {
                BufferSize = 4 * 1024 * 1024,
                HttpHeaders = new BlobHttpHeaders { ContentType = "text/csv", ContentEncoding = "gzip" },
            },
            cancellationToken);
        this.compressedCounter = new CountingStream(this.blobStream);
        this.gzip = new GZipStream(this.compressedCounter, Compression, leaveOpen: true);
        this.partBytes = 0;
        this.partRows = 0;
        if (this.parts.Count == 0)
        {
            await this.WriteBytesAsync(this.headerBytes, this.headerBytes.Length, cancellationToken);
        }
    }

    private async Task WriteBytesAsync(byte[] bytes, int length, CancellationToken cancellationToken)
    {
        if (this.blockLength + length > this.block.Length)
        {
            await this.FlushBlockAsync(cancellationToken);
        }

        if (length > this.block.Length)
        {
            await this.gzip!.WriteAsync(bytes.AsMemory(0, length), cancellationToken);
            this.checksum.AppendData(bytes, 0, length);
        }
        else
        {
            bytes.AsSpan(0, length).CopyTo(this.block.AsSpan(this.blockLength));
            this.blockLength += length;
        }

        this.partBytes += length;
        this.totalBytes += length;
    }

    private async Task FlushBlockAsync(CancellationToken cancellationToken)
    {
        if (this.blockLength > 0)
        {
            await this.gzip!.WriteAsync(this.block.AsMemory(0, this.blockLength), cancellationToken);
            this.checksum.AppendData(this.block, 0, this.blockLength);
            this.blockLength = 0;
        }
    }

    private async Task ClosePartAsync(CancellationToken cancellationToken)
    {
        await this.FlushBlockAsync(cancellationToken);
        await this.gzip!.DisposeAsync();
        long compressed = this.compressedCounter!.BytesWritten;
        await this.blobStream!.FlushAsync(cancellationToken);
        await this.blobStream.DisposeAsync();
        string name = $"{this.prefix}/part-{this.parts.Count + 1:D5}.csv.gz";
        await this.container.GetBlobClient(name).SetMetadataAsync(
            new Dictionary<string, string>
            {
                [RowsMetadata] = this.partRows.ToString(CultureInfo.InvariantCulture),
                [BytesMetadata] = this.partBytes.ToString(CultureInfo.InvariantCulture),
            },
            cancellationToken: cancellationToken);
        this.parts.Add(new StagedPart(name, this.partRows, this.partBytes, compressed));
        this.gzip = null;
        this.blobStream = null;
        this.compressedCounter = null;
    }

    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesWritten { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            this.BytesWritten += count;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            this.BytesWritten += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => this.WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}

/// <summary>A cell of a row for <see cref="CsvPartWriter.WriteCellsAsync"/>: text, or an amount.</summary>
public readonly record struct CsvCell
{
    /// <summary>Gets the text, or null for an amount.</summary>
    public string? Text { get; private init; }

    /// <summary>Gets the amount (when <see cref="Text"/> is null).</summary>
    public decimal Amount { get; private init; }

    /// <summary>A text cell (null is written as an empty field).</summary>
    public static CsvCell Of(string? text) => new() { Text = text ?? string.Empty };

    /// <summary>An amount cell, written as <see cref="decimal.ToString(IFormatProvider)"/> in the invariant culture.</summary>
    public static CsvCell Of(decimal amount) => new() { Amount = amount };

    /// <summary>The cell as the text it is written as.</summary>
    public override string ToString() => this.Text ?? this.Amount.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One staged gzip part: its blob name and sizes.</summary>
public sealed record StagedPart(string BlobName, long Rows, long UncompressedBytes, long CompressedBytes);

/// <summary>A staged CSV: the parts in order, the totals and the SHA-256 of the uncompressed CSV.</summary>
public sealed record StagedCsv(
    string Dataset, string Container, IReadOnlyList<StagedPart> Parts, long Rows, long UncompressedBytes, string Sha256)
{
    /// <summary>
    /// Gets the parts that begin a file of their own, with its header (several files read as one; null: the first part
    /// alone, one file).
    /// </summary>
    public IReadOnlyList<int>? FileStarts { get; init; }

    /// <summary>
    /// Gets whether the first part holds the header alone (<see cref="CsvPartWriter"/>'s <c>headerAlone</c>): the other
    /// parts are then data only, and can follow another file's parts in one upload.
    /// </summary>
    public bool HeaderAlone { get; init; }

    /// <summary>Gets the compressed size of all parts.</summary>
    public long CompressedBytes => this.Parts.Sum(p => p.CompressedBytes);
}
