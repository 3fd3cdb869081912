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

        int azuritePid = int.Parse(AzuritePid().Match(output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(azuritePid)); // gone
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
            Assert.Equal(1, exit);
            Assert.Contains("Connector:Connections:0:Sage:BaseUrl (connection 'abc'): must be the agent's https:// address", errors, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", output + errors, StringComparison.Ordinal);
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
