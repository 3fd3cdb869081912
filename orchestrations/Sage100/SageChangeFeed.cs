namespace Connector.Orchestrations.Sage100;

/// <summary>
/// An incremental pull: enumerate it (pages are fetched as you go), then persist <see cref="Watermark"/> and pass it
/// as <c>changedSince</c> next time. The watermark is fixed by the agent before the first page is read, so rows
/// changed during the pull are returned again by the next one rather than lost.
/// </summary>
public sealed class SageChangeFeed<T> : IAsyncEnumerable<T>
{
    private readonly Func<SageChangeFeed<T>, CancellationToken, IAsyncEnumerable<T>> source;

    internal SageChangeFeed(SageWatermark? changedSince, Func<SageChangeFeed<T>, CancellationToken, IAsyncEnumerable<T>> source)
    {
        this.ChangedSince = changedSince;
        this.source = source;
    }

    /// <summary>Gets the watermark this pull started from (null: a full pull).</summary>
    public SageWatermark? ChangedSince { get; }

    /// <summary>Gets the next watermark; known once the first page has been read. Persist it only after the whole feed was processed.</summary>
    public SageWatermark? Watermark { get; internal set; }

    /// <inheritdoc/>
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) => this.source(this, cancellationToken).GetAsyncEnumerator(cancellationToken);
}

/// <summary>
/// A paged read that may stop at a page boundary (a row limit): enumerate it, then <see cref="NextCursor"/> is where the
/// same read goes on (null: it was read to its end). The cursor is the agent's own, opaque; it only continues the query
/// that produced it.
/// </summary>
public sealed class SagePageFeed<T> : IAsyncEnumerable<T>
{
    private readonly Func<SagePageFeed<T>, CancellationToken, IAsyncEnumerable<T>> source;

    internal SagePageFeed(string? from, Func<SagePageFeed<T>, CancellationToken, IAsyncEnumerable<T>> source)
    {
        this.From = from;
        this.source = source;
    }

    /// <summary>Gets the cursor this read started from (null: the first page).</summary>
    public string? From { get; }

    /// <summary>Gets where the read goes on; known once it has been enumerated (null: read to its end).</summary>
    public string? NextCursor { get; internal set; }

    /// <summary>Gets how many rows the read brought; known once it has been enumerated.</summary>
    public long Rows { get; internal set; }

    /// <inheritdoc/>
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) => this.source(this, cancellationToken).GetAsyncEnumerator(cancellationToken);
}

/// <summary>Where a paged read starts, the rows after which it stops at the end of a page (0: none), and who is told where it stopped.</summary>
internal sealed record PageRange(string? From, long RowLimit, Action<string?, long> Stopped);
