using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Sage100;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Connector.Testing;

/// <summary>
/// The clients of connections outside any host, as <c>connector check</c> and <c>connector discover</c> build them in
/// their own process: the environment's credential store, no validation (a test may give a connection that is wrong).
/// </summary>
public static class StandaloneClients
{
    public static ConnectionClients For(LocalEnvironment environment, params ConnectionOptions[] connections)
    {
        ArgumentNullException.ThrowIfNull(environment);
        // The same client registrations every host uses (IHttpClientFactory, one pipeline per client), outside any host.
        var services = new ServiceCollection();
        services.AddSingleton(environment.Credentials);
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSageAgentClients();
        services.AddAnaplanClients();
        ServiceProvider provider = services.BuildServiceProvider();
        return new ConnectionClients(
            new FixedOptions(new ConnectorOptions { Connections = [.. connections] }),
            provider.GetRequiredService<Orchestrations.Sage100.SageAgentClientFactory>(),
            provider.GetRequiredService<Orchestrations.Anaplan.AnaplanClientFactory>());
    }

    private sealed class FixedOptions(ConnectorOptions value) : IOptionsMonitor<ConnectorOptions>
    {
        public ConnectorOptions CurrentValue => value;

        public ConnectorOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<ConnectorOptions, string?> listener) => null;
    }
}
