using System.Diagnostics;

namespace Connector.Local.Tests;

/// <summary>The <c>connector</c> program run as a user runs it: its own process, none of this test process's CONNECTOR_ settings.</summary>
internal static class ConnectorProcess
{
    /// <summary>Runs <c>connector</c> with <paramref name="args"/>; killed (and the test failed) if it does not stop within <paramref name="timeout"/>.</summary>
    public static async Task<(int Exit, string Output, string Errors)> RunAsync(
        string workingDirectory, IReadOnlyDictionary<string, string>? environment, TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "connector.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("CONNECTOR_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"connector {string.Join(' ', args)} did not stop within {timeout}:\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
