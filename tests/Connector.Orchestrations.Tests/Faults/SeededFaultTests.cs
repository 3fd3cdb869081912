using System.Diagnostics;
using System.Globalization;
using System.Text;
using Connector.Agent.Backends.Simulated;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Tests.Flows;
using Connector.Testing;
using Connector.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Connector.Orchestrations.Tests.Faults;

/// <summary>
/// The seeded fault suite: for each seed, a fault plan drawn from it (<see cref="FaultPlan.For"/>) is armed on the real
/// parts (the Sage agent's fault switches, the Anaplan emulator's fault rules, a worker process killed and restarted),
/// an actuals run and a budgets run go through it together, then one clean follow-up run of each; the end state is
/// read back from the systems and checked (<see cref="FaultSuiteRunner"/>). A fast subset runs with every
/// <c>dotnet test</c>; <c>FAULT_SEEDS=50</c> runs seeds 1–50 (<c>FAULT_SEED_LIST=3,17</c> picks seeds) and writes a
/// Markdown summary (<c>FAULT_SUMMARY</c>, by default <c>fault-suite.md</c> in the test output folder).
/// </summary>
[StartEarly(2)]
public sealed class SeededFaultTests(SeededFaultTests.Fixture fixture, ITestOutputHelper output) : IClassFixture<SeededFaultTests.Fixture>
{
    /// <summary>The seeds every <c>dotnet test</c> runs: between them a lock storm, agent 503s, a dropped connection,
    /// a 429 storm, a failing import and a worker killed mid-run (see <see cref="Plans_AreStable_AndSeedsOneToFiftyCoverEveryFaultClass"/>).</summary>
    private static readonly int[] CiSeeds = [12, 18];

    [Fact]
    public void Plans_AreStable_AndSeedsOneToFiftyCoverEveryFaultClass()
    {
        var plans = Enumerable.Range(1, 50).Select(FaultPlan.For).ToList();
        foreach (FaultPlan plan in plans)
        {
            output.WriteLine($"seed {plan.Seed}: {plan}");
            Assert.Equal(plan, FaultPlan.For(plan.Seed));
            Assert.True(plan.Count >= 2, $"seed {plan.Seed} arms {plan.Count} fault(s)");
        }

        Assert.Contains(plans, p => p.AgentUnavailable > 0);
        Assert.Contains(plans, p => p.LockStorm > 0);
        Assert.Contains(plans, p => p.AgentDropAfterWrite);
        Assert.Contains(plans, p => p.AnaplanDrops > 0);
        Assert.Contains(plans, p => p.Storm429 > 0 && p.StormRetryAfter is not null);
        Assert.Contains(plans, p => p.Storm429 > 0 && p.StormRetryAfter is null);
        Assert.Contains(plans, p => p.TokenExpiryMidUpload);
        Assert.Contains(plans, p => p.ChunkFailure is not null);
        Assert.Contains(plans, p => p.FailingImport is not null);
        Assert.Contains(plans, p => p.Kill == KillPoint.AfterAnaplanCalls);
        Assert.Contains(plans, p => p.Kill == KillPoint.AfterSageWrite);
        Assert.Contains(plans, p => p.Kill == KillPoint.BeforeCommit);

        // The CI subset keeps the expensive classes in every run of the suite.
        var ci = CiSeeds.Select(FaultPlan.For).ToList();
        Assert.Contains(ci, p => p.Kill != KillPoint.None);
        Assert.Contains(ci, p => p.Storm429 > 0);
        Assert.Contains(ci, p => p.LockStorm > 0 || p.AgentUnavailable > 0);
    }

