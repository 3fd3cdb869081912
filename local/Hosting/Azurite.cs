using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Connector.Local.Hosting;

/// <summary>
/// A private Azurite (the Azure Storage emulator) started from the repository's <c>node_modules</c> on free loopback
/// ports with in-memory persistence, for the local demo and the tests. Disposing it kills the process by PID.
/// </summary>
public sealed partial class Azurite : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account key (public, documented by Microsoft).</summary>
    public const string DevAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process process;
    private readonly string workDirectory;

    private Azurite(Process process, string workDirectory, int blobPort, int queuePort, int tablePort)
    {
        this.process = process;
        this.workDirectory = workDirectory;
        this.BlobPort = blobPort;
        this.QueuePort = queuePort;
        this.TablePort = tablePort;
    }

    public int BlobPort { get; }

    public int QueuePort { get; }

    public int TablePort { get; }

    public int ProcessId => this.process.Id;

    /// <summary>Gets a connection string for this instance.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevAccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{this.BlobPort}/devstoreaccount1;" +
        $"QueueEndpoint=http://127.0.0.1:{this.QueuePort}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{this.TablePort}/devstoreaccount1;";

    /// <summary>Finds <c>node_modules/azurite</c> in <paramref name="startDirectory"/> or a parent directory.</summary>
    public static string? FindAzuriteScript(string startDirectory)
    {
        for (DirectoryInfo? dir = new(startDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "node_modules", "azurite", "dist", "src", "azurite.js");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Starts Azurite and returns once all three services listen.</summary>
    /// <exception cref="InvalidOperationException">Azurite or Node.js is missing, or Azurite did not start.</exception>
    public static async Task<Azurite> StartAsync(string? searchFrom = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        string script = FindAzuriteScript(searchFrom ?? AppContext.BaseDirectory)
            ?? FindAzuriteScript(Directory.GetCurrentDirectory())
            ?? throw new InvalidOperationException(
                "Azurite is not installed: run 'npm ci' in the repository root (it installs the pinned azurite package).");

        string work = Directory.CreateTempSubdirectory("azurite-").FullName;
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = work,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // --disableTelemetry: Azurite (the pinned 3.37) records every request for Application Insights unless told not to. Nothing
        // of a connector's storage traffic should leave the machine, and that recording was about 6 % of Azurite's processor
        // time in a 1 M-row benchmark run (perf), on the same cores as the run.
        foreach (string arg in new[]
        {
            script, "--silent", "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
            "--blobHost", "127.0.0.1", "--blobPort", "0",
            "--queueHost", "127.0.0.1", "--queuePort", "0",
            "--tableHost", "127.0.0.1", "--tablePort", "0",
        })
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("Node.js ('node') is needed to run Azurite and was not found on PATH.", ex);
        }

        var ports = new Dictionary<string, int>(StringComparer.Ordinal);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException($"Azurite exited before it was ready: {output}"));
                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
                Match match = ListeningLine().Match(e.Data);
                if (match.Success)
                {
                    ports[match.Groups["service"].Value] = int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
                    if (ports.Count == 3)
                    {
                        ready.TrySetResult();
                    }
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await ready.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(60), cancellationToken);
        }
        catch
        {
            Kill(process);
            throw;
        }

        var azurite = new Azurite(process, work, ports["Blob"], ports["Queue"], ports["Table"]);

        // If the host process dies without disposing, do not leave Azurite behind.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Kill(process);
        return azurite;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        Kill(this.process);
        await this.process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        this.process.Dispose();
        try
        {
            Directory.Delete(this.workDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    [GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service is successfully listening at http://[^:]+:(?<port>\d+)")]
    private static partial Regex ListeningLine();
}
