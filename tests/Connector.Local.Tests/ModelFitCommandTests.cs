using System.Text.Json;
using Connector.Agent.CommandLine;
using Connector.Emulators.Anaplan;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Testing;

namespace Connector.Local.Tests;

/// <summary>
/// <c>connector check</c> and <c>connector discover</c> as an operator runs them, in their own process, against the real
/// agent (HTTPS, pinned) and the Anaplan emulator: exit codes, the fix on a failed line, <c>--json</c>, and a discovered
/// settings file that <c>check</c> then passes.
/// </summary>
public sealed class ModelFitCommandTests(ModelFitCommandTests.Fixture fixture) : IClassFixture<ModelFitCommandTests.Fixture>
{
    [Fact]
    public async Task Check_GoodConnection_Json_EveryLinePasses_ExitZero()
    {
        (int exit, string output, string errors) = await fixture.RunAsync("check", "abc-fpa", "--json", "--settings", fixture.Template);

        Assert.True(exit == ExitCodes.Ok, $"exit {exit}\n{output}\n{errors}");
        using JsonDocument report = JsonDocument.Parse(output);
        Assert.True(report.RootElement.GetProperty("passed").GetBoolean());
        Assert.All(report.RootElement.GetProperty("lines").EnumerateArray(), l => Assert.Equal("pass", l.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task Check_CompanyNotOnTheAgent_FailsThatLineWithTheFix_ExitOne()
    {
        (int exit, string output, string errors) = await fixture.RunAsync("check", "abc-fpa", "--settings", fixture.Template, "--Connector:Connections:0:Sage:Company", "XYZ");

        Assert.True(exit == ExitCodes.Failed, $"exit {exit}\n{output}\n{errors}");
        Assert.Contains("FAIL  Sage company exists", output, StringComparison.Ordinal);
        Assert.Contains("fix: Set Sage:Company to one of", output, StringComparison.Ordinal);
        Assert.Contains("abc-fpa: 1 line(s) failed; nothing was written.", output, StringComparison.Ordinal);
        CommandLineTests.AssertNoStackTrace(output + errors);
    }

    [Fact]
    public async Task Check_UnknownConnection_NotFoundExitCode()
    {
        (int exit, _, string errors) = await fixture.RunAsync("check", "nope", "--settings", fixture.Template);

        Assert.True(exit == ExitCodes.NotFound, $"exit {exit}\n{errors}");
        Assert.Contains("'nope'", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Discover_WritesASettingsFile_ThatCheckThenPasses()
    {
        string file = Path.Combine(fixture.Directory, $"discovered-{Guid.NewGuid():N}.json");

        (int exit, string output, string errors) = await fixture.RunAsync(
            "discover", "--connection", "abc-fpa", "--model", "Simple Planning", "--id", "abc-simple", "--out", file, "--settings", fixture.Template);

        Assert.True(exit == ExitCodes.Ok, $"exit {exit}\n{output}\n{errors}");
        Assert.Contains("import  'Load GL' (", output, StringComparison.Ordinal);
        Assert.Contains("Account, Cost Center, Period, Amount", output, StringComparison.Ordinal);
        Assert.Contains($"Wrote the starter settings of connection 'abc-simple' to {file}", output, StringComparison.Ordinal);
        Assert.True(File.Exists(file));

        (int checkExit, string checkOutput, string checkErrors) = await fixture.RunAsync("check", "abc-simple", "--settings", file);

        Assert.True(checkExit == ExitCodes.Ok, $"exit {checkExit}\n{checkOutput}\n{checkErrors}");
        Assert.Contains("PASS  Import 'Load GL' columns mapped", checkOutput, StringComparison.Ordinal);
    }

    public sealed class Fixture : IAsyncLifetime
    {
        private static readonly JsonSerializerOptions SkipNulls = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
        private readonly string masterKeyVariable = "TEST_MASTER_KEY_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        private LocalEnvironment environment = null!;

        public string Directory => this.environment.Directory;

        /// <summary>A settings file with the shipped model's connection (the credential file comes from connector.settings.json).</summary>
        public string Template { get; private set; } = null!;

        public Task<(int Exit, string Output, string Errors)> RunAsync(params string[] args)
            => ConnectorProcess.RunAsync(this.Directory, new Dictionary<string, string> { [this.masterKeyVariable] = this.environment.MasterKey }, TimeSpan.FromMinutes(2), args);

        public async Task InitializeAsync()
        {
            this.environment = await LocalEnvironment.StartAsync(new LocalEnvironmentOptions
            {
                StorageConnectionString = await TestStorage.GetConnectionStringAsync(),
                ConfigureAnaplan = o => o.AdditionalModelPaths.Add(AnaplanEmulatorOptions.SimpleModelPath),
            });
            await File.WriteAllTextAsync(
                Path.Combine(this.Directory, "connector.settings.json"),
                JsonSerializer.Serialize(new { Credentials = new { Store = "EncryptedFile", File = this.environment.CredentialFile, MasterKeyVariable = this.masterKeyVariable } }));
            ConnectionOptions shipped = this.environment.Connection("abc-fpa", "ABC", "Department");
            this.Template = Path.Combine(this.Directory, "template.settings.json");
            await File.WriteAllTextAsync(this.Template, JsonSerializer.Serialize(new { Connector = new { Connections = new[] { shipped } } }, SkipNulls));
        }

        public async Task DisposeAsync() => await this.environment.DisposeAsync();
    }
}
