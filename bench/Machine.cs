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
