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
