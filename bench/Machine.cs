using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Connector.Bench;

/// <summary>What the report says about the machine the figures come from.</summary>
internal static class Machine
{
    /// <summary>Cores, CPU model, memory and OS.</summary>
    public static string Describe()
    {
        string cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"
            : RuntimeInformation.ProcessArchitecture.ToString();
        string memory = File.Exists("/proc/meminfo")
            ? (long.Parse(File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024 / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " GB RAM"
            : "memory unknown";
        return $"{Environment.ProcessorCount} cores ({cpu}), {memory}, {RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }

    /// <summary>The 1, 5 and 15-minute load averages (other work on the machine skews the figures).</summary>
    public static string Load()
        => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>The share of the machine's processor time (all cores) under which it counts as quiet.</summary>
    public const double QuietBusy = 0.10;

    /// <summary>How long one look at the machine lasts.</summary>
    public static readonly TimeSpan QuietWindow = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest wait for a quiet machine: a machine that never gets quiet is measured anyway (and the wait shows it).</summary>
    public static readonly TimeSpan QuietLimit = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The longest wait in quick mode, which checks that the benchmark works rather than measuring (its test runs on a CI
    /// machine busy with other tests, where every wait would last the whole <see cref="QuietLimit"/>).
    /// </summary>
    public static readonly TimeSpan QuickQuietLimit = TimeSpan.FromSeconds(2);

    /// <summary>The longest wait for a quiet machine in a benchmark run in quick mode or not.</summary>
    public static TimeSpan QuietLimitFor(bool quick) => quick ? QuickQuietLimit : QuietLimit;

    /// <summary>
    /// Waits until the machine is quiet: all cores together busy under <see cref="QuietBusy"/> over one
    /// <see cref="QuietWindow"/> (from <c>/proc/stat</c>), at most <paramref name="limit"/>. A step of the benchmark leaves
    /// work behind in its processes (a .NET process compiles its hot methods again at tier 1 on a background thread, the GC
    /// finishes): without this it runs inside the next measurement, on the cores that measurement has. Returns how long it
    /// waited and how busy the last window was (null where <c>/proc/stat</c> cannot be read: no wait).
    /// </summary>
    public static async Task<(TimeSpan Waited, double? Busy)> WaitForQuietAsync(TimeSpan limit, CancellationToken cancellationToken = default)
    {
        var watch = Stopwatch.StartNew();
        if (ProcessorTicks() is not { } before)
        {
            return (TimeSpan.Zero, null);
        }

        while (true)
        {
            await Task.Delay(QuietWindow, cancellationToken);
            if (ProcessorTicks() is not { } after)
            {
                return (watch.Elapsed, null);
            }

            long total = after.Total - before.Total;
            double busy = total <= 0 ? 0 : 1 - ((after.Idle - before.Idle) / (double)total);
            if (busy < QuietBusy || watch.Elapsed >= limit)
            {
                return (watch.Elapsed, busy);
            }

            before = after;
        }
    }

    /// <summary>The machine's processor ticks since boot, all cores (the first line of <c>/proc/stat</c>): idle (with I/O wait) and total.</summary>
    private static (long Idle, long Total)? ProcessorTicks()
    {
        try
        {
            string[] fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long[] ticks = [.. fields.Skip(1).Take(8).Select(f => long.Parse(f, CultureInfo.InvariantCulture))];
            return (ticks[3] + ticks[4], ticks.Sum());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>The commit measured, with a mark when the tree had uncommitted changes.</summary>
    public static string Commit(string root)
    {
        string? head = Git(root, "rev-parse", "--short", "HEAD");
        string? dirty = Git(root, "status", "--porcelain", "--untracked-files=no");
        return head is null ? "unknown" : string.IsNullOrWhiteSpace(dirty) ? head : head + " (with uncommitted changes)";
    }

    private static string? Git(string root, params string[] args)
    {
        try
        {
            var start = new ProcessStartInfo("git") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            using Process git = Process.Start(start)!;
            string output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
