using Connector.Orchestrations.Anaplan;
using Connector.Orchestrations.Credentials;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Anaplan clients: the one way production and tests build them.</summary>
public static class AnaplanServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="AnaplanClientFactory"/>, the process-wide <see cref="AnaplanTokenProvider"/> and
    /// <see cref="AnaplanRateLimiters"/> (singletons; instances registered before win), <see cref="TimeProvider.System"/>
    /// unless one is registered, and the named HttpClient <see cref="AnaplanClient.HttpClientName"/>. Safe to call twice.
    /// The host must register an <see cref="ICredentialStore"/>.
    /// </summary>
    /// <returns>The HttpClient builder, to add handlers.</returns>
    public static IHttpClientBuilder AddAnaplanClients(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new AnaplanTokenProvider(sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<AnaplanTokenProvider>>()));
        services.TryAddSingleton(sp => new AnaplanRateLimiters(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new AnaplanClientFactory(
            sp.GetRequiredService<IHttpClientFactory>(),
            sp.GetRequiredService<ICredentialStore>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetRequiredService<AnaplanTokenProvider>(),
            sp.GetRequiredService<AnaplanRateLimiters>()));

        // Each attempt has its own timeout (AnaplanClientOptions.AttemptTimeout); the HttpClient must not cut across retries.
        // Clients live as long as the process: the pooled-connection lifetime keeps DNS changes visible to them. The factory's
        // trace logging never shows a header value (the token and the Basic credential travel in headers).
        return services.AddHttpClient(AnaplanClient.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10), ConnectTimeout = TimeSpan.FromSeconds(30) })
            .RedactLoggedHeaders(_ => true);
    }

    /// <summary>
    /// Registers one <see cref="AnaplanClient"/> (transient) configured by <paramref name="configure"/>, built by
    /// <see cref="AnaplanClientFactory"/> (see <see cref="AddAnaplanClients"/>). Safe to call twice.
    /// </summary>
    /// <returns>The HttpClient builder, to add handlers.</returns>
    public static IHttpClientBuilder AddAnaplanClient(this IServiceCollection services, Action<AnaplanClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<AnaplanClientOptions>().Configure(configure).Validate(o =>
        {
            o.Validate();
            return true;
        });
        IHttpClientBuilder http = services.AddAnaplanClients();
        services.TryAddTransient(sp => sp.GetRequiredService<AnaplanClientFactory>().Create(sp.GetRequiredService<IOptions<AnaplanClientOptions>>().Value));
        return http;
    }
}
