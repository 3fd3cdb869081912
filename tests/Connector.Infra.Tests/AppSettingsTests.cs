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

        // The settings the first version of this parameter left out.
        Assert.Equal("FY{yy} P{pp}", full.PeriodFormat);
        Assert.Equal(0, full.Actuals.PriorPeriods);
        Assert.Equal(TimeSpan.FromMinutes(20), full.Actuals.IncrementalOverlap);
        Assert.Equal("GL Actuals (Sage)", full.Actuals.Imports.GlActuals);
        Assert.Equal(string.Empty, full.Actuals.Exports.CostCenters);
        Assert.Equal("BU", full.Budgets.SourceJournal);
        Assert.Equal("VersionPeriod", full.Budgets.Grouping);
        Assert.Equal(4, full.Budgets.MaxParallelPosts);
        Assert.Equal(25, full.Anaplan.ChunkSizeMb);
        Assert.Equal(300, full.Anaplan.RequestsPerMinute);
        Assert.Equal(TimeSpan.FromSeconds(10), full.Anaplan.PollInterval);
        Assert.Equal(TimeSpan.FromHours(2), full.Anaplan.TaskTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), full.Sage.Timeout);
        Assert.Equal(8, full.Sage.MaxRetryAttempts);
        Assert.Equal(TimeSpan.FromSeconds(2), full.Sage.RetryBaseDelay);

        // Issue 9's read-back exports and their column names.
        Assert.Equal("GL Actuals Read-back (Sage)", full.Actuals.ReadBack.GlExport);
        Assert.Equal("AP Actuals Read-back (Sage)", full.Actuals.ReadBack.ApExport);
        Assert.Equal("Department", full.Actuals.ReadBack.GlColumns.CostCenter);
        Assert.Equal("Invoices", full.Actuals.ReadBack.ApColumns.InvoiceCount);

        // Issue 11's model fit: period codes, the account item, lists, column overrides, the budget view's shape. A
        // field set to '' reaches the app as empty and clears the default (no cost-centre list, no version column).
        Assert.Equal(("Calendar", "Fold", "FY{yy} Adj", "{account}-{costcenter}"), (full.PeriodYear, full.Period13, full.Period13Format, full.AccountFormat));
        Assert.Equal("GL Accounts", full.Actuals.Lists.Accounts);
        Assert.Equal(string.Empty, full.Actuals.Lists.CostCenters);
        Assert.Equal(string.Empty, full.Actuals.Imports.CostCenters);
        Assert.Equal("=Sage 100", full.Actuals.Columns.GlActuals["DataSource"]);
        Assert.Equal("invoice amount", full.Actuals.Columns.ApActuals["Spend"]);
        Assert.Equal("Department", full.Actuals.ReadBack.ApColumns.CostCenter);
        Assert.Equal("PeriodColumns", full.Budgets.Layout);
        Assert.Equal(("GL Account", string.Empty, string.Empty), (full.Budgets.Columns.Account, full.Budgets.Columns.Version, full.Budgets.Columns.Amount));
    }

    [Fact]
    public void Connections_CarryEverySettingOfTheOptionsClasses()
    {
        // Walks ConnectorOptions by reflection: a setting added to the options classes later fails here until the
        // `connections` parameter (infra/app/connections.bicep, and the Terraform twin by the parity test) carries it
        // and the sample connection in infra/snapshots/samples.bicep sets it.
        var emitted = Settings.Keys.Where(k => k.StartsWith(ConnectionPrefix + "0__", StringComparison.Ordinal))
            .Select(k => k[(ConnectionPrefix.Length + 3)..])
            .ToList();
        var missing = OptionPaths(typeof(ConnectionOptions), string.Empty)
            .Where(path => !emitted.Any(key => path.EndsWith("__*", StringComparison.Ordinal)
                ? key.StartsWith(path[..^1], StringComparison.Ordinal)
                : key == path))
            .ToList();
        Assert.True(missing.Count == 0, "connections does not carry: " + string.Join(", ", missing.Select(m => ConnectionPrefix + "{i}__" + m)));
    }

    [Fact]
    public void StorageSettings_EveryOneIsSetByTheTemplate_ExceptTheKeyBasedConnectionString()
    {
        // Identity-based storage only: a connection string would carry a key (shared keys are disabled anyway).
        var missing = OptionPaths(typeof(StorageOptions), string.Empty)
            .Where(path => path != nameof(StorageOptions.ConnectionString))
            .Where(path => !Settings.ContainsKey("Connector__Storage__" + path))
            .ToList();
        Assert.Empty(missing);
        Assert.DoesNotContain("Connector__Storage__ConnectionString", Settings.Keys);
    }

    [Fact]
    public void AdditionalAppSettings_AreMerged_ButNeverReplaceWhatTheConnectorOrThePlatformSets()
    {
        Assert.Equal("Debug", Settings["Logging__LogLevel__Connector"]);

        // The landing-zone sample tries to switch the credential store and the host storage identity: both stay.
        IReadOnlyDictionary<string, string> landing = Deployment.LandingZone.AppSettings;
        Assert.Equal("Information", landing["Logging__LogLevel__Default"]);
        Assert.Equal("KeyVault", landing["Credentials__Store"]);
        Assert.Equal("managedidentity", landing["AzureWebJobsStorage__credential"]);
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

    /// <summary>
    /// Every setting path under <paramref name="type"/> in configuration-key form (Sage__BaseUrl), walking nested options
    /// classes; a list of values or objects is entered at index 0, a dictionary at any key (<c>Path__*</c>).
    /// </summary>
    private static IEnumerable<string> OptionPaths(Type type, string prefix)
    {
        foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            string path = prefix + property.Name;
            Type propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (IsScalar(propertyType))
            {
                yield return path;
            }
            else if (propertyType.IsGenericType && propertyType.GetGenericTypeDefinition() is { } definition
                && (definition == typeof(Dictionary<,>) || definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>)))
            {
                yield return path + "__*";
            }
            else if (propertyType.IsGenericType && typeof(IEnumerable).IsAssignableFrom(propertyType))
            {
                Type element = propertyType.GetGenericArguments()[0];
                if (IsScalar(element))
                {
                    yield return path + "__0";
                }
                else
                {
                    foreach (string inner in OptionPaths(element, path + "__0__"))
                    {
                        yield return inner;
                    }
                }
            }
            else
            {
                foreach (string inner in OptionPaths(propertyType, path + "__"))
                {
                    yield return inner;
                }
            }
        }
    }

    private static bool IsScalar(Type type)
        => type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(Uri)
            || type == typeof(TimeSpan) || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(Guid);

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
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            {
                type = type.GetGenericArguments()[1]; // any key: a dictionary setting (column overrides by header)
                continue;
            }

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
