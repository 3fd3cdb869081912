namespace Connector.Emulators.Anaplan.Model;

/// <summary>One request the emulator answered (or dropped). Holds no header or body, so no secret.</summary>
/// <param name="Sequence">Order of arrival, from 1.</param>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">Path and query string.</param>
/// <param name="StatusCode">Status answered; 0 when the connection was dropped on purpose.</param>
/// <param name="ReceivedAt">When the request arrived (emulator clock).</param>
/// <param name="CompletedAt">When the answer started to go out, status and headers final (emulator clock).</param>
/// <param name="RetryAfter">The Retry-After header sent, if any.</param>
public sealed record EmulatorRequest(
    long Sequence, string Method, string Path, int StatusCode, DateTimeOffset ReceivedAt, DateTimeOffset CompletedAt, string? RetryAfter);

/// <summary>The requests the emulator answered, oldest first, bounded in size.</summary>
public sealed class EmulatorRequestLog
{
    private readonly Queue<EmulatorRequest> entries = new();
    private readonly int capacity;
    private readonly Action notify;
    private long sequence;

    internal EmulatorRequestLog(int capacity, Action notify)
    {
        this.capacity = Math.Max(1, capacity);
        this.notify = notify;
    }

    /// <summary>The requests logged so far.</summary>
    public IReadOnlyList<EmulatorRequest> Snapshot()
    {
        lock (this.entries)
        {
            return [.. this.entries];
        }
    }

    /// <summary>Requests whose method matches and whose path contains <paramref name="pathFragment"/>.</summary>
    public IReadOnlyList<EmulatorRequest> Find(string method, string pathFragment)
        => [.. this.Snapshot().Where(r => string.Equals(r.Method, method, StringComparison.OrdinalIgnoreCase)
            && r.Path.Contains(pathFragment, StringComparison.Ordinal))];

    /// <summary>
    /// Integration API calls (<c>/2/0/...</c>) that arrived inside a Retry-After window the emulator had announced: a
    /// window opens when an answer carrying Retry-After (in seconds, as this emulator sends it) starts to go out and lasts
    /// that long; a call that arrives after the answer went out and before the window closes did not honour it. The
    /// limit is per tenant, so any client's call counts, not only the retry of the refused one. Only requests after
    /// sequence <paramref name="afterSequence"/> are considered; a call arriving within <paramref name="inFlight"/> of the
    /// answer was already on its way before the client could read it; <paramref name="tolerance"/> absorbs timer
    /// granularity at the window's end.
    /// </summary>
    public IReadOnlyList<(EmulatorRequest Refused, EmulatorRequest Early)> CallsInsideRetryAfterWindows(long afterSequence = 0, TimeSpan? inFlight = null, TimeSpan? tolerance = null)
    {
        TimeSpan slack = tolerance ?? TimeSpan.Zero;
        TimeSpan onItsWay = inFlight ?? TimeSpan.Zero;
        var api = this.Snapshot().Where(r => r.Sequence > afterSequence && r.Path.StartsWith("/2/0", StringComparison.Ordinal)).OrderBy(r => r.ReceivedAt).ToList();
        var early = new List<(EmulatorRequest, EmulatorRequest)>();
        foreach (EmulatorRequest refused in api)
        {
            if (!int.TryParse(refused.RetryAfter, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int seconds) || seconds <= 0)
            {
                continue;
            }

            DateTimeOffset closes = refused.CompletedAt + TimeSpan.FromSeconds(seconds) - slack;
            early.AddRange(api.Where(r => r.Sequence != refused.Sequence && r.ReceivedAt > refused.CompletedAt + onItsWay && r.ReceivedAt < closes).Select(r => (refused, r)));
        }

        return early;
    }

    /// <summary>Forgets every logged request.</summary>
    public void Clear()
    {
        lock (this.entries)
        {
            this.entries.Clear();
        }
    }

    internal long NextSequence() => Interlocked.Increment(ref this.sequence);

    internal void Add(EmulatorRequest request)
    {
        lock (this.entries)
        {
            this.entries.Enqueue(request);
            while (this.entries.Count > this.capacity)
            {
                this.entries.Dequeue();
            }
        }

        this.notify();
    }
}
