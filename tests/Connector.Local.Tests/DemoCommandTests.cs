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
        (int exit, string output, string errors) = await RunConnectorAsync("demo", "--taskhub", UniqueNames.TaskHub("Demo"));

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        Assert.Contains(": Completed in", output, StringComparison.Ordinal);
        Assert.Contains("Azurite stopped.", output, StringComparison.Ordinal);
        Assert.Matches(@"gl-actuals\s+Loaded", output);
        Assert.DoesNotContain("aligning dimensions", output + errors, StringComparison.Ordinal); // no progress into a pipe
        Assert.DoesNotContain("\u001b[", output, StringComparison.Ordinal);

        int azuritePid = int.Parse(AzuritePid().Match(output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(azuritePid)); // gone
    }

    [Fact]
    public async Task Demo_AtATerminal_ShowsTheRunsStepAndElapsedTimeLive()
    {
        // A pseudo-terminal (util-linux 'script') is what an operator's console is to the program.
        string storage = await TestStorage.GetConnectionStringAsync();
        string command = $"dotnet '{Path.Combine(AppContext.BaseDirectory, "connector.dll")}' demo --storage '{storage}' --taskhub {UniqueNames.TaskHub("Tty")}";
        var start = new ProcessStartInfo("script", ["-qec", command, "/dev/null"]) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        using Process terminal = Process.Start(start)!;
        terminal.StandardInput.Close();
        Task<string> screen = terminal.StandardOutput.ReadToEndAsync();
        await terminal.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        string shown = await screen;

        Assert.True(terminal.ExitCode == 0, shown);
        Assert.Matches(@"Run demo-abc:actuals:\S+ .*\(\d+(\.\d)? s\).*: (aligning dimensions|extracting|loading)", Regex.Replace(shown, @"\x1b\[[0-9;?]*[A-Za-z]", string.Empty));
        Assert.Contains(": Completed in", shown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunActuals_InvalidConnectionSettings_RefusedAtStartNamingTheSetting()
    {
        string settings = Path.Combine(Path.GetTempPath(), $"connector-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(settings, """
            {
              "Durable": { "ConnectionString": "UseDevelopmentStorage=true" },
              "Connector": { "Connections": [ { "Id": "abc", "CostCenterSegment": "Department",
                "Sage": { "BaseUrl": "http://sage.example.com", "Company": "ABC", "ApiKeyReference": "k" },
                "Anaplan": { "WorkspaceId": "8a81b09d5e8c6f27015ece3402487d33", "ModelId": "F1D5C6C1E2C64E5AA2D4A5E8D8E5B9A1", "UserName": "u", "PasswordReference": "p" } } ] }
            }
            """);
        try
        {
            (int exit, string output, string errors) = await RunConnectorAsync("run", "actuals", "--connection", "abc", "--settings", settings);
            Assert.Equal(Connector.Agent.CommandLine.ExitCodes.InvalidSettings, exit);
            Assert.Contains("The settings are not valid:", errors, StringComparison.Ordinal);
            Assert.Contains("Connector:Connections:0:Sage:BaseUrl (connection 'abc'): must be the agent's https:// address", errors, StringComparison.Ordinal);
            CommandLineTests.AssertNoStackTrace(output + errors);
        }
        finally
        {
            File.Delete(settings);
        }
    }

    private static Task<(int Exit, string Output, string Errors)> RunConnectorAsync(params string[] args)
        => ConnectorProcess.RunAsync(RepositoryRoot.Path, null, TimeSpan.FromMinutes(3), args);

    [GeneratedRegex(@"\(pid (\d+)\)")]
    private static partial Regex AzuritePid();
}
