using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Connector.Orchestrations.Anaplan;

namespace Connector.Orchestrations.Tests.Anaplan;

public sealed class AnaplanClientUploadTests
{
    private const int OneMegabyte = 1024 * 1024;

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // unknown length: chunkCount -1, then complete
    public async Task UploadFile_MultiChunkStream_BytesMatchAfterDecompression(bool seekable)
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client(o => o.ChunkSizeBytes = OneMegabyte);
        byte[] csv = Encoding.UTF8.GetBytes(GlCsv(60_000)); // about 2.9 MB: 3 chunks
        Stream source = seekable ? new MemoryStream(csv) : new GeneratedStream(csv.Length, i => csv[i]);

        AnaplanUploadResult result = await client.UploadFileAsync(AnaplanTestHost.GlFile, source);

        Assert.Equal(3, result.ChunkCount);
        Assert.Equal(csv.Length, result.UncompressedBytes);
        Assert.True(result.CompressedBytes < csv.Length / 2, $"chunks were not gzip-compressed: {result.CompressedBytes} of {csv.Length}");
        Assert.Equal(csv, host.Model.ReadFile(AnaplanTestHost.GlFile));
        Assert.Equal(3, host.State.Counters.ChunksReceived);
        Assert.Equal(result.CompressedBytes, host.State.Counters.ChunkBytesReceived);
        Assert.Equal(3, host.Model.GetFiles().Single(f => f.Id == AnaplanTestHost.GlFile).ChunkCount);
    }

    [Fact]
    public async Task UploadFile_200MegabyteStream_HoldsOneChunkAtATime()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        const int chunkSize = 10 * OneMegabyte;
        const long total = 200L * OneMegabyte;
        AnaplanClient client = host.Client();
        byte[] pattern = Encoding.UTF8.GetBytes(GlCsv(2000));
        var source = new GeneratedStream(total, i => pattern[i % pattern.Length]);
        var readAheadAtEachPut = new List<(int Index, long Position)>();
        host.Handler.OnSend = r =>
        {
            if (r.Method == HttpMethod.Put)
            {
                readAheadAtEachPut.Add((int.Parse(r.RequestUri!.Segments[^1]), source.Position));
            }
        };

        AnaplanUploadResult result = await client.UploadFileAsync(AnaplanTestHost.GlFile, source);

        Assert.Equal(20, result.ChunkCount);
        Assert.Equal(total, result.UncompressedBytes);
        Assert.Equal(20, readAheadAtEachPut.Count);
        // When chunk k leaves, the client has read at most chunk k from the source: one chunk in memory, not the stream.
        Assert.All(readAheadAtEachPut, put => Assert.True(put.Position <= (put.Index + 1L) * chunkSize, $"chunk {put.Index} left after reading {put.Position} bytes"));
        Assert.Equal(chunkSize, host.State.Counters.MaxChunkBytesUncompressed);
        Assert.Equal(total, host.State.Counters.ChunkBytesUncompressed);
        using (Stream landed = host.Model.OpenFile(AnaplanTestHost.GlFile)!)
        {
            Assert.Equal(source.Hash(), await SHA256.HashDataAsync(landed));
        }
    }

    [Fact]
    public async Task UploadImportFile_HeaderMismatch_RefusedBeforeAnythingIsUploaded()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client();
        byte[] csv = Encoding.UTF8.GetBytes("Account,CostCentre,Period,Debit,Credit,Net\n4000,CC1,FY2024-P01,1,0,1\n");

        AnaplanHeaderMismatchException error = await Assert.ThrowsAsync<AnaplanHeaderMismatchException>(
            () => client.UploadImportFileAsync(AnaplanTestHost.GlImport, new MemoryStream(csv)));

        Assert.Contains("missing: [Cost Center]", error.Message, StringComparison.Ordinal);
        Assert.Contains("unexpected: [CostCentre]", error.Message, StringComparison.Ordinal);
        Assert.Empty(host.State.Requests.Find("POST", "/files/"));
        Assert.Empty(host.State.Requests.Find("PUT", "/files/"));
    }

    [Fact]
    public async Task UploadImportFile_MatchingHeaderWithBom_Uploads()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client();
        byte[] csv = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("Code,Name,Type,Group\r\n4000,Revenue,Income,P&L\r\n")];

        AnaplanUploadResult result = await client.UploadImportFileAsync(AnaplanTestHost.AccountsImport, new MemoryStream(csv));

        Assert.Equal(1, result.ChunkCount);
        Assert.Equal(csv, host.Model.ReadFile(AnaplanTestHost.AccountsFile));
    }

    [Fact]
    public async Task UploadFile_UnknownFileId_RefusedInsteadOfCreatingPrivateFile()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client();

        AnaplanNotFoundException error = await Assert.ThrowsAsync<AnaplanNotFoundException>(
            () => client.UploadFileAsync("113000000999", new MemoryStream(Encoding.UTF8.GetBytes("a,b\n1,2\n"))));

        Assert.Equal(AnaplanErrorCodes.FileNotFound, error.ErrorCode);
        Assert.Contains("113000000999", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, host.State.Counters.PrivateFilesCreated);
        Assert.Empty(host.State.Requests.Find("POST", "/files/113000000999"));
    }

    [Fact]
    public async Task UploadFile_OneChunkFailsTransiently_OnlyThatChunkIsSentAgain()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client(o => o.ChunkSizeBytes = OneMegabyte);
        byte[] csv = Encoding.UTF8.GetBytes(GlCsv(60_000));
        host.State.Faults.FailNext("PUT /2/0/**/chunks/1", 1, 503);

        await client.UploadFileAsync(AnaplanTestHost.GlFile, new MemoryStream(csv));

        int[] puts = [.. host.State.Requests.Find("PUT", "/chunks/").Select(r => int.Parse(r.Path.Split('/')[^1]))];
        Assert.Equal([0, 1, 1, 2], puts);
        Assert.Equal(csv, host.Model.ReadFile(AnaplanTestHost.GlFile));
    }

    [Fact]
    public async Task UploadChunk_PreCompressedParts_LandWithoutRecompression()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client();
        byte[] part0 = Encoding.UTF8.GetBytes("Code,Name\nCC1,Head office\n");
        byte[] part1 = Encoding.UTF8.GetBytes("CC2,Plant\n");
        host.State.Faults.FailNext("PUT /2/0/**/chunks/1", 1, 502);

        AnaplanFile file = await client.SetFileChunkCountAsync("113000000002", 2);
        await client.UploadChunkAsync(file.Id, 0, new MemoryStream(Gzip(part0)));
        await client.UploadChunkAsync(file.Id, 1, new GeneratedStream(Gzip(part1)));

        Assert.Equal([.. part0, .. part1], host.Model.ReadFile("113000000002")!);
        Assert.Equal(Gzip(part0).Length + Gzip(part1).Length, host.State.Counters.ChunkBytesReceived);
        Assert.Equal(3, host.State.Requests.Find("PUT", "/chunks/").Count); // chunk 1 retried alone
    }

    [Fact]
    public async Task UploadChunk_LengthGivenWrong_TheWholeStreamLandsAnyway()
    {
        // The caller's length only sizes the buffer: a part longer than said (or a stream that cannot seek) lands whole.
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client();
        byte[] part = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 40_000).Select(i => $"CC{i},Centre {i * 7919 % 100_003}\n")));
        byte[] gzip = Gzip(part);

        AnaplanFile file = await client.SetFileChunkCountAsync("113000000002", 1);
        await client.UploadChunkAsync(file.Id, 0, new GeneratedStream(gzip), compressed: true, length: 100);

        Assert.True(gzip.Length > 128 * 1024);
        Assert.Equal(part, host.Model.ReadFile("113000000002")!);
        Assert.Equal(gzip.Length, host.State.Counters.ChunkBytesReceived);
    }

    [Fact]
    public async Task SetFileChunkCount_UnknownFileId_Refused()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client();

        await Assert.ThrowsAsync<AnaplanNotFoundException>(() => client.SetFileChunkCountAsync("113000000777", 3));

        Assert.Equal(0, host.State.Counters.PrivateFilesCreated);
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(51 * 1024 * 1024)]
    public void Options_ChunkSizeOutOfRange_RejectedNamingTheSetting(int chunkSize)
    {
        var options = new AnaplanClientOptions
        {
            WorkspaceId = "w",
            ModelId = "m",
            ChunkSizeBytes = chunkSize,
            Credential = new AnaplanCredentialOptions { UserName = "u", PasswordReference = "p" },
        };

        ArgumentException error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("ChunkSizeBytes", error.Message, StringComparison.Ordinal);
    }

    internal static string GlCsv(int rows)
    {
        var text = new StringBuilder("Account,Cost Center,Period,Debit,Credit,Net\n");
        for (int i = 0; i < rows; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{4000 + (i % 900)},CC{i % 40},FY2024-P{(i % 13) + 1:00},{i % 1000}.25,0,{i % 1000}.25\n");
        }

        return text.ToString();
    }

    internal static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }
}

/// <summary>A forward-only, non-seekable stream that makes its bytes on the fly and hashes what it hands out.</summary>
internal sealed class GeneratedStream(long length, Func<long, byte> byteAt) : Stream
{
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long position;

    public GeneratedStream(byte[] content)
        : this(content.Length, i => content[i])
    {
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    /// <summary>How many bytes have been read so far.</summary>
    public override long Position { get => Interlocked.Read(ref this.position); set => throw new NotSupportedException(); }

    public byte[] Hash() => this.hash.GetCurrentHash();

    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = (int)Math.Min(count, length - this.position);
        for (int i = 0; i < n; i++)
        {
            buffer[offset + i] = byteAt(this.position + i);
        }

        this.hash.AppendData(buffer, offset, n);
        Interlocked.Add(ref this.position, n);
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
