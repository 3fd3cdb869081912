using System.Diagnostics;
using System.Text.RegularExpressions;
using Connector.Testing;

namespace Connector.Local.Tests;

/// <summary>The README's main command, run as a user runs it: the <c>connector</c> program as its own process.</summary>
public sealed partial class DemoCommandTests
{
    [Fact]
    public async Task Demo_OnAFreshHub_RunsTheJobAndStopsWhatItStarted()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot.Path,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "connector.dll"));
        start.ArgumentList.Add("demo");
        start.ArgumentList.Add("--taskhub");
        start.ArgumentList.Add(UniqueNames.TaskHub("Demo"));
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("CONNECTOR_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        string output = await stdout;

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{output}\n{await stderr}");
        Assert.Contains(": Completed in", output, StringComparison.Ordinal);
        Assert.Contains("Azurite stopped.", output, StringComparison.Ordinal);
        Assert.Matches(@"gl-actuals\s+Loaded", output);

        int azuritePid = int.Parse(AzuritePid().Match(output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(azuritePid)); // gone
    }

    [GeneratedRegex(@"\(pid (\d+)\)")]
    private static partial Regex AzuritePid();
}
