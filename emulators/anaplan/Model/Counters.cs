namespace Connector.Emulators.Anaplan.Model;

/// <summary>Running totals a test can assert on. All members are thread-safe.</summary>
public sealed class EmulatorCounters
{
    private long basicAuthentications;
    private long certificateAuthentications;
    private long failedAuthentications;
    private long refreshes;
    private long validations;
    private long logouts;
    private long apiRequests;
    private long unauthorizedApiRequests;
    private long rateLimited;
    private long chunksReceived;
    private long chunkBytesReceived;
    private long chunkBytesUncompressed;
    private long maxChunkBytesUncompressed;
    private long violations;
    private long privateFilesCreated;
    private long faultsInjected;
    private long tasksStarted;
    private long busyWaits;

    /// <summary>Successful basic logins.</summary>
    public long BasicAuthentications => Interlocked.Read(ref this.basicAuthentications);

    /// <summary>Successful certificate logins.</summary>
    public long CertificateAuthentications => Interlocked.Read(ref this.certificateAuthentications);

    /// <summary>All successful logins (basic and certificate).</summary>
    public long Authentications => this.BasicAuthentications + this.CertificateAuthentications;

    /// <summary>Logins answered 401.</summary>
    public long FailedAuthentications => Interlocked.Read(ref this.failedAuthentications);

    /// <summary>Successful token refreshes.</summary>
    public long Refreshes => Interlocked.Read(ref this.refreshes);

    public long Validations => Interlocked.Read(ref this.validations);

    public long Logouts => Interlocked.Read(ref this.logouts);

    /// <summary>Requests to the Integration API (<c>/2/0/...</c>), whatever their outcome.</summary>
    public long ApiRequests => Interlocked.Read(ref this.apiRequests);

    /// <summary>Integration API requests answered 401 (missing, unknown or expired token).</summary>
    public long UnauthorizedApiRequests => Interlocked.Read(ref this.unauthorizedApiRequests);

    /// <summary>Requests answered 429 by the tenant rate limit (injected faults not included).</summary>
    public long RateLimited => Interlocked.Read(ref this.rateLimited);

    /// <summary>Upload chunks accepted.</summary>
    public long ChunksReceived => Interlocked.Read(ref this.chunksReceived);

    /// <summary>Bytes of accepted upload chunks as they came over the wire (compressed when gzip).</summary>
    public long ChunkBytesReceived => Interlocked.Read(ref this.chunkBytesReceived);

    /// <summary>Bytes of accepted upload chunks after decompression.</summary>
    public long ChunkBytesUncompressed => Interlocked.Read(ref this.chunkBytesUncompressed);

    /// <summary>The largest uncompressed chunk accepted.</summary>
    public long MaxChunkBytesUncompressed => Interlocked.Read(ref this.maxChunkBytesUncompressed);

    /// <summary>Tasks started while another action was running or waiting on the same model.</summary>
    public long Violations => Interlocked.Read(ref this.violations);

    /// <summary>Files created because a client set the chunk count of an id that did not exist.</summary>
    public long PrivateFilesCreated => Interlocked.Read(ref this.privateFilesCreated);

    public long FaultsInjected => Interlocked.Read(ref this.faultsInjected);

    public long TasksStarted => Interlocked.Read(ref this.tasksStarted);

    /// <summary>Calls that had to wait for a busy model.</summary>
    public long BusyWaits => Interlocked.Read(ref this.busyWaits);

    internal void BasicAuthentication() => Interlocked.Increment(ref this.basicAuthentications);

    internal void CertificateAuthentication() => Interlocked.Increment(ref this.certificateAuthentications);

    internal void FailedAuthentication() => Interlocked.Increment(ref this.failedAuthentications);

    internal void Refresh() => Interlocked.Increment(ref this.refreshes);

    internal void Validation() => Interlocked.Increment(ref this.validations);

    internal void Logout() => Interlocked.Increment(ref this.logouts);

    internal void ApiRequest() => Interlocked.Increment(ref this.apiRequests);

    internal void UnauthorizedApiRequest() => Interlocked.Increment(ref this.unauthorizedApiRequests);

    internal void RateLimit() => Interlocked.Increment(ref this.rateLimited);

    internal void Violation() => Interlocked.Increment(ref this.violations);

    internal void PrivateFileCreated() => Interlocked.Increment(ref this.privateFilesCreated);

    internal void FaultInjected() => Interlocked.Increment(ref this.faultsInjected);

    internal void TaskStarted() => Interlocked.Increment(ref this.tasksStarted);

    internal void BusyWait() => Interlocked.Increment(ref this.busyWaits);

    internal void Chunk(long wireBytes, long uncompressedBytes)
    {
        Interlocked.Increment(ref this.chunksReceived);
        Interlocked.Add(ref this.chunkBytesReceived, wireBytes);
        Interlocked.Add(ref this.chunkBytesUncompressed, uncompressedBytes);
        long max;
        do
        {
            max = Interlocked.Read(ref this.maxChunkBytesUncompressed);
        }
        while (uncompressedBytes > max && Interlocked.CompareExchange(ref this.maxChunkBytesUncompressed, uncompressedBytes, max) != max);
    }

    /// <summary>A plain copy of every counter, for JSON.</summary>
    public IReadOnlyDictionary<string, long> Snapshot() => new SortedDictionary<string, long>(StringComparer.Ordinal)
    {
        ["basicAuthentications"] = this.BasicAuthentications,
        ["certificateAuthentications"] = this.CertificateAuthentications,
        ["authentications"] = this.Authentications,
        ["failedAuthentications"] = this.FailedAuthentications,
        ["refreshes"] = this.Refreshes,
        ["validations"] = this.Validations,
        ["logouts"] = this.Logouts,
        ["apiRequests"] = this.ApiRequests,
        ["unauthorizedApiRequests"] = this.UnauthorizedApiRequests,
        ["rateLimited"] = this.RateLimited,
        ["chunksReceived"] = this.ChunksReceived,
        ["chunkBytesReceived"] = this.ChunkBytesReceived,
        ["chunkBytesUncompressed"] = this.ChunkBytesUncompressed,
        ["maxChunkBytesUncompressed"] = this.MaxChunkBytesUncompressed,
        ["violations"] = this.Violations,
        ["privateFilesCreated"] = this.PrivateFilesCreated,
        ["faultsInjected"] = this.FaultsInjected,
        ["tasksStarted"] = this.TasksStarted,
        ["busyWaits"] = this.BusyWaits,
    };
}
