namespace Connector.Orchestrations.Anaplan;

/// <summary>A read-only stream over a file's chunks, fetched one at a time as the reader needs them.</summary>
internal sealed class AnaplanDownloadStream(IReadOnlyList<string> chunkIds, Func<string, CancellationToken, Task<byte[]>> fetch) : Stream
{
    private int next;
    private byte[] current = [];
    private int offset;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (this.offset >= this.current.Length)
        {
            if (this.next >= chunkIds.Count)
            {
                return 0;
            }

            this.current = await fetch(chunkIds[this.next++], cancellationToken);
            this.offset = 0;
        }

        int count = Math.Min(buffer.Length, this.current.Length - this.offset);
        this.current.AsMemory(this.offset, count).CopyTo(buffer);
        this.offset += count;
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => this.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => this.ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
