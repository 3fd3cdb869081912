using System.Diagnostics;
using System.Globalization;

namespace Connector.Bench;

/// <summary>
/// A process the benchmark started (agent, emulator, worker): its output is drained (the last lines kept for errors),
/// its peak resident set is read from <c>/proc</c>, and disposing it kills it and its children by process id.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly Queue<string> tail = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> waits = [];

    private ChildProcess(string name, Process process)
    {
        this.Name = name;
        this.process = process;
    }

    public string Name { get; }

    public int Id => this.process.Id;

    /// <summary>Starts <c>dotnet <paramref name="dll"/> <paramref name="arguments"/></c>.</summary>
    public static ChildProcess StartDotnet(string name, string dll, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} is not built: run the benchmark with 'dotnet run -c Release --project bench', which builds it.");
        }

        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(dll)!,
        };
        start.ArgumentList.Add(dll);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        // Each process gets the server's default: no DOTNET_ variables of the benchmark leak into it.
        start.Environment.Remove("DOTNET_gcServer");
        var child = new ChildProcess(name, Process.Start(start) ?? throw new InvalidOperationException($"{name} did not start."));
        child.process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        child.process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        child.process.BeginOutputReadLine();
        child.process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for an output line matching <paramref name="match"/> and returns it.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (this.tail)
        {
            if (this.tail.FirstOrDefault(match) is { } already)
            {
                return already;
            }

            this.waits.Add((match, seen));
        }

        try
        {
            return await seen.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"{this.Name} did not become ready within {timeout}; its last output:\n{this.Tail()}");
        }
    }

    /// <summary>The processor time the process has used so far (user and kernel).</summary>
    public TimeSpan CpuTime()
    {
        this.process.Refresh();
        return this.process.TotalProcessorTime;
    }

    /// <summary>The processor time any process has used so far (user and kernel); zero once it has exited.</summary>
    public static TimeSpan CpuTime(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return process.TotalProcessorTime;
        }
        catch (ArgumentException)
        {
            return TimeSpan.Zero;
        }
    }

    /// <summary>
    /// The processor time so far of each of the runtime's tiered-compilation threads (the JIT recompiling hot methods at
    /// tier 1, in the background), by thread id, in clock ticks, from <c>/proc/&lt;pid&gt;/task/*/stat</c>; null where
    /// <c>/proc</c> does not exist. Work the JIT does on the request threads (a method's first compilation) is not in it.
    /// </summary>
    public IReadOnlyDictionary<int, long>? TieringThreads()
    {
        string tasks = $"/proc/{this.process.Id}/task";
        if (!Directory.Exists(tasks))
        {
            return null;
        }

        var ticks = new Dictionary<int, long>();
        foreach (string task in Directory.EnumerateDirectories(tasks))
        {
            try
            {
                if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith(".NET Tiered Com", StringComparison.Ordinal))
                {
                    continue;
                }

                // Fields after the command's closing parenthesis: state is the 3rd field, utime the 14th and stime the 15th.
                string stat = File.ReadAllText(Path.Combine(task, "stat"));
                string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                ticks[int.Parse(Path.GetFileName(task), System.Globalization.CultureInfo.InvariantCulture)] =
                    long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The thread ended meanwhile: its time is gone with it.
            }
        }

        return ticks;
    }

    /// <summary>
    /// The tiered-compilation threads' processor time since <paramref name="before"/> (<see cref="TieringThreads"/>): each
    /// thread's time since then, a thread started since counted whole. The runtime ends an idle tiering thread and starts
    /// another when there is work again, and an ended thread's time cannot be read any more: what it did after
    /// <paramref name="before"/> is missing, so this is a lower bound (a plain difference of the totals went negative).
    /// </summary>
    public TimeSpan? TieringCpuTimeSince(IReadOnlyDictionary<int, long>? before)
    {
        if (before is null || this.TieringThreads() is not { } now)
        {
            return null;
        }

        long ticks = now.Sum(t => t.Value - before.GetValueOrDefault(t.Key));
        return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ, 100 on Linux
    }

    /// <summary>The peak resident set size in bytes so far (Linux <c>VmHWM</c>); null where <c>/proc</c> does not exist.</summary>
    public long? PeakResidentBytes() => PeakResidentBytes(this.process.Id);

    /// <summary>The peak resident set size of any process (Linux <c>VmHWM</c>).</summary>
    public static long? PeakResidentBytes(int processId)
    {
        string status = $"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/status";
        if (!File.Exists(status))
        {
            return null;
        }

        string? line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? null : long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>The last lines the process wrote.</summary>
    public string Tail()
    {
        lock (this.tail)
        {
            return string.Join('\n', this.tail);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!this.process.HasExited)
        {
            this.process.Kill(entireProcessTree: true);
            await this.process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        this.process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (this.tail)
        {
            this.tail.Enqueue(line);
            while (this.tail.Count > 40)
            {
                this.tail.Dequeue();
            }

            foreach (var wait in this.waits.Where(w => w.Match(line)).ToList())
            {
                wait.Seen.TrySetResult(line);
                this.waits.Remove(wait);
            }
        }
    }
}
