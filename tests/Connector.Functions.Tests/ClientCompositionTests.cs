using System.Collections.Concurrent;
using Connector.Orchestrations.Anaplan;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Sage100;
using Connector.Tests.Shared;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;

namespace Connector.Functions.Tests;

/// <summary>
/// The API clients as production builds them: the Functions app's composition (<see cref="Composition.AddConnectorFunctions"/>,
/// which the local host's <c>worker</c> and <c>demo</c> share through <c>AddConnectorRuntime</c>) resolves
/// <see cref="ConnectionClients"/>, whose clients come from IHttpClientFactory named clients, one per agent, with the
/// connection's pinned certificate enforced on real TLS to the agent.
/// </summary>
public sealed class ClientCompositionTests : IAsyncLifetime
{
    private const string Pinned = "pinned-ok";
    private const string WrongPin = "pinned-wrong";
    private const string WrongFingerprint = "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF";
    private readonly ConcurrentQueue<(string Name, HttpMessageHandler? Primary)> built = new();
    private TestAgent agent = null!;
    private ServiceProvider app = null!;

    public async Task InitializeAsync()
    {
        this.agent = await TestAgent.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Credentials:Store"] = "Configuration",
            ["Secrets:sage-abc-apikey"] = TestAgent.ApiKey,
            ["Secrets:anaplan-password"] = "not-used-here",
        };
        AddConnection(settings, 0, Pinned, this.agent.BaseAddress, this.agent.Handle.CertificateSha256);
        AddConnection(settings, 1, WrongPin, this.agent.BaseAddress, WrongFingerprint);
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(configuration);
        services.AddFunctionsWorkerDefaults();
        services.AddConnectorFunctions(configuration);

        // Observes every handler chain IHttpClientFactory builds (runs after the connector's own configuration).
        services.ConfigureAll<HttpClientFactoryOptions>(o => o.HttpMessageHandlerBuilderActions.Add(b => this.built.Enqueue((b.Name!, b.PrimaryHandler))));
        this.app = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = false, ValidateScopes = true });
    }

    public async Task DisposeAsync()
    {
        await this.app.DisposeAsync();
        await this.agent.DisposeAsync();
    }

    [Fact]
    public async Task ProductionComposition_SageClientsFromFactory_PinnedCertificateAcceptedOrRefused()
    {
        ConnectionClients clients = this.app.GetRequiredService<ConnectionClients>();

        SageCapabilities capabilities = await clients.Sage(Pinned).GetCapabilitiesAsync();
        var refused = await Assert.ThrowsAsync<SageAgentRefusedException>(() => clients.Sage(WrongPin).CheckHealthAsync());

        Assert.Contains("ABC", capabilities.Companies.Select(c => c.Code));
        Assert.Equal(SageAgentErrorCode.Tls, refused.Code);
        Assert.Contains("not pinned", refused.Message, StringComparison.Ordinal);
        Assert.Contains(this.agent.Handle.CertificateSha256, refused.Message, StringComparison.Ordinal);

        // Each connection has its own factory-built client whose primary handler checks that connection's pin; the
        // refused handshake never reached the agent's API.
        Assert.Contains(this.built, b => b.Name == "SageAgent:" + Pinned && b.Primary is SocketsHttpHandler { SslOptions.RemoteCertificateValidationCallback: not null });
        Assert.Contains(this.built, b => b.Name == "SageAgent:" + WrongPin && b.Primary is SocketsHttpHandler { SslOptions.RemoteCertificateValidationCallback: not null });
        Assert.Single(this.agent.Logs.Lines, l => l.Contains("GET /v1/capabilities answered 200", StringComparison.Ordinal));
        Assert.DoesNotContain(this.agent.Logs.Lines, l => l.Contains("/v1/health", StringComparison.Ordinal));
    }

    [Fact]
    public void ProductionComposition_AnaplanClientsFromFactory_OneNamedClientSharedByConnections()
    {
        ConnectionClients clients = this.app.GetRequiredService<ConnectionClients>();

        AnaplanClient first = clients.Anaplan(Pinned);
        AnaplanClient second = clients.Anaplan(WrongPin);

        Assert.NotSame(first, second);
        Assert.Same(first, clients.Anaplan(Pinned));
        Assert.Single(this.built, b => b.Name == AnaplanClient.HttpClientName && b.Primary is SocketsHttpHandler);
        Assert.Same(this.app.GetRequiredService<AnaplanClientFactory>(), this.app.GetRequiredService<AnaplanClientFactory>());
    }

    private static void AddConnection(Dictionary<string, string?> settings, int index, string id, Uri agent, string fingerprint)
    {
        Http.HttpFunctionsFixture.AddConnection(settings, index, id, enabled: true);
        string at = $"Connector:Connections:{index}:";
        settings[at + "Sage:BaseUrl"] = agent.ToString();
        settings[at + "Sage:TlsMode"] = "Pinned";
        settings[at + "Sage:PinnedFingerprints:0"] = fingerprint;
        settings[at + "Sage:MaxRetryAttempts"] = "1";
        settings[at + "Sage:RetryBaseDelay"] = "00:00:00.010";
    }
}
