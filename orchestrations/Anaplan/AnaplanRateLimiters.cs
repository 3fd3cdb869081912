using System.Collections.Concurrent;
using System.Threading.RateLimiting;

namespace Connector.Orchestrations.Anaplan;

/// <summary>
/// Client-side token buckets, one per API host and credential, shared by every client of the process, so the
/// process stays under its share of the tenant's 600 requests per minute; each with the tenant's pause, so a
/// Retry-After that Anaplan sent to one call holds back every call of the process, not only the refused one's retry.
/// Register as a singleton (the DI extension does).
/// </summary>
/// <remarks>
/// The bucket is <see cref="TokenBucketRateLimiter"/> with automatic replenishment, which measures time with its own
/// monotonic clock: it follows real time even when the client is given a fake <see cref="TimeProvider"/>.
/// </remarks>
public sealed class AnaplanRateLimiters : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Bucket>> buckets = new(StringComparer.Ordinal);
    /// <summary>The time provider is accepted for symmetry with the other Anaplan services; see the remarks.</summary>
    public AnaplanRateLimiters(TimeProvider? timeProvider = null)
    {
        _ = timeProvider;
    }

    /// <summary>The gate (token bucket and pause) for a key; the first caller's rate wins.</summary>
    internal AnaplanTenantGate Get(string key, int requestsPerMinute)
        => this.buckets.GetOrAdd(key, _ => new Lazy<Bucket>(() => new Bucket(requestsPerMinute))).Value.Gate;

    public void Dispose()
    {
        foreach (Lazy<Bucket> bucket in this.buckets.Values)
        {
            if (bucket.IsValueCreated)
            {
                bucket.Value.Dispose();
            }
        }

        this.buckets.Clear();
    }

    private sealed class Bucket : IDisposable
    {
        public Bucket(int requestsPerMinute)
        {
            // Refill evenly: N tokens every period so that N per period adds up to requestsPerMinute; the burst is a
            // tenth of a minute's share so a burst cannot eat the tenant's whole bucket.
            int perPeriod = Math.Max(1, requestsPerMinute / 60);
            TimeSpan period = TimeSpan.FromMinutes(1) * perPeriod / requestsPerMinute;
            this.Gate = new AnaplanTenantGate(new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(perPeriod, requestsPerMinute / 10),
                TokensPerPeriod = perPeriod,
                ReplenishmentPeriod = period,
                AutoReplenishment = true,
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            }));
        }

        public AnaplanTenantGate Gate { get; }

        public void Dispose() => this.Gate.Limiter.Dispose();
    }
}

/// <summary>
/// What every call to one tenant passes before it goes out: the tenant's pause (set by a Retry-After that Anaplan sent
/// to any call: the limit is the tenant's, so no call of the process may go out before it ends), then the token bucket.
/// </summary>
internal sealed class AnaplanTenantGate(RateLimiter limiter)
{
    private long pausedUntilTicks;

    public RateLimiter Limiter { get; } = limiter;

    /// <summary>Holds every call back until <paramref name="until"/> (a later pause wins over an earlier one).</summary>
    public void PauseUntil(DateTimeOffset until)
    {
        long ticks = until.UtcTicks;
        long seen = Interlocked.Read(ref this.pausedUntilTicks);
        while (ticks > seen)
        {
            long found = Interlocked.CompareExchange(ref this.pausedUntilTicks, ticks, seen);
            if (found == seen)
            {
                return;
            }

            seen = found;
        }
    }

    /// <summary>Waits out the tenant's pause on <paramref name="time"/>, then for a token; false if the bucket refused.</summary>
    public async ValueTask<bool> EnterAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        while (true)
        {
            TimeSpan wait = new DateTimeOffset(Interlocked.Read(ref this.pausedUntilTicks), TimeSpan.Zero) - time.GetUtcNow();
            if (wait <= TimeSpan.Zero)
            {
                break;
            }

            await Task.Delay(wait, time, cancellationToken);
        }

        using RateLimitLease lease = await this.Limiter.AcquireAsync(1, cancellationToken);
        return lease.IsAcquired;
    }
}
