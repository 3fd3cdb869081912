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
