using System.Security.Cryptography;
using Connector.Orchestrations.Credentials;
using Connector.Testing;

namespace Connector.Local.Tests;

/// <summary>
/// The <c>connector</c> program refuses to start when its settings or its credentials are not usable, naming the
/// setting (and the reference), instead of running without a connection or looping on a key it cannot read.
/// </summary>
public sealed class StartupChecksTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("connector-startup-").FullName;
    private readonly string masterKeyVariable = "TEST_MASTER_KEY_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

    [Fact]
    public async Task WronglyTypedSettings_RefusedAtStart_NamingEachSetting_NotADroppedConnection()
    {
        string settings = await this.WriteSettingsAsync(
            """ "PriorPeriods": "abc", "Schedule": "0 0 2 * * *" """,
            """ "Timeout": "soon" """,
            extraConnection: """ , "PriorPeriod": 2 """);

        (int exit, string output, string errors) = await this.RunConnectorAsync(null, "run", "actuals", "--connection", "abc-fpa", "--settings", settings);

        Assert.True(exit == Connector.Agent.CommandLine.ExitCodes.InvalidSettings, $"exit {exit}\n{output}\n{errors}");
        Assert.Contains("Connector:Connections:0:Actuals:PriorPeriods (connection 'abc-fpa'): 'abc' is not a whole number", errors, StringComparison.Ordinal);
        Assert.Contains("Connector:Connections:0:Sage:Timeout (connection 'abc-fpa'): 'soon' is not a time span", errors, StringComparison.Ordinal);
        Assert.Contains("Connector:Connections:0:PriorPeriod (connection 'abc-fpa'): is not a setting", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("No connection 'abc-fpa' is configured", output + errors, StringComparison.Ordinal);
        CommandLineTests.AssertNoStackTrace(output + errors);
    }

    [Theory]
    [InlineData(null, "needs its master key: set the environment variable")]
    [InlineData("not base64 at all!", "is not valid base64")]
    [InlineData("c2hvcnQ=", "it must be 32")]
    public async Task MasterKeyMissingOrMalformed_RefusedAtStart_NamingWhereItComesFrom(string? masterKey, string problem)
    {
        string settings = await this.WriteSettingsAsync();

        (int exit, string output, string errors) = await this.RunConnectorAsync(masterKey, "run", "actuals", "--connection", "abc-fpa", "--settings", settings);

        Assert.True(exit == 1, $"exit {exit}\n{output}\n{errors}");
        Assert.Contains("The credential store cannot be opened", errors, StringComparison.Ordinal);
        Assert.Contains(problem, errors, StringComparison.Ordinal);
        Assert.Contains(this.masterKeyVariable, errors, StringComparison.Ordinal);
        CommandLineTests.AssertNoStackTrace(output + errors);
        if (masterKey is not null)
        {
            Assert.DoesNotContain(masterKey, output + errors, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ReferencedSecretMissing_RefusedAtStart_NamingSettingAndReference_NeverAValue()
    {
        string masterKey = EncryptedFileCredentialStore.NewMasterKey();
        string apiKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        using (var store = new EncryptedFileCredentialStore(Path.Combine(this.dir, "credentials.json"), Convert.FromBase64String(masterKey)))
        {
            await store.SetAsync("sage-abc-apikey", apiKey); // the Anaplan password is not there
        }

        (int exit, string output, string errors) = await this.RunConnectorAsync(masterKey, "run", "actuals", "--connection", "abc-fpa", "--settings", await this.WriteSettingsAsync());

        Assert.True(exit == 1, $"exit {exit}\n{output}\n{errors}");
        Assert.Contains("Connector:Connections:0:Anaplan:PasswordReference (connection 'abc-fpa'): no credential is stored under 'anaplan-password'", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("Sage:ApiKeyReference", errors, StringComparison.Ordinal);
        Assert.DoesNotContain(apiKey, output + errors, StringComparison.Ordinal);
        Assert.DoesNotContain(masterKey, output + errors, StringComparison.Ordinal);
        CommandLineTests.AssertNoStackTrace(output + errors);
    }

    [Theory]
    [InlineData("00:00:00", "Durable:RetryFirstInterval must be more than 0 and at most 00:02:00")]
    [InlineData("soon", "'soon' at 'Durable:RetryFirstInterval'")]
    public async Task DurableRetryFirstIntervalNotUsable_WorkerRefusesToStart_NamingTheSetting(string value, string message)
    {
        string masterKey = EncryptedFileCredentialStore.NewMasterKey();

        (int exit, string output, string errors) = await this.RunConnectorAsync(masterKey, "worker", "--settings", await this.WriteSettingsAsync(), "--Durable:RetryFirstInterval", value);

        Assert.True(exit != 0, $"exit {exit}\n{output}\n{errors}");
        Assert.Contains(message, errors, StringComparison.Ordinal);
        CommandLineTests.AssertNoStackTrace(output + errors);
    }

    public void Dispose() => Directory.Delete(this.dir, recursive: true);

    /// <summary>Settings as an operator writes them, on the test storage (so nothing but the checks stops the program).</summary>
    private async Task<string> WriteSettingsAsync(string actuals = "", string sage = "", string extraConnection = "")
    {
        string storage = (await TestStorage.GetConnectionStringAsync()).Replace("\\", "\\\\", StringComparison.Ordinal);
        string path = Path.Combine(this.dir, $"settings-{Guid.NewGuid():N}.json");
        string credentials = Path.Combine(this.dir, "credentials.json").Replace("\\", "\\\\", StringComparison.Ordinal);
        File.WriteAllText(path, $$"""
            {
              "Durable": { "ConnectionString": "{{storage}}", "TaskHubName": "{{UniqueNames.TaskHub("Start")}}" },
              "Credentials": { "Store": "EncryptedFile", "File": "{{credentials}}", "MasterKeyVariable": "{{this.masterKeyVariable}}" },
              "Connector": { "Connections": [ { "Id": "abc-fpa", "CostCenterSegment": "Department"{{extraConnection}},
                "Sage": { "BaseUrl": "https://sage.example.com:5443", "Company": "ABC", "ApiKeyReference": "sage-abc-apikey", "TlsMode": "System"{{(sage.Length > 0 ? "," + sage : string.Empty)}} },
                "Anaplan": { "WorkspaceId": "8a81b09d5e8c6f27015ece3402487d33", "ModelId": "F1D5C6C1E2C64E5AA2D4A5E8D8E5B9A1", "UserName": "u", "PasswordReference": "anaplan-password" },
                "Actuals": { "Enabled": true{{(actuals.Length > 0 ? "," + actuals : string.Empty)}} } } ] }
            }
            """);
        return path;
    }

    private Task<(int Exit, string Output, string Errors)> RunConnectorAsync(string? masterKey, params string[] args)
        => ConnectorProcess.RunAsync(
            this.dir, masterKey is null ? null : new Dictionary<string, string> { [this.masterKeyVariable] = masterKey }, TimeSpan.FromMinutes(2), args);
}
