using Connector.Emulators.Anaplan.Model;
using Microsoft.Extensions.Logging;

namespace Connector.Emulators.Anaplan;

/// <summary>Settings of one emulator instance. Every value has a default that matches Anaplan.</summary>
public sealed class AnaplanEmulatorOptions
{
    /// <summary>The address to listen on. Loopback only; port 0 picks a free port.</summary>
    public string Url { get; set; } = "http://127.0.0.1:0";

    /// <summary>A model file to load (see <c>models/fpa-model.json</c>). Ignored when <see cref="Definition"/> is set.</summary>
    public string? ModelPath { get; set; }

    /// <summary>The tenant definition to load, built in code. When neither this nor <see cref="ModelPath"/> is set,
    /// the shipped FP&amp;A model is loaded.</summary>
    public TenantDefinition? Definition { get; set; }

    /// <summary>The clock for token expiry, the rate limit, task durations and the request log.
    /// Tests pass a <c>FakeTimeProvider</c> to cross expiry without waiting.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>How long an issued or refreshed token lives. Anaplan: 35 minutes.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(35);

    /// <summary>Whether <c>/token/refresh</c> hands out a new token value (and kills the old one), as Anaplan's own
    /// client fixture shows, or keeps the value and only moves <c>expiresAt</c>, as live tenants do.</summary>
    public bool RefreshIssuesNewTokenValue { get; set; } = true;

    /// <summary>Requests per minute of the tenant's token bucket (one token every 60/N seconds). 0 turns the limit off.</summary>
    public int RateLimitPerMinute { get; set; } = 600;

    /// <summary>Capacity of the tenant's token bucket. Anaplan: 600.</summary>
    public int RateLimitCapacity { get; set; } = 600;

    /// <summary>Whether a 429 carries <c>Retry-After</c>. Anaplan sends it only sometimes.</summary>
    public bool RateLimitSendsRetryAfter { get; set; } = true;

    /// <summary>How long a call on a busy model waits for the model at most before it is answered anyway.</summary>
    public TimeSpan BusyWaitLimit { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long every import, export and process task runs (on <see cref="TimeProvider"/>) before it
    /// completes. Zero: as fast as the work allows.</summary>
    public TimeSpan TaskDuration { get; set; } = TimeSpan.Zero;

    /// <summary>Chunk size of export files and failure dumps. Anaplan: about 10 MB.</summary>
    public int DownloadChunkSize { get; set; } = 10 * 1024 * 1024;

    /// <summary>The largest uncompressed upload chunk accepted. Anaplan: 50 MB.</summary>
    public long MaxChunkBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>The most chunks a file may have. Anaplan: 1,000.</summary>
    public int MaxChunkCount { get; set; } = 1000;

    /// <summary>Page size used when a list call gives no <c>limit</c>; also the maximum. Anaplan: 5000.</summary>
    public int MaxPageSize { get; set; } = 5000;

    /// <summary>The most items a list read (<c>GET .../lists/{id}/items</c>) returns; a longer list answers 400. Anaplan: 1,000,000.</summary>
    public int MaxListItemsRead { get; set; } = 1_000_000;

    /// <summary>The most items a list may hold (its metadata's <c>permittedItems</c> counts down from it).</summary>
    public int MaxListItems { get; set; } = 999_999_999;

    /// <summary>
    /// More model files to load after <see cref="ModelPath"/> (or the shipped model): their users and workspaces are added,
    /// and a workspace with an id already loaded gets their models.
    /// </summary>
    public IList<string> AdditionalModelPaths { get; } = [];

    /// <summary>How many requests the request log keeps (oldest dropped first).</summary>
    public int RequestLogCapacity { get; set; } = 20_000;

    /// <summary>Logger factory for the emulator's own logs; none by default when run in-process.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The simple model shipped beside the FP&amp;A one (<c>models/simple-model.json</c>).</summary>
    public static string SimpleModelPath => ModelFile("simple-model.json");

    /// <summary>The native-time model shipped beside the FP&amp;A one (<c>models/native-time-model.json</c>).</summary>
    public static string NativeTimeModelPath => ModelFile("native-time-model.json");

    internal static string DefaultModelPath => ModelFile("fpa-model.json");

    private static string ModelFile(string name) => Path.Combine(AppContext.BaseDirectory, "models", name);
}
