using System.Diagnostics;
using System.Text;

namespace Connector.Tests.Shared;

/// <summary>
/// A program of this repository run as an operator runs it: its own process (<c>dotnet program.dll args</c>), standard
/// output and error captured line by line, standard input given or closed, without the test process's
/// <c>CONNECTOR_</c> settings; stopped with SIGTERM like a service manager stops it.
/// </summary>
public sealed class CommandProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly StringBuilder errors = new();
    private readonly Lock gate = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> waiters = [];
    private readonly TaskCompletionSource outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource errorsClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CommandProcess(Process process) => this.process = process;

    public int Id => this.process.Id;

    public bool HasExited => this.process.HasExited;

    /// <summary>Gets what the program wrote to standard output so far.</summary>
    public string Output
    {
        get
        {
            lock (this.gate)
            {
                return this.output.ToString();
            }
        }
    }

    /// <summary>Gets what the program wrote to standard error so far.</summary>
    public string Errors
    {
        get
        {
            lock (this.gate)
            {
                return this.errors.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="program"/> (a .dll beside the test assembly).</summary>
    public static CommandProcess Start(string program, IEnumerable<string> args, string? standardInput = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("CONNECTOR_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        var command = new CommandProcess(Process.Start(start)!);
        command.process.OutputDataReceived += (_, e) => command.Received(e.Data, command.output, command.outputClosed);
        command.process.ErrorDataReceived += (_, e) => command.Received(e.Data, command.errors, command.errorsClosed);
        command.process.BeginOutputReadLine();
        command.process.BeginErrorReadLine();
        if (standardInput is not null)
        {
            command.process.StandardInput.Write(standardInput);
        }

        command.process.StandardInput.Close();
        return command;
    }

    /// <summary>Runs <paramref name="program"/> to its end; returns its exit code, output and errors.</summary>
    public static async Task<(int Exit, string Output, string Errors)> RunAsync(
        string program, IEnumerable<string> args, string? standardInput = null, TimeSpan? timeout = null)
    {
        await using CommandProcess command = Start(program, args, standardInput);
        int exit = await command.WaitForExitAsync(timeout ?? TimeSpan.FromMinutes(3));
        return (exit, command.Output, command.Errors);
    }

    /// <summary>Waits until the program writes a line (to either stream) that <paramref name="match"/> accepts.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (this.gate)
        {
            string? already = this.output.ToString().Split('\n').Concat(this.errors.ToString().Split('\n')).Select(l => l.TrimEnd('\r')).FirstOrDefault(match);
            if (already is not null)
            {
                return already;
            }

            this.waiters.Add((match, seen));
        }

        Task exited = this.process.WaitForExitAsync();
        Task first = await Task.WhenAny(seen.Task, exited, Task.Delay(timeout));
        if (first == seen.Task)
        {
            return await seen.Task;
        }

        throw new TimeoutException(first == exited
            ? $"The program exited ({this.process.ExitCode}) before the line was seen.\n{this.Output}\n{this.Errors}"
            : $"The line was not seen within {timeout}.\n{this.Output}\n{this.Errors}");
    }

    /// <summary>Sends SIGTERM, as systemd, Docker or Kubernetes do to stop a service.</summary>
    public void Terminate()
    {
        using Process kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", this.process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -TERM {this.process.Id} failed ({kill.ExitCode}).");
        }
    }

    /// <summary>Waits for the program to end (and its output to be read); returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await this.process.WaitForExitAsync().WaitAsync(timeout);
            await Task.WhenAll(this.outputClosed.Task, this.errorsClosed.Task).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The program did not exit within {timeout}.\n{this.Output}\n{this.Errors}");
        }

        return this.process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!this.process.HasExited)
        {
            this.process.Kill(entireProcessTree: true);
            await this.process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        this.process.Dispose();
    }

    private void Received(string? line, StringBuilder into, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }

        lock (this.gate)
        {
            into.AppendLine(line);
            foreach (var waiter in this.waiters.Where(w => w.Match(line)).ToList())
            {
                waiter.Seen.TrySetResult(line);
                this.waiters.Remove(waiter);
            }
        }
    }
}
