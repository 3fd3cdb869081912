using System.Diagnostics;

namespace Connector.Testing;

/// <summary>A <c>Connector.Local.TestWorker</c> process: started, awaited until ready, killed or awaited on exit.</summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process process;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> output = new();

    private WorkerProcess(Process process) => this.process = process;

    public int Id => this.process.Id;

    /// <summary>Gets every line the process wrote so far, standard output and error (for secret checks).</summary>
    public IReadOnlyList<string> Output => [.. this.output];

    public bool HasExited => this.process.HasExited;

    /// <summary>Starts the worker with <paramref name="arguments"/> and returns once it reports ready.</summary>
    public static async Task<WorkerProcess> StartAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Connector.Local.TestWorker.dll"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        Process process = Process.Start(start)!;
        var worker = new WorkerProcess(process);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                worker.output.Enqueue(e.Data);
            }

            if (e.Data == "worker-ready")
            {
                ready.TrySetResult();
            }
            else if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException($"The test worker exited before it was ready: {errors}"));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                worker.output.Enqueue(e.Data);
                lock (errors)
                {
                    errors.AppendLine(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(90));
        }
        catch
        {
            worker.Dispose();
            throw;
        }

        return worker;
    }

    /// <summary>Waits for the process to end on its own.</summary>
    public Task WaitForExitAsync(TimeSpan timeout) => this.process.WaitForExitAsync().WaitAsync(timeout);

    /// <summary>SIGKILL: no graceful shutdown.</summary>
    public void Kill() => this.process.Kill(entireProcessTree: true);

    public void Dispose()
    {
        if (!this.process.HasExited)
        {
            this.process.Kill(entireProcessTree: true);
            this.process.WaitForExit(10_000);
        }

        this.process.Dispose();
    }
}
