using Connector.Orchestrations.Credentials;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Connector.Orchestrations.Sage100;

/// <summary>DI registration of the Sage agent client.</summary>
public static class SageAgentServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="SageAgentClient"/> as a singleton configured by <paramref name="configure"/>. Safe to call
    /// twice (TryAdd). Needs an <see cref="ICredentialStore"/> registration; uses <see cref="TimeProvider"/> and
    /// <see cref="ILoggerFactory"/> when registered. Use <see cref="SageAgentClient.ForCompany"/> for other companies.
    /// </summary>
    public static IServiceCollection AddSageAgentClient(this IServiceCollection services, Action<SageAgentClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<SageAgentClientOptions>().Configure(configure);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new SageAgentClient(
            sp.GetRequiredService<IOptions<SageAgentClientOptions>>().Value,
            sp.GetRequiredService<ICredentialStore>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance));
        return services;
    }
}
