using System.Buffers;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Connector.Orchestrations.Storage;

/// <summary>
/// A growing byte buffer on arrays rented from <see cref="ArrayPool{T}.Shared"/>, for a body read whole (sized at once when
/// its length is known): a staged chunk on its way to Anaplan, an agent's page of GL balances. A <see cref="MemoryStream"/> grew by doubling, each step a new
/// array on the large object heap, left for a full collection: in the first 90 s of the benchmark's fixed-chart series
/// (`dotnet-trace` allocation ticks), 121 of the 203 MB the worker put on the large object heap came from two such streams
/// (this one, and the chart snapshot's JSON: <see cref="SegmentedBuffer"/>).
/// </summary>
internal sealed class PooledBuffer : IDisposable
{
    /// <summary>
    /// The largest array taken from, and given back to, the shared pool: the pool keeps what it is given, so a larger one
    /// (a chunk of tens of megabytes) is allocated for the occasion and left to the collector instead of being kept.
    /// </summary>
    internal const int LargestPooled = 4 * 1024 * 1024;

    private byte[] array;
    private int written;

    private PooledBuffer(int initialCapacity)
    {
        this.array = Take(Math.Max(initialCapacity, 256));
    }

    /// <summary>Gets how many bytes were read.</summary>
    public int WrittenCount => this.written;

    /// <summary>Gets the array the bytes are in (from index 0, <see cref="WrittenCount"/> of them); valid until <see cref="Dispose"/>.</summary>
    public byte[] Array => this.array;

    /// <summary>Gets the bytes read; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => this.array.AsMemory(0, this.written);

    /// <summary>Reads <paramref name="source"/> to its end into a new buffer (<paramref name="expectedLength"/>, when known, sizes it at once).</summary>
    /// <exception cref="InvalidDataException">The stream holds more than <paramref name="maxLength"/> bytes.</exception>
    public static async Task<PooledBuffer> ReadAllAsync(Stream source, long? expectedLength, long maxLength, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        long known = expectedLength ?? (source.CanSeek ? source.Length - source.Position : -1);
        var buffer = new PooledBuffer(known is >= 0 and < int.MaxValue - 1 ? (int)Math.Min(known + 1, maxLength + 1) : 64 * 1024);
        try
        {
            while (true)
            {
                // Whatever room is left (a buffer sized to the length given has one byte to spare, to see the end in).
                buffer.EnsureRoom();
                int read = await source.ReadAsync(buffer.array.AsMemory(buffer.written), cancellationToken);
                if (read == 0)
                {
                    return buffer;
                }

                buffer.written += read;
                if (buffer.written > maxLength)
                {
                    throw new InvalidDataException($"The stream holds more than {maxLength} bytes.");
                }
            }
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        byte[] rented = this.array;
        this.array = [];
        this.written = 0;
        Give(rented);
    }

    /// <summary>Makes room for at least one more byte: a full buffer is replaced by one twice its size.</summary>
    private void EnsureRoom()
    {
        if (this.written < this.array.Length)
        {
            return;
        }

        byte[] larger = Take((int)Math.Min((long)this.array.Length * 2, System.Array.MaxLength));
        this.array.AsSpan(0, this.written).CopyTo(larger);
        Give(this.array);
        this.array = larger;
    }

    private static byte[] Take(int length)
        => length <= LargestPooled ? ArrayPool<byte>.Shared.Rent(length) : GC.AllocateUninitializedArray<byte>(length);

    private static void Give(byte[] array)
    {
        if (array.Length is > 0 and <= LargestPooled)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}

/// <summary>
/// Bytes written in segments of <see cref="SegmentSize"/> taken from the shared pool, read back as one seekable stream: for
/// a JSON snapshot of the chart, megabytes at 10 k accounts and tens of megabytes at 166 k, which a contiguous buffer
/// would grow by copying into ever larger arrays (and the pool would then keep the largest).
/// </summary>
internal sealed class SegmentedBuffer : IBufferWriter<byte>, IDisposable
{
    /// <summary>The size of a segment (one of the shared pool's sizes, so given-back segments serve the next snapshot).</summary>
    internal const int SegmentSize = 1024 * 1024;

    private readonly List<(byte[] Array, int Count)> segments = [];

    /// <summary>Gets the bytes written so far.</summary>
    public long Length { get; private set; }

    /// <summary>
    /// Serializes <paramref name="value"/> as JSON into <paramref name="blob"/> (replacing it) in one upload, and returns
    /// what the upload answered (its ETag). The bytes are those
    /// <see cref="JsonSerializer.SerializeAsync{TValue}(Stream, TValue, JsonSerializerOptions?, CancellationToken)"/> writes.
    /// </summary>
    public static async Task<BlobContentInfo> UploadJsonAsync<T>(BlobClient blob, T value, JsonSerializerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(options);
        using var buffer = new SegmentedBuffer();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = options.Encoder, Indented = options.WriteIndented, MaxDepth = options.MaxDepth, NewLine = options.NewLine, IndentCharacter = options.IndentCharacter, IndentSize = options.IndentSize }))
        {
            JsonSerializer.Serialize(writer, value, options);
        }

