using System.Collections.Concurrent;
using Azure;
using Azure.Security.KeyVault.Secrets;

namespace Connector.Orchestrations.Credentials;

/// <summary>
/// Secrets in Azure Key Vault (encrypted at rest, RBAC-controlled, audited by Azure); the reference is the secret name.
/// Values are cached for a few minutes so a run does not call Key Vault per request.
/// </summary>
public sealed class KeyVaultCredentialStore(SecretClient client, TimeProvider? time = null, TimeSpan? cacheFor = null) : ICredentialStore
{
    private readonly ConcurrentDictionary<string, (Secret Value, DateTimeOffset Until)> cache = new(StringComparer.Ordinal);
    private readonly TimeProvider time = time ?? TimeProvider.System;
    private readonly TimeSpan cacheFor = cacheFor ?? TimeSpan.FromMinutes(5);

    /// <inheritdoc/>
    public async ValueTask<Secret> GetAsync(string reference, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reference);
        DateTimeOffset now = this.time.GetUtcNow();
        if (this.cache.TryGetValue(reference, out var cached) && cached.Until > now)
        {
            return cached.Value;
        }

        try
        {
            Response<KeyVaultSecret> secret = await client.GetSecretAsync(reference, cancellationToken: cancellationToken);
            var value = new Secret(secret.Value.Value);
            this.cache[reference] = (value, now + this.cacheFor);
            return value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw new CredentialNotFoundException(reference);
        }
        catch (RequestFailedException ex) when (ex.Status is 401 or 403)
        {
            throw new CredentialUnavailableException($"Key Vault refused to give credential '{reference}' ({ex.Status} {ex.ErrorCode}): the app's identity needs 'Key Vault Secrets User', and the secret must be enabled.", ex);
        }
    }
}

/// <summary>
/// Secrets read from configuration under <c>Secrets:{reference}</c>. In Azure those app settings are Key Vault
/// references (<c>@Microsoft.KeyVault(SecretUri=...)</c>) resolved by the platform, so the values rest in Key Vault.
/// </summary>
public sealed class ConfigurationCredentialStore(Microsoft.Extensions.Configuration.IConfiguration configuration) : ICredentialStore
{
    /// <inheritdoc/>
    public ValueTask<Secret> GetAsync(string reference, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reference);
        string? value = configuration[$"Secrets:{reference}"];
        return string.IsNullOrEmpty(value)
            ? ValueTask.FromException<Secret>(new CredentialNotFoundException(reference))
            : ValueTask.FromResult(new Secret(value));
    }
}
