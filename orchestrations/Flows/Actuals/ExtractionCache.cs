using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Connector.Orchestrations.Flows.Dimensions;
using Connector.Orchestrations.Sage100;

namespace Connector.Orchestrations.Flows.Actuals;

/// <summary>
/// What every file of a run's GL extraction reads the same, kept in the worker between the files rather than read again by
/// each: the alignment snapshot with its index by Sage account (166,667 accounts at 2 M rows), and the company's fiscal
/// calendar. A worker that did not extract the run's earlier files (scale-out, a restart) just reads them.
/// </summary>
/// <remarks>
/// <para>The snapshot is kept under its blob's name and ETag, checked on every use (one request for the blob's
/// properties) and read on the condition that it still has that ETag: a rewound attempt that aligns again writes the same
/// blob again, and what it wrote is what the next extraction reads. The calendar is kept for one attempt of one run (the
/// first file's reading is what the run's later files code their periods with).</para>
/// <para>Memory stays bounded across runs: at most <see cref="Capacity"/> snapshots and a few calendars are kept (the
/// least recently used goes first), and an extraction that stages the run's last GL file lets go of the run's entries.</para>
/// </remarks>
public sealed class ExtractionCache
{
    /// <summary>How many alignment snapshots are kept at most (runs of several connections on one worker at once).</summary>
    internal const int Capacity = 2;

    private readonly Bounded<(string Blob, ETag ETag), AlignedChart> charts = new(Capacity);
    private readonly Bounded<RunRef, SageFiscalCalendar> calendars = new(2 * Capacity);

    /// <summary>Gets how many snapshots the cache holds (for tests).</summary>
    internal int Charts => this.charts.Count;

    /// <summary>
    /// The alignment snapshot of <paramref name="blobName"/> and its index by Sage account: kept, or read when the blob is
    /// not kept or was written again since.
    /// </summary>
    public async Task<AlignedChart> AlignmentAsync(BlobContainerClient container, string blobName)
    {
        ArgumentNullException.ThrowIfNull(container);
        BlobClient blob = container.GetBlobClient(blobName);
        ETag etag = (await blob.GetPropertiesAsync()).Value.ETag;
        return await this.charts.GetOrAddAsync((blobName, etag), async () =>
        {
            AlignmentSnapshot snapshot = await AlignmentSnapshot.LoadAsync(blob, new BlobRequestConditions { IfMatch = etag });
            return new AlignedChart(snapshot, snapshot.BySageAccount());
        });
    }

    /// <summary>
    /// Writes <paramref name="snapshot"/> to <paramref name="blobName"/> and keeps it under the ETag the write returned: the
    /// run's next step on this worker (the speculative GL extraction after the Sage read, the alignment, the extraction
    /// after it) takes it from here rather than reading and parsing the blob again. The snapshot must not be changed from
    /// now on (readers share it).
    /// </summary>
    public async Task SaveAndKeepAsync(BlobContainerClient container, string blobName, AlignmentSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ETag etag = await snapshot.SaveAsync(container, blobName);
        this.charts.Put((blobName, etag), () => Task.FromResult(new AlignedChart(snapshot, snapshot.BySageAccount())));
    }

    /// <summary>The fiscal calendar of the run's attempt: kept, or read by <paramref name="read"/>.</summary>
    public Task<SageFiscalCalendar> CalendarAsync(RunRef run, Func<Task<SageFiscalCalendar>> read)
        => this.calendars.GetOrAddAsync(run, read);

    /// <summary>Lets go of what the run's attempt kept (its last GL file is staged): its calendar, and every snapshot of the run (the Sage side's and the alignment's).</summary>
    public void Release(RunRef run, string alignmentBlob)
    {
        ArgumentNullException.ThrowIfNull(run);
        string runFolder = Datasets.RunBlob(run, string.Empty);
        this.calendars.RemoveWhere(r => r == run);
        this.charts.RemoveWhere(k => string.Equals(k.Blob, alignmentBlob, StringComparison.Ordinal) || k.Blob.StartsWith(runFolder, StringComparison.Ordinal));
    }

    /// <summary>
    /// A few values by key, the least recently used dropped first; a value is loaded once however many callers ask for it
    /// at once, and a load that failed is not kept.
    /// </summary>
    private sealed class Bounded<TKey, TValue>(int capacity)
        where TKey : notnull
    {
        private readonly Lock gate = new();
        private readonly List<(TKey Key, Lazy<Task<TValue>> Value)> entries = []; // the most recently used last

        public int Count
        {
            get
            {
                lock (this.gate)
                {
                    return this.entries.Count;
                }
            }
        }

        public async Task<TValue> GetOrAddAsync(TKey key, Func<Task<TValue>> load)
        {
            Lazy<Task<TValue>> value;
            lock (this.gate)
            {
                int at = this.entries.FindIndex(e => EqualityComparer<TKey>.Default.Equals(e.Key, key));
                if (at >= 0 && !Failed(this.entries[at].Value))
                {
                    value = this.entries[at].Value;
                    this.entries.RemoveAt(at);
                }
                else
                {
                    if (at >= 0)
                    {
                        this.entries.RemoveAt(at);
                    }

                    value = new Lazy<Task<TValue>>(load);
                }

                this.AddNewest(key, value);
            }

            try
            {
                return await value.Value;
            }
            catch (Exception)
            {
                lock (this.gate)
                {
                    this.entries.RemoveAll(e => ReferenceEquals(e.Value, value));
                }

                throw;
            }
        }

        /// <summary>Keeps the value <paramref name="load"/> gives under <paramref name="key"/> (it replaces what was kept under it), the most recently used.</summary>
        public void Put(TKey key, Func<Task<TValue>> load)
        {
            lock (this.gate)
            {
                this.entries.RemoveAll(e => EqualityComparer<TKey>.Default.Equals(e.Key, key));
                this.AddNewest(key, new Lazy<Task<TValue>>(load));
            }
        }

        /// <summary>Adds an entry as the most recently used, the least recently used going when there are too many (under the gate).</summary>
        private void AddNewest(TKey key, Lazy<Task<TValue>> value)
        {
            this.entries.Add((key, value));
            if (this.entries.Count > capacity)
            {
                this.entries.RemoveAt(0);
            }
        }

        /// <summary>Whether a load ended in failure (one not started yet, or still running, has not).</summary>
        private static bool Failed(Lazy<Task<TValue>> value) => value.IsValueCreated && (value.Value.IsFaulted || value.Value.IsCanceled);

        public void RemoveWhere(Func<TKey, bool> match)
        {
            lock (this.gate)
            {
                this.entries.RemoveAll(e => match(e.Key));
            }
        }
    }
}

/// <summary>An alignment snapshot and its index by Sage formatted account (<see cref="AlignmentSnapshot.BySageAccount"/>); neither is changed once built.</summary>
public sealed record AlignedChart(AlignmentSnapshot Snapshot, IReadOnlyDictionary<string, AccountAlignment> BySageAccount);
