using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.Sage100;
using Connector.Testing;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>
/// The worker keeps a run's alignment snapshot and fiscal calendar between its GL files (issue 15: each file read them
/// again): read once, read again when the blob was written again (a rewound attempt aligns again under the same name),
/// let go of after the run's last file, and never more than a few kept.
/// </summary>
public sealed class ExtractionCacheTests(StorageFixture fixture) : IClassFixture<StorageFixture>
{
    [Fact]
    public async Task Alignment_ReadOnceForTheRunsFiles_ReadAgainWhenTheBlobWasWrittenAgain()
    {
        var cache = new ExtractionCache();
        string blob = $"runs/conn/{Guid.NewGuid():N}/alignment.json";
        await Snapshot("100-01", "01").SaveAsync(fixture.Storage.StagingContainer, blob);

        AlignedChart first = await cache.AlignmentAsync(fixture.Storage.StagingContainer, blob);
        AlignedChart second = await cache.AlignmentAsync(fixture.Storage.StagingContainer, blob);
        Assert.Same(first, second);
        Assert.Equal("01", first.BySageAccount["100-01"].CostCenter);
        Assert.Equal("01", first.BySageAccount["100-01".ToUpperInvariant()].CostCenter);

        // A rewound attempt aligned again: the next file reads what it wrote, not what the first attempt's files kept.
        await Snapshot("100-01", "02").SaveAsync(fixture.Storage.StagingContainer, blob);
        AlignedChart rewritten = await cache.AlignmentAsync(fixture.Storage.StagingContainer, blob);
        Assert.NotSame(first, rewritten);
        Assert.Equal("02", rewritten.BySageAccount["100-01"].CostCenter);

        // A snapshot that is gone is an error, as when every file read it.
        await fixture.Storage.StagingContainer.DeleteBlobAsync(blob);
        await Assert.ThrowsAsync<Azure.RequestFailedException>(() => cache.AlignmentAsync(fixture.Storage.StagingContainer, blob));
    }

    [Fact]
    public async Task Alignment_KeptForAFewRunsOnly_AndLetGoOfAfterTheLastFile()
    {
        var cache = new ExtractionCache();
        string[] blobs = [.. Enumerable.Range(0, ExtractionCache.Capacity + 2).Select(_ => $"runs/conn/{Guid.NewGuid():N}/alignment.json")];
        foreach (string blob in blobs)
        {
            await Snapshot("100-01", "01").SaveAsync(fixture.Storage.StagingContainer, blob);
            await cache.AlignmentAsync(fixture.Storage.StagingContainer, blob);
            Assert.True(cache.Charts <= ExtractionCache.Capacity, $"{cache.Charts} snapshots kept");
        }

        // The oldest went first: asking for it again reads it again (a new object), the newest is still kept.
        AlignedChart newest = await cache.AlignmentAsync(fixture.Storage.StagingContainer, blobs[^1]);
        Assert.Same(newest, await cache.AlignmentAsync(fixture.Storage.StagingContainer, blobs[^1]));

        cache.Release(new RunRef("conn", "run"), blobs[^1]);
        Assert.NotSame(newest, await cache.AlignmentAsync(fixture.Storage.StagingContainer, blobs[^1]));
        cache.Release(new RunRef("conn", "run"), blobs[^1]);
        cache.Release(new RunRef("conn", "run"), blobs[^2]);
        Assert.Equal(0, cache.Charts);
    }

    [Fact]
    public async Task Alignment_KeptByTheWorkerThatWroteIt_TakenWithoutReading_UntilWrittenAgainOrTheRunEnds()
    {
        var cache = new ExtractionCache();
        var run = new RunRef("conn", Guid.NewGuid().ToString("N"));
        string sageBlob = Datasets.RunBlob(run, "sage-dimensions.json"), alignmentBlob = Datasets.RunBlob(run, "alignment.json");
        AlignmentSnapshot sage = Snapshot("100-01", "01");
        await cache.SaveAndKeepAsync(fixture.Storage.StagingContainer, sageBlob, sage);

        // The object written is the one read next (nothing parsed again), with its index.
        AlignedChart kept = await cache.AlignmentAsync(fixture.Storage.StagingContainer, sageBlob);
        Assert.Same(sage, kept.Snapshot);
        Assert.Equal("01", kept.BySageAccount["100-01"].CostCenter);

        // Written again since (by another worker, or a rewound attempt): what the blob holds now is read.
        await Snapshot("100-01", "02").SaveAsync(fixture.Storage.StagingContainer, sageBlob);
        AlignedChart read = await cache.AlignmentAsync(fixture.Storage.StagingContainer, sageBlob);
        Assert.NotSame(sage, read.Snapshot);
        Assert.Equal("02", read.BySageAccount["100-01"].CostCenter);

        // The run's last GL file lets go of every snapshot of the run, the Sage side's as well as the alignment's.
        AlignmentSnapshot aligned = Snapshot("100-01", "02");
        await cache.SaveAndKeepAsync(fixture.Storage.StagingContainer, alignmentBlob, aligned);
        Assert.Equal(2, cache.Charts);
        cache.Release(run, sageBlob);
        Assert.Equal(0, cache.Charts);
    }

    [Fact]
    public async Task Calendar_ReadOncePerAttempt_ReadAgainAfterARelease()
    {
        var cache = new ExtractionCache();
        int reads = 0;
        Task<SageFiscalCalendar> Read()
        {
            reads++;
            return Task.FromResult(new SageFiscalCalendar("2026", reads, []));
        }

        var run = new RunRef("conn", "run-1");
        Assert.Equal(1, (await cache.CalendarAsync(run, Read)).CurrentPeriod);
        Assert.Equal(1, (await cache.CalendarAsync(run, Read)).CurrentPeriod);
        Assert.Equal(2, (await cache.CalendarAsync(run with { Attempt = 2 }, Read)).CurrentPeriod);

        cache.Release(run, "unused");
        Assert.Equal(3, (await cache.CalendarAsync(run, Read)).CurrentPeriod);

        // A read that failed is not kept: the next file reads again.
        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.CalendarAsync(new RunRef("conn", "run-2"), () => throw new InvalidOperationException("agent down")));
        Assert.Equal(4, (await cache.CalendarAsync(new RunRef("conn", "run-2"), Read)).CurrentPeriod);
    }

    private static AlignmentSnapshot Snapshot(string account, string costCenter) => new()
    {
        Accounts = [new AccountAlignment(account, account[..3], costCenter, true, null, null)],
    };
}
