using System.Globalization;

namespace Connector.Orchestrations.Tests.Faults;

/// <summary>Where the worker process dies during the faulted runs.</summary>
public enum KillPoint
{
    /// <summary>Not killed.</summary>
    None,

    /// <summary>SIGKILL from outside once the emulator has seen a seeded number of API calls of the runs.</summary>
    AfterAnaplanCalls,

    /// <summary>The worker kills itself right after Sage wrote a journal entry, before the connector recorded it.</summary>
    AfterSageWrite,

    /// <summary>The worker kills itself after an import ended, before the connector committed what it loaded.</summary>
    BeforeCommit,
}

/// <summary>
/// The faults of one seed, drawn deterministically from it (<see cref="For"/>): the same seed always gives the same plan,
/// so a failing seed can be run again alone. Each fault is optional; a plan has at least two.
/// </summary>
/// <param name="Seed">The seed.</param>
/// <param name="AgentUnavailable">How many Sage agent calls answer 503 (Sage session unavailable) first; 0 none.</param>
/// <param name="LockStorm">How many journal writes Sage refuses as record-locked first; 0 none.</param>
/// <param name="AgentDropAfterWrite">Whether the agent drops the connection right after Sage wrote the first entry.</param>
/// <param name="AnaplanDrops">How many Anaplan calls on <paramref name="DropRoute"/> have their connection dropped; 0 none.</param>
/// <param name="DropRoute">The emulator route whose calls are dropped.</param>
/// <param name="Storm429">How many Anaplan calls on <paramref name="StormRoute"/> answer 429; 0 none.</param>
/// <param name="StormRetryAfter">The Retry-After (seconds) sent with the 429s; null for none (the client waits its default).</param>
/// <param name="StormRoute">The emulator route of the 429 storm.</param>
/// <param name="TokenExpiryMidUpload">Whether every Anaplan token dies as soon as the first chunk of the runs arrives.</param>
/// <param name="ChunkFailure">A 5xx status the next chunk upload answers; null none.</param>
/// <param name="FailingImport">The import whose next run ends unsuccessful (loads nothing); null none.</param>
/// <param name="Kill">Where the worker dies.</param>
/// <param name="KillAfterCalls">For <see cref="KillPoint.AfterAnaplanCalls"/>: after how many API calls.</param>
public sealed record FaultPlan(
    int Seed,
    int AgentUnavailable,
    int LockStorm,
    bool AgentDropAfterWrite,
    int AnaplanDrops,
    string DropRoute,
    int Storm429,
    int? StormRetryAfter,
    string StormRoute,
    bool TokenExpiryMidUpload,
    int? ChunkFailure,
    string? FailingImport,
    KillPoint Kill,
    int KillAfterCalls)
{
    public const string ChunkRoute = "PUT /2/0/workspaces/*/models/*/files/*/chunks/*";

    private static readonly string[] DropRoutes =
    [
        ChunkRoute,
        "POST /2/0/workspaces/*/models/*/imports/*/tasks",
        "GET /2/0/workspaces/*/models/*/imports/*/tasks/*",
        "POST /2/0/workspaces/*/models/*/exports/*/tasks",
        "/2/0/**",
    ];

    private static readonly string[] StormRoutes =
    [
        "/2/0/**",
        ChunkRoute,
        "GET /2/0/workspaces/*/models/*/imports/*/tasks/*",
        "GET /2/0/workspaces/*/models/*/files/*/chunks/*",
    ];

    private static readonly string[] Imports = ["GL Actuals from Sage", "AP Actuals from Sage", "Vendors from Sage", "Cost Centers from Sage"];

    private static readonly int[] ServerErrors = [500, 502, 503, 504];

    /// <summary>The plan of <paramref name="seed"/> (System.Random seeded: stable for a given .NET major version).</summary>
    public static FaultPlan For(int seed)
    {
        var random = new Random(seed);
        FaultPlan plan;
        do
        {
            // Each fault class is drawn with its own probability, so seeds combine them in every way.
            int unavailable = random.NextDouble() < 0.4 ? random.Next(1, 5) : 0;
            int locks = random.NextDouble() < 0.4 ? random.Next(2, 9) : 0;
            bool agentDrop = random.NextDouble() < 0.25;
            int drops = random.NextDouble() < 0.35 ? random.Next(1, 3) : 0;
            string dropRoute = DropRoutes[random.Next(DropRoutes.Length)];
            int storm = random.NextDouble() < 0.45 ? random.Next(1, 4) : 0;
            int? retryAfter = random.NextDouble() < 0.6 ? random.Next(1, 3) : null;
            string stormRoute = StormRoutes[random.Next(StormRoutes.Length)];
            bool token = random.NextDouble() < 0.3;
            int? chunk = random.NextDouble() < 0.3 ? ServerErrors[random.Next(ServerErrors.Length)] : null;
            string? import = random.NextDouble() < 0.3 ? Imports[random.Next(Imports.Length)] : null;
            double k = random.NextDouble();
            KillPoint kill = k < 0.2 ? KillPoint.AfterAnaplanCalls : k < 0.3 ? KillPoint.AfterSageWrite : k < 0.4 ? KillPoint.BeforeCommit : KillPoint.None;
            int killAfter = random.Next(3, 60); // a seed's faulted runs make about 60–100 API calls
            plan = new FaultPlan(seed, unavailable, locks, agentDrop, drops, dropRoute, storm, storm > 0 ? retryAfter : null, stormRoute, token, chunk, import, kill, killAfter);
        }
        while (plan.Count < 2);

        return plan;
    }

    /// <summary>Gets how many fault classes the plan arms.</summary>
    public int Count
        => (this.AgentUnavailable > 0 ? 1 : 0) + (this.LockStorm > 0 ? 1 : 0) + (this.AgentDropAfterWrite ? 1 : 0) + (this.AnaplanDrops > 0 ? 1 : 0)
        + (this.Storm429 > 0 ? 1 : 0) + (this.TokenExpiryMidUpload ? 1 : 0) + (this.ChunkFailure is null ? 0 : 1) + (this.FailingImport is null ? 0 : 1)
        + (this.Kill == KillPoint.None ? 0 : 1);

    /// <summary>The plan as a person reads it, e.g. <c>agent-503×2, 429×3 (Retry-After 1s) on /2/0/**, kill after 40 calls</c>.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (this.AgentUnavailable > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"agent-503×{this.AgentUnavailable}"));
        }

        if (this.LockStorm > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"record-lock×{this.LockStorm}"));
        }

        if (this.AgentDropAfterWrite)
        {
            parts.Add("agent drops the connection after a Sage write");
        }

        if (this.AnaplanDrops > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"dropped×{this.AnaplanDrops} on {this.DropRoute}"));
        }

        if (this.Storm429 > 0)
        {
            string after = this.StormRetryAfter is { } s ? string.Create(CultureInfo.InvariantCulture, $"Retry-After {s}s") : "no Retry-After";
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"429×{this.Storm429} ({after}) on {this.StormRoute}"));
        }

        if (this.TokenExpiryMidUpload)
        {
            parts.Add("token expires mid-upload");
        }

        if (this.ChunkFailure is { } status)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"chunk answers {status}"));
        }

        if (this.FailingImport is { } import)
        {
            parts.Add($"import '{import}' ends unsuccessful");
        }

        switch (this.Kill)
        {
            case KillPoint.AfterAnaplanCalls:
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"worker killed after {this.KillAfterCalls} Anaplan calls"));
                break;
            case KillPoint.AfterSageWrite:
                parts.Add("worker killed after a Sage write");
                break;
            case KillPoint.BeforeCommit:
                parts.Add("worker killed before a load's commit");
                break;
        }

        return string.Join(", ", parts);
    }
}
