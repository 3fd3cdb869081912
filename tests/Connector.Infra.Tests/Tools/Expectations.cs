using System.Reflection;
using System.Text.RegularExpressions;
using Connector.Testing;

namespace Connector.Infra.Tests.Tools;

/// <summary>What the app needs from its deployment, stated independently of the templates.</summary>
internal static partial class Expectations
{
    /// <summary>App settings the connector reads (besides the connections), by exact name.</summary>
    public static readonly string[] ConnectorSettings =
    [
        "TASKHUB_NAME",
        "SELFTEST_SCHEDULE",
        "SelfTest__WorkspaceId",
        "SelfTest__ModelId",
        "SCHEDULE_TICK",
        "Ops__ReadOnly",
        "Ops__AppServiceAuthentication",
        "Credentials__Store",
        "Credentials__KeyVaultUri",
        "Connector__Storage__BlobServiceUri",
        "Connector__Storage__TableServiceUri",
        "Connector__Storage__ManagedIdentityClientId",
        "Connector__Storage__StagingContainer",
        "Durable__RetryFirstInterval",
    ];

    /// <summary>Identity-based AzureWebJobsStorage with a user-assigned identity: every part the host needs.</summary>
    public static readonly string[] HostStorageSettings =
    [
        "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__clientId",
        "AzureWebJobsStorage__blobServiceUri",
        "AzureWebJobsStorage__queueServiceUri",
        "AzureWebJobsStorage__tableServiceUri",
    ];

    /// <summary>Settings a Flex Consumption app must not have (the platform refuses or ignores them), and key-based storage.</summary>
    public static readonly string[] ForbiddenSettings =
    [
        "AzureWebJobsStorage",
        "FUNCTIONS_WORKER_RUNTIME",
        "FUNCTIONS_EXTENSION_VERSION",
        "WEBSITE_RUN_FROM_PACKAGE",
        "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
        "WEBSITE_CONTENTSHARE",
        "APPINSIGHTS_INSTRUMENTATIONKEY",
    ];

    /// <summary>Built-in Azure role definition ids (the same in every tenant), by role name.</summary>
    public static readonly IReadOnlyDictionary<string, string> Roles = new Dictionary<string, string>
    {
        ["Storage Blob Data Owner"] = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
        ["Storage Blob Data Contributor"] = "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        ["Storage Queue Data Contributor"] = "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
        ["Storage Table Data Contributor"] = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
        ["Monitoring Metrics Publisher"] = "3913510d-42f4-4e42-8a64-420c390055eb",
        ["Key Vault Secrets User"] = "4633458b-17de-408a-b874-0445c86b69e6",
        ["Key Vault Secrets Officer"] = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    };

    /// <summary>The roles the Function App's identity must hold: (resource type of the scope, role name).</summary>
    public static readonly (string ScopeType, string Role)[] IdentityRoles =
    [
        ("Microsoft.Storage/storageAccounts", "Storage Blob Data Owner"),
        ("Microsoft.Storage/storageAccounts", "Storage Queue Data Contributor"),
        ("Microsoft.Storage/storageAccounts", "Storage Table Data Contributor"),
        ("Microsoft.KeyVault/vaults", "Key Vault Secrets User"),
        ("Microsoft.Insights/components", "Monitoring Metrics Publisher"),
    ];

    /// <summary>Values that would mean a secret was put into an app setting.</summary>
    public static readonly string[] SecretMarkers =
    [
        "AccountKey=", "SharedAccessSignature", "sig=", "listKeys(", "listAccountSas(", "listServiceSas(", "BEGIN PRIVATE KEY",
    ];

    /// <summary>
    /// Every %SETTING% the Functions host resolves from app settings: host.json and the generated functions.metadata
    /// (trigger bindings such as the timer schedules). The Functions project is built before this test project.
    /// </summary>
    public static IReadOnlyList<string> SettingsReferencedByHost()
    {
        string text = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "host.json")) + File.ReadAllText(FunctionsMetadata);
        return SettingReference().Matches(text).Select(m => m.Groups[1].Value).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Gets the functions.metadata the Functions build generates (every trigger and binding of the app).</summary>
    public static string FunctionsMetadata
    {
        get
        {
            string configuration = typeof(Expectations).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == "Configuration").Value!;
            string metadata = Path.Combine(RepositoryRoot.Path, "functions", "bin", configuration, "net10.0", "functions.metadata");
            return File.Exists(metadata)
                ? metadata
                : throw new FileNotFoundException($"{metadata} is missing: build functions/ (this project references it, so a build of the tests builds it).");
        }
    }

    [GeneratedRegex("%([A-Za-z0-9_]+)%")]
    private static partial Regex SettingReference();
}