        await using var content = new SegmentStream(buffer);
        Response<BlobContentInfo> uploaded = await blob.UploadAsync(content, overwrite: true, cancellationToken);
        return uploaded.Value;
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count == 0)
        {
            return;
        }

        (byte[] array, int used) = this.segments.Count > 0 ? this.segments[^1] : throw new InvalidOperationException("Advanced past the memory handed out.");
        if (used + count > array.Length)
        {
            throw new InvalidOperationException("Advanced past the memory handed out.");
        }

        this.segments[^1] = (array, used + count);
        this.Length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        (byte[] array, int used) = this.Current(sizeHint);
        return array.AsMemory(used);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        (byte[] array, int used) = this.Current(sizeHint);
        return array.AsSpan(used);
    }

    public void Dispose()
    {
        foreach ((byte[] array, _) in this.segments)
        {
            ArrayPool<byte>.Shared.Return(array);
        }

        this.segments.Clear();
        this.Length = 0;
    }

    /// <summary>Copies the bytes from <paramref name="position"/> into <paramref name="destination"/>; returns how many.</summary>
    internal int CopyTo(long position, Span<byte> destination)
    {
        int copied = 0;
        long start = 0;
        foreach ((byte[] array, int count) in this.segments)
        {
            if (copied == destination.Length)
            {
                break;
            }

            long end = start + count;
            if (position + copied < end)
            {
                int from = (int)(position + copied - start);
                int n = Math.Min(count - from, destination.Length - copied);
                array.AsSpan(from, n).CopyTo(destination[copied..]);
                copied += n;
            }

            start = end;
        }

        return copied;
    }

    private (byte[] Array, int Used) Current(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (this.segments.Count > 0 && this.segments[^1].Array.Length - this.segments[^1].Count >= needed)
        {
            return this.segments[^1];
        }

        // A new segment (the rest of the last one stays unused: JSON writers ask for a few bytes at a time).
        var segment = (ArrayPool<byte>.Shared.Rent(Math.Max(needed, SegmentSize)), 0);
        this.segments.Add(segment);
        return segment;
    }

    /// <summary>The written bytes as a read-only, seekable stream (the buffer must outlive it).</summary>
    private sealed class SegmentStream(SegmentedBuffer buffer) : Stream
    {
        private long position;

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => buffer.Length;

        public override long Position
        {
            get => this.position;
            set => this.position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
        }

        public override int Read(byte[] buffer1, int offset, int count) => this.Read(buffer1.AsSpan(offset, count));

        public override int Read(Span<byte> destination)
        {
            int read = this.position >= buffer.Length ? 0 : buffer.CopyTo(this.position, destination);
            this.position += read;
            return read;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
            => ValueTask.FromResult(this.Read(destination.Span));

        public override Task<int> ReadAsync(byte[] buffer1, int offset, int count, CancellationToken cancellationToken)
            => Task.FromResult(this.Read(buffer1.AsSpan(offset, count)));

        public override long Seek(long offset, SeekOrigin origin)
            => this.Position = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => this.position + offset,
                SeekOrigin.End => buffer.Length + offset,
                _ => throw new ArgumentOutOfRangeException(nameof(origin)),
            };

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer1, int offset, int count) => throw new NotSupportedException();
    }
}
