using Connector.Orchestrations.Credentials;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Connector.Orchestrations.Sage100;

/// <summary>DI registration of the Sage agent clients: the one way production and tests build them.</summary>
public static class SageAgentServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="SageAgentClientFactory"/> (singleton) and the <see cref="IHttpClientFactory"/> named clients
    /// <c>SageAgent:{name}</c> it builds, one per agent, each with that agent's TLS policy on its primary handler.
    /// Safe to call twice. Needs an <see cref="ICredentialStore"/> registration; uses <see cref="TimeProvider"/> and
    /// <see cref="ILoggerFactory"/> when registered.
    /// </summary>
    public static IServiceCollection AddSageAgentClients(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddHttpClient();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SageAgentHttpClients>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<HttpClientFactoryOptions>, SageAgentHttpClientSetup>());
        services.TryAddSingleton(sp => new SageAgentClientFactory(
            sp.GetRequiredService<IHttpClientFactory>(),
            sp.GetRequiredService<SageAgentHttpClients>(),
            sp.GetRequiredService<ICredentialStore>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()));
        return services;
    }

    /// <summary>
    /// Registers one <see cref="SageAgentClient"/> as a singleton configured by <paramref name="configure"/>, built by
    /// <see cref="SageAgentClientFactory"/> (see <see cref="AddSageAgentClients"/>). Safe to call twice (TryAdd). Use
    /// <see cref="SageAgentClient.ForCompany"/> for other companies.
    /// </summary>
    public static IServiceCollection AddSageAgentClient(this IServiceCollection services, Action<SageAgentClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSageAgentClients();
        services.AddOptions<SageAgentClientOptions>().Configure(configure);
        services.TryAddSingleton(sp => sp.GetRequiredService<SageAgentClientFactory>().Create("default", sp.GetRequiredService<IOptions<SageAgentClientOptions>>().Value));
        return services;
    }
}
