using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Microsoft.Extensions.Configuration;

namespace Connector.Orchestrations.Tests.Configuration;

/// <summary>Every setting converted as the binder would convert it, every key a setting, each error naming its path.</summary>
public sealed class SettingsCheckTests
{
    [Fact]
    public void Check_ValidSettings_NoErrors()
        => Assert.Empty(Check(new()
        {
            ["Connector:Connections:0:Id"] = "abc",
            ["Connector:Connections:0:Sage:Timeout"] = "00:01:30",
            ["Connector:Connections:0:Sage:PinnedFingerprints:0"] = "AB",
            ["Connector:Connections:0:Actuals:PriorPeriods"] = "2",
            ["Connector:Connections:0:Actuals:Enabled"] = "true",
            ["Connector:Connections:0:Actuals:ReadBack:GlColumns:Debit"] = "Dr",
            ["Connector:Connections:0:Anaplan:ApiUrl"] = "https://api.anaplan.com/2/0",
            ["Connector:Storage:TablePrefix"] = "Connector",
        }));

    [Theory]
    [InlineData("Connector:Connections:0:Actuals:Enabled", "maybe", "Connector:Connections:0:Actuals:Enabled (connection 'abc'): 'maybe' is not true or false.")]
    [InlineData("Connector:Connections:0:Anaplan:ChunkSizeMb", "10MB", "Connector:Connections:0:Anaplan:ChunkSizeMb (connection 'abc'): '10MB' is not a whole number.")]
    [InlineData("Connector:Connections:0:Budgets:MaxParallelPosts", "99999999999", "Connector:Connections:0:Budgets:MaxParallelPosts (connection 'abc'): '99999999999' is not a whole number.")]
    [InlineData("Connector:Connections:0:Sage:Timeout", "soon", "Connector:Connections:0:Sage:Timeout (connection 'abc'): 'soon' is not a time span")]
    [InlineData("Connector:Connections:0:Sage:BaseUrI", "https://x", "Connector:Connections:0:Sage:BaseUrI (connection 'abc'): is not a setting")]
    [InlineData("Connector:Connections:first:Id", "x", "Connector:Connections:first: list entries are numbered")]
    [InlineData("Connector:Storage", "connector", "Connector:Storage: is a section of settings, not a single value")]
    public void Check_WrongValueOrName_NamesTheSetting(string key, string value, string error)
    {
        IReadOnlyList<string> errors = Check(new() { ["Connector:Connections:0:Id"] = "abc", [key] = value });
        Assert.Contains(errors, e => e.StartsWith(error, StringComparison.Ordinal));
    }

    [Fact]
    public void Check_CredentialsSection_IsCheckedAgainstItsOwnOptions()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Credentials:MasterKeyFiel"] = "/etc/key" }).Build();
        IReadOnlyList<string> errors = SettingsCheck.Check(configuration.GetSection(CredentialStoreOptions.SectionName), typeof(CredentialStoreOptions));
        Assert.Equal("Credentials:MasterKeyFiel: is not a setting", Assert.Single(errors).Split(" (")[0]);
    }

    private static IReadOnlyList<string> Check(Dictionary<string, string?> settings)
        => SettingsCheck.Check(new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(ConnectorOptions.SectionName), typeof(ConnectorOptions));
}
