using System.Collections;
using System.Reflection;
using Connector.Infra.Tests.Tools;
using Connector.Orchestrations.Configuration;
using Microsoft.Extensions.Configuration;

namespace Connector.Infra.Tests;

/// <summary>The app settings infra/main.bicep gives the Function App, against what the app and its host read.</summary>
public sealed class AppSettingsTests
{
    private const string ConnectionPrefix = "Connector__Connections__";

    private static readonly string[] ConnectionIds = ["abc", "def-2"];

    /// <summary>The keys of a connection that sets only the required fields (Certificate authentication).</summary>
    private static readonly string[] RequiredOnlyKeys =
    [
        "Anaplan__AuthMode", "Anaplan__CertificateReference", "Anaplan__ModelId", "Anaplan__PrivateKeyReference",
        "Anaplan__WorkspaceId", "CostCenterSegment", "Id", "Sage__ApiKeyReference", "Sage__BaseUrl", "Sage__Company",
    ];

    private static IReadOnlyDictionary<string, string> Settings => Deployment.Full.AppSettings;

    [Fact]
    public void Settings_IncludeEverySettingTheConnectorReads()
        => Assert.DoesNotContain(Expectations.ConnectorSettings, name => !Settings.ContainsKey(name));

    [Fact]
    public void Settings_IncludeEverySettingHostJsonAndTheTriggerBindingsReference()
    {
        IReadOnlyList<string> referenced = Expectations.SettingsReferencedByHost();
        Assert.Contains("TASKHUB_NAME", referenced);
        Assert.Contains("SELFTEST_SCHEDULE", referenced);
        Assert.DoesNotContain(referenced, name => !Settings.TryGetValue(name, out string? value) || value.Length == 0);
    }

    [Fact]
    public void HostStorage_IsIdentityBased_ThroughTheUserAssignedIdentity()
    {
        Assert.DoesNotContain(Expectations.HostStorageSettings, name => !Settings.ContainsKey(name));
        Assert.Equal("managedidentity", Settings["AzureWebJobsStorage__credential"]);

        Deployment deployment = Deployment.Full;
        string account = Deployment.Id(deployment.Single("Microsoft.Storage/storageAccounts"));
        Assert.Matches(Deployment.RuntimeReference(deployment.IdentityId, "clientId"), Settings["AzureWebJobsStorage__clientId"]);
        Assert.Matches(Deployment.RuntimeReference(account, "primaryEndpoints.blob"), Settings["AzureWebJobsStorage__blobServiceUri"]);
        Assert.Matches(Deployment.RuntimeReference(account, "primaryEndpoints.queue"), Settings["AzureWebJobsStorage__queueServiceUri"]);
        Assert.Matches(Deployment.RuntimeReference(account, "primaryEndpoints.table"), Settings["AzureWebJobsStorage__tableServiceUri"]);
    }

    [Fact]
    public void ConnectorStorageAndCredentials_UseTheSameAccountIdentityAndVault()
    {
        Deployment deployment = Deployment.Full;
        string account = Deployment.Id(deployment.Single("Microsoft.Storage/storageAccounts"));
        Assert.Matches(Deployment.RuntimeReference(account, "primaryEndpoints.blob"), Settings["Connector__Storage__BlobServiceUri"]);
        Assert.Matches(Deployment.RuntimeReference(account, "primaryEndpoints.table"), Settings["Connector__Storage__TableServiceUri"]);
        Assert.Matches(Deployment.RuntimeReference(deployment.IdentityId, "clientId"), Settings["Connector__Storage__ManagedIdentityClientId"]);
        Assert.Equal("KeyVault", Settings["Credentials__Store"]);
        Assert.Matches(Deployment.RuntimeReference(Deployment.Id(deployment.Single("Microsoft.KeyVault/vaults")), "vaultUri"), Settings["Credentials__KeyVaultUri"]);
    }

    [Fact]
    public void Settings_DefaultsAreTheDocumentedOnes()
    {
        Assert.Equal("0 */5 * * * *", Settings["SCHEDULE_TICK"]);
        Assert.Equal("false", Settings["Ops__ReadOnly"]);
        Assert.Equal(6, Settings["SELFTEST_SCHEDULE"].Split(' ').Length);
    }

    [Fact]
    public void Settings_HaveNoFlexConsumptionRejectsAndNoKeyBasedStorage()
        => Assert.DoesNotContain(Expectations.ForbiddenSettings, Settings.ContainsKey);

