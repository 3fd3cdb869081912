using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Credentials;
using Connector.Orchestrations.Sage100;
using Connector.Orchestrations.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Connector.Orchestrations.Flows;

/// <summary>
/// The services the connector's activities run with, registered the same way on Azure Functions and on the local host:
/// validated connection settings, the credential store, the connector's storage, and the per-connection API clients.
/// </summary>
public static class ConnectorRuntime
{
    /// <summary>
    /// Registers the runtime. <paramref name="hostStorageConnectionString"/> is used when Connector:Storage names none.
    /// At start-up every Connector and Credentials setting is checked (types and names, then values), and, with
    /// <paramref name="checkCredentials"/>, the credential store and every secret a connection references: the process
    /// refuses to start, naming the setting, rather than run without a connection or loop on a missing key.
    /// </summary>
    public static IServiceCollection AddConnectorRuntime(
        this IServiceCollection services, IConfiguration configuration, string? hostStorageConnectionString, bool checkCredentials = true)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ConnectorOptions>().Bind(configuration.GetSection(ConnectorOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConnectorOptions>, ConnectorOptionsValidator>());
        services.AddSingleton<IValidateOptions<ConnectorOptions>>(new SettingsCheckValidator<ConnectorOptions>(
            (configuration.GetSection(ConnectorOptions.SectionName), typeof(ConnectorOptions)),
            (configuration.GetSection(CredentialStoreOptions.SectionName), typeof(CredentialStoreOptions))));
        if (checkCredentials)
        {
            services.AddHostedService<CredentialStartupCheck>();
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => CreateCredentialStore(configuration.GetSection(CredentialStoreOptions.SectionName).Get<CredentialStoreOptions>() ?? new(), configuration));
        services.TryAddSingleton(sp => new ConnectorStorage(sp.GetRequiredService<IOptions<ConnectorOptions>>().Value.Storage, hostStorageConnectionString));
        services.TryAddSingleton<AuditStore>();
        services.TryAddSingleton<WatermarkStore>();
        services.TryAddSingleton<MappingStore>();
        services.TryAddSingleton<JournalStore>();
        services.TryAddSingleton<StepResultStore>();
        services.TryAddSingleton<TaskDurationStore>();
        services.TryAddSingleton<ConnectionStateStore>();
        services.AddSageAgentClients();
        services.AddAnaplanClients();
        services.TryAddSingleton<ConnectionClients>();
        services.TryAddSingleton<Actuals.ExtractionCache>();
        services.TryAddSingleton<ModelFit.ConnectionChecker>();
        services.TryAddSingleton<Operations.RunRecoveryFactory>();
        return services;
    }

    /// <summary>Builds the configured credential store.</summary>
    public static ICredentialStore CreateCredentialStore(CredentialStoreOptions options, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        switch (options.Store.ToUpperInvariant())
        {
            case "KEYVAULT":
                Uri vault = options.KeyVaultUri ?? throw new InvalidOperationException("Credentials:KeyVaultUri must be set when Credentials:Store is KeyVault.");
                var credential = options.ManagedIdentityClientId is { Length: > 0 } id
                    ? (Azure.Core.TokenCredential)new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(id))
                    : new DefaultAzureCredential();
                return new KeyVaultCredentialStore(new SecretClient(vault, credential));
            case "ENCRYPTEDFILE":
                string file = options.File ?? throw new InvalidOperationException("Credentials:File must be set when Credentials:Store is EncryptedFile.");
                if (options.MasterKeyFile is { Length: > 0 } masterKeyFile && Environment.GetEnvironmentVariable(options.MasterKeyVariable) is null && !File.Exists(masterKeyFile))
                {
                    throw new InvalidOperationException($"Credentials:MasterKeyFile '{masterKeyFile}' does not exist (and {options.MasterKeyVariable} is not set).");
                }

                string? key = Environment.GetEnvironmentVariable(options.MasterKeyVariable)
                    ?? (options.MasterKeyFile is { Length: > 0 } keyFile && File.Exists(keyFile) ? File.ReadAllText(keyFile) : null);
                if (key is null)
                {
                    throw new InvalidOperationException(
                        $"The encrypted credential file needs its master key: set the environment variable {options.MasterKeyVariable} or Credentials:MasterKeyFile.");
                }

                string source = Environment.GetEnvironmentVariable(options.MasterKeyVariable) is null ? $"Credentials:MasterKeyFile '{options.MasterKeyFile}'" : $"the environment variable {options.MasterKeyVariable}";
                return new EncryptedFileCredentialStore(file, EncryptedFileCredentialStore.DecodeMasterKey(key, source));
            case "CONFIGURATION":
                return new ConfigurationCredentialStore(configuration);
            default:
                throw new InvalidOperationException($"Credentials:Store '{options.Store}' is not known: use KeyVault, EncryptedFile or Configuration.");
        }
    }
}

/// <summary>Where secrets are kept (section <c>Credentials</c>).</summary>
public sealed class CredentialStoreOptions
{
    public const string SectionName = "Credentials";

    /// <summary>Gets or sets the store: KeyVault (Azure), EncryptedFile (local / on-premises) or Configuration (Key Vault references in app settings).</summary>
    public string Store { get; set; } = "Configuration";

    /// <summary>Gets or sets the Key Vault URI (KeyVault).</summary>
    public Uri? KeyVaultUri { get; set; }

    /// <summary>Gets or sets the user-assigned managed identity used for Key Vault.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Gets or sets the encrypted file (EncryptedFile).</summary>
    public string? File { get; set; }

    /// <summary>Gets or sets the environment variable holding the master key (EncryptedFile).</summary>
    public string MasterKeyVariable { get; set; } = "CONNECTOR_MASTER_KEY";

    /// <summary>Gets or sets a file holding the master key, readable only by the service account (EncryptedFile).</summary>
    public string? MasterKeyFile { get; set; }
}
