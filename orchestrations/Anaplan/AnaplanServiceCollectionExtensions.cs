using Connector.Orchestrations.Anaplan;
using Connector.Orchestrations.Credentials;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Anaplan client.</summary>
public static class AnaplanServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="AnaplanClient"/> (transient), the process-wide <see cref="AnaplanTokenProvider"/> and
    /// <see cref="AnaplanRateLimiters"/> (singletons), <see cref="TimeProvider.System"/> unless one is registered, and
    /// the named HttpClient <see cref="AnaplanClient.HttpClientName"/>. Safe to call twice. The host must register an
    /// <see cref="ICredentialStore"/>.
    /// </summary>
    /// <returns>The HttpClient builder, to add handlers or a primary handler.</returns>
    public static IHttpClientBuilder AddAnaplanClient(this IServiceCollection services, Action<AnaplanClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<AnaplanClientOptions>().Configure(configure).Validate(o =>
        {
            o.Validate();
            return true;
        });
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new AnaplanTokenProvider(sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<AnaplanTokenProvider>>()));
        services.TryAddSingleton(sp => new AnaplanRateLimiters(sp.GetRequiredService<TimeProvider>()));
        services.TryAddTransient(sp => new AnaplanClient(
            sp.GetRequiredService<IOptions<AnaplanClientOptions>>().Value,
            sp.GetRequiredService<ICredentialStore>(),
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(AnaplanClient.HttpClientName),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetRequiredService<AnaplanTokenProvider>(),
            sp.GetRequiredService<AnaplanRateLimiters>()));

        // Each attempt has its own timeout (AnaplanClientOptions.AttemptTimeout); the HttpClient must not cut across retries.
        return services.AddHttpClient(AnaplanClient.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan);
    }
}
