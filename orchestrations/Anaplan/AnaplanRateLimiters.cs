using System.Collections.Concurrent;
using System.Threading.RateLimiting;

namespace Connector.Orchestrations.Anaplan;

/// <summary>
/// Client-side token buckets, one per API host and credential, shared by every client of the process, so the
/// process stays under its share of the tenant's 600 requests per minute. Register as a singleton (the DI extension does).
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

    /// <summary>The limiter for a key; the first caller's rate wins.</summary>
    internal RateLimiter Get(string key, int requestsPerMinute)
        => this.buckets.GetOrAdd(key, _ => new Lazy<Bucket>(() => new Bucket(requestsPerMinute))).Value.Limiter;

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
            this.Limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(perPeriod, requestsPerMinute / 10),
                TokensPerPeriod = perPeriod,
                ReplenishmentPeriod = period,
                AutoReplenishment = true,
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            });
        }

        public TokenBucketRateLimiter Limiter { get; }

        public void Dispose() => this.Limiter.Dispose();
    }
}
