using System.Text.Json;
using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.Storage;
using Connector.Orchestrations.Tests.Anaplan;
using Connector.Testing;

namespace Connector.Orchestrations.Tests.Storage;

/// <summary>
/// What a run writes or reads whole (the chart's snapshot, a staged chunk on its way to Anaplan) goes through pooled
/// buffers instead of a growing memory stream: the bytes must be exactly those, whatever the stream tells of its length
/// and however many segments they take.
/// </summary>
public sealed class PooledBufferTests(StorageFixture fixture) : IClassFixture<StorageFixture>
{
    [Theory]
    [InlineData(null)] // a stream that cannot say its length: grown from 64 KB
    [InlineData(10L)] // a length given too short: grown from it
    [InlineData(700_001L)] // the length given right
    public async Task ReadAll_ReturnsEveryByteInOrder(long? lengthGiven)
    {
        byte[] content = [.. Enumerable.Range(0, 700_001).Select(i => (byte)(i * 31 % 251))];

        using PooledBuffer buffer = await PooledBuffer.ReadAllAsync(new GeneratedStream(content), lengthGiven, maxLength: 1_000_000);

        Assert.Equal(content.Length, buffer.WrittenCount);
        Assert.True(buffer.WrittenMemory.Span.SequenceEqual(content));
    }

    [Fact]
    public async Task ReadAll_OverTheLimit_Refused()
    {
        await Assert.ThrowsAsync<InvalidDataException>(() => PooledBuffer.ReadAllAsync(new GeneratedStream(new byte[5_000]), null, maxLength: 4_999));
    }

    [Fact]
    public async Task UploadJson_WritesWhatTheSerializerWrites_AndAnswersTheBlobsETag()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        var snapshot = new AlignmentSnapshot
        {
            Accounts = [.. Enumerable.Range(0, 20_000).Select(i => new AccountAlignment($"{i:D6}-01", $"{i:D6}", "01", i % 7 != 0, i % 7 == 0 ? "the account is deleted in Sage, \"D\" <é>" : null, null))],
        };
        var blob = fixture.Storage.StagingContainer.GetBlobClient($"tests/{Guid.NewGuid():N}/snapshot.json");

        Azure.Storage.Blobs.Models.BlobContentInfo uploaded = await SegmentedBuffer.UploadJsonAsync(blob, snapshot, options);

        byte[] expected = JsonSerializer.SerializeToUtf8Bytes(snapshot, options);
        BinaryData stored = (await blob.DownloadContentAsync()).Value.Content;
        Assert.True(expected.Length > 2 * SegmentedBuffer.SegmentSize); // three segments or more
        Assert.Equal(expected, stored.ToArray());
        Assert.Equal((await blob.GetPropertiesAsync()).Value.ETag, uploaded.ETag);
    }
}