    [Fact]
    public void SettingValues_NeverLookLikeSecrets()
    {
        foreach ((string name, string value) in Settings)
        {
            Assert.False(
                Expectations.SecretMarkers.Any(marker => value.Contains(marker, StringComparison.OrdinalIgnoreCase)),
                $"{name} looks like it carries a secret: {value}");
        }
    }

    [Fact]
    public void Connections_SecretFieldsAreKeyVaultSecretNames()
    {
        Assert.Equal("sage-abc-apikey", Settings["Connector__Connections__0__Sage__ApiKeyReference"]);
        Assert.Equal("anaplan-abc-password", Settings["Connector__Connections__0__Anaplan__PasswordReference"]);
        Assert.Equal("anaplan-def-certificate", Settings["Connector__Connections__1__Anaplan__CertificateReference"]);
        Assert.Equal("anaplan-def-private-key", Settings["Connector__Connections__1__Anaplan__PrivateKeyReference"]);
    }

    [Fact]
    public void Connections_EveryEmittedKeyIsAConnectorOptionsProperty()
    {
        // The configuration binder ignores keys it does not know: a misspelt setting would silently do nothing.
        var keys = Settings.Keys.Where(k => k.StartsWith("Connector__", StringComparison.Ordinal)).ToList();
        Assert.Contains(keys, k => k.StartsWith(ConnectionPrefix, StringComparison.Ordinal));
        Assert.DoesNotContain(keys, k => !IsProperty(typeof(ConnectorOptions), k.Split("__").Skip(1)));
    }

    [Fact]
    public void Connections_BindToConnectorOptions_AndPassTheAppsValidator()
    {
        ConnectorOptions options = Bind();
        ConnectorOptionsValidator.ThrowIfInvalid(options);

        Assert.Equal(ConnectionIds, options.Connections.Select(c => c.Id));
        ConnectionOptions full = options.Connections[0];
        Assert.Equal(new Uri("https://sage-agent.example.com:8443"), full.Sage.BaseUrl);
        Assert.Equal("Pinned", full.Sage.TlsMode);
        Assert.Equal(2, full.Sage.PinnedFingerprints.Count);
        Assert.Equal("integration@example.com", full.Anaplan.UserName);
        Assert.Equal("Department", full.CostCenterSegment);
        Assert.Equal("America/New_York", full.Actuals.TimeZone);
        Assert.True(full.Budgets.Enabled);
        Assert.Equal("Forecast", full.Budgets.Version);
        Assert.Equal("9999-00", full.Budgets.OffsetAccount);
    }

    [Fact]
    public void Connections_UnsetOptionalFields_AreLeftOut_SoTheAppDefaultsApply()
    {
        var second = Settings.Keys.Where(k => k.StartsWith(ConnectionPrefix + "1__", StringComparison.Ordinal))
            .Select(k => k[(ConnectionPrefix.Length + 3)..])
            .Order(StringComparer.Ordinal);
        Assert.Equal(RequiredOnlyKeys, second);

        ConnectionOptions defaults = Bind().Connections[1];
        Assert.Equal("System", defaults.Sage.TlsMode);
        Assert.True(defaults.Actuals.Enabled);
        Assert.False(defaults.Budgets.Enabled);
        Assert.Equal(new Uri("https://api.anaplan.com/2/0"), defaults.Anaplan.ApiUrl);
    }

    [Fact]
    public void Connections_NoneConfigured_NoConnectionSettings()
        => Assert.DoesNotContain(Deployment.Minimal.AppSettings.Keys, k => k.StartsWith(ConnectionPrefix, StringComparison.Ordinal));

    /// <summary>Binds the connection settings the way the app's configuration does ("__" is the section separator).</summary>
    private static ConnectorOptions Bind()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(Settings
                .Where(s => s.Key.StartsWith(ConnectionPrefix, StringComparison.Ordinal))
                .Select(s => KeyValuePair.Create(s.Key.Replace("__", ":", StringComparison.Ordinal), (string?)s.Value)))
            .Build();
        return configuration.GetSection(ConnectorOptions.SectionName).Get<ConnectorOptions>() ?? new ConnectorOptions();
    }

    /// <summary>Whether a configuration path (property names, list indexes) leads to a property of <paramref name="type"/>.</summary>
    private static bool IsProperty(Type type, IEnumerable<string> path)
    {
        foreach (string segment in path)
        {
            if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type) && type.IsGenericType && int.TryParse(segment, out _))
            {
                type = type.GetGenericArguments()[0];
                continue;
            }

            PropertyInfo? property = type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || !property.CanWrite)
            {
                return false;
            }

            type = property.PropertyType;
        }

        return true;
    }
}
