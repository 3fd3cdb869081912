using Connector.Orchestrations.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Connector.Orchestrations.Credentials;

/// <summary>
/// Before any worker starts: opens the credential store (a missing or malformed master key, an unknown store, a Key
/// Vault that refuses the identity) and reads every secret a connection references, so a process that cannot
/// authenticate refuses to start, naming the setting and the reference. Values are read and dropped, never logged.
/// A secret that goes missing later fails the run that needs it at once (the clients raise
/// <see cref="CredentialNotFoundException"/> or <see cref="CredentialUnavailableException"/>, which runs do not retry).
/// </summary>
public sealed class CredentialStartupCheck(IServiceProvider services, IOptions<ConnectorOptions> options) : IHostedLifecycleService
{
    /// <summary>The secret references of a connection, with the setting that holds each.</summary>
    public static IEnumerable<(string Setting, string Reference)> References(ConnectionOptions connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        yield return ("Sage:ApiKeyReference", connection.Sage.ApiKeyReference);
        if (string.Equals(connection.Anaplan.AuthMode, "Certificate", StringComparison.OrdinalIgnoreCase))
        {
            yield return ("Anaplan:CertificateReference", connection.Anaplan.CertificateReference ?? string.Empty);
            yield return ("Anaplan:PrivateKeyReference", connection.Anaplan.PrivateKeyReference ?? string.Empty);
        }
        else
        {
            yield return ("Anaplan:PasswordReference", connection.Anaplan.PasswordReference ?? string.Empty);
        }
    }

    /// <inheritdoc/>
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        ICredentialStore store;
        try
        {
            store = services.GetRequiredService<ICredentialStore>();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or UriFormatException)
        {
            throw new InvalidOperationException($"The credential store cannot be opened: {ex.Message}", ex);
        }

        var problems = new List<string>();
        IReadOnlyList<ConnectionOptions> connections = options.Value.Connections;
        for (int i = 0; i < connections.Count; i++)
        {
            foreach ((string setting, string reference) in References(connections[i]).Where(r => r.Reference.Length > 0))
            {
                string where = $"{ConnectorOptions.SectionName}:Connections:{i}:{setting} (connection '{connections[i].Id}')";
                try
                {
                    _ = await store.GetAsync(reference, cancellationToken);
                }
                catch (CredentialNotFoundException)
                {
                    problems.Add($"{where}: no credential is stored under '{reference}'.");
                }
                catch (Exception ex) when (ex is CredentialUnavailableException or InvalidOperationException or Azure.RequestFailedException or Azure.Identity.AuthenticationFailedException)
                {
                    problems.Add($"{where}: credential '{reference}' cannot be read: {ex.Message}");
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException("The credential store is not ready:\n  " + string.Join("\n  ", problems));
        }
    }

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