    [Fact]
    public async Task Seeds_FaultedRunThenCleanRun_EndStateHoldsEveryInvariant()
    {
        IReadOnlyList<int> seeds = SelectedSeeds();
        using var runner = new FaultSuiteRunner(fixture);
        var results = new List<SeedResult>();
        var clock = Stopwatch.StartNew();
        string path = Path.GetFullPath(Environment.GetEnvironmentVariable("FAULT_SUMMARY") is { Length: > 0 } p ? p : "fault-suite.md");
        output.WriteLine($"{seeds.Count} seed(s): {string.Join(", ", seeds)}");
        foreach (int seed in seeds)
        {
            SeedResult result = await runner.RunSeedAsync(FaultPlan.For(seed));
            results.Add(result);
            output.WriteLine(result.Line);
            foreach (string failure in result.Failures)
            {
                output.WriteLine($"    seed {seed}: {failure}");
            }

            // After every seed, so a long run that is stopped still leaves what it found.
            await File.WriteAllTextAsync(path, Summary(results, clock.Elapsed, seeds.Count));
        }

        clock.Stop();
        output.WriteLine($"{results.Count(r => r.Passed)}/{results.Count} seeds passed in {clock.Elapsed:hh\\:mm\\:ss}; summary: {path}");

        var failed = results.Where(r => !r.Passed).ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} seed(s) failed:\n{string.Join("\n", failed.Select(f => f.Line + "\n    " + string.Join("\n    ", f.Failures)))}");
    }

    private static IReadOnlyList<int> SelectedSeeds()
    {
        if (Environment.GetEnvironmentVariable("FAULT_SEED_LIST") is { Length: > 0 } list)
        {
            return [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
        }

        if (Environment.GetEnvironmentVariable("FAULT_SEEDS") is { Length: > 0 } count)
        {
            return [.. Enumerable.Range(1, int.Parse(count, CultureInfo.InvariantCulture))];
        }

        return CiSeeds;
    }

    private static string Summary(IReadOnlyList<SeedResult> results, TimeSpan elapsed, int planned)
    {
        var text = new StringBuilder();
        text.AppendLine("# Seeded fault suite")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"{results.Count(r => r.Passed)} of {results.Count} seeds passed ({planned} planned); {elapsed:hh\\:mm\\:ss} in all ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC).")
            .AppendLine()
            .AppendLine("| Seed | Faults | Faulted run | Follow-up run | Invariants | Time |")
            .AppendLine("|---:|---|---|---|---|---:|");
        foreach (SeedResult r in results)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {r.Plan.Seed} | {r.Plan}{r.Happened} | {r.Faulted} | {r.FollowUp} | {r.Invariants} | {r.Elapsed.TotalSeconds:0}s |");
        }

        foreach (SeedResult r in results.Where(r => !r.Passed))
        {
            text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"## Seed {r.Plan.Seed}");
            foreach (string failure in r.Failures)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"- {failure}");
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// One company (ABC) with both flows on the emulator's FP&amp;A model. No worker in this process: the connector runs in
    /// a separate worker process, so a seed can kill it and start another.
    /// </summary>
    public sealed class Fixture : ConnectorFlowFixture
    {
        public CapturingLoggerProvider Logs { get; } = new();

        public CapturingLoggerProvider AgentLogs { get; } = new();

        protected override bool RunWorker => false;

        protected override LocalEnvironmentOptions EnvironmentOptions(string storage)
            => new()
            {
                StorageConnectionString = storage,
                ConfigureAgentLogging = b => b.AddProvider(this.AgentLogs).SetMinimumLevel(LogLevel.Debug),
            };

        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
        {
            ConnectionOptions abc = environment.Connection("abc", "ABC", "Department");
            abc.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "300-00-00" };

            // GL in about three files (GL staged and imported file by file, each while the next is extracted), so every
            // fault also meets a GL load that is several imports under the model lock and a rewind of a part-loaded GL.
            int glRows = environment.Sage.Company("ABC").GetPeriodBalances("2026", 10, 11, null, int.MaxValue).Count;
            abc.Sage.PageSize = Math.Max(1, glRows / 9);
            abc.Actuals.GlRowsPerFile = 3 * abc.Sage.PageSize;
            return [abc];
        }

        protected override void ConfigureServices(IServiceCollection services)
            => services.AddLogging(b => b.AddProvider(this.Logs).SetMinimumLevel(LogLevel.Trace));
    }
}
