using Connector.Tests.Shared;

namespace Connector.Agent.Tests;

/// <summary>A fresh in-process agent per test, with an HttpClient pinned to it and carrying the API key.</summary>
public abstract class AgentTestBase : IAsyncLifetime
{
    protected TestAgent Agent { get; private set; } = null!;

    protected HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        this.Agent = await TestAgent.StartAsync();
        this.Http = this.Agent.CreateHttpClient();
    }

    public async Task DisposeAsync()
    {
        this.Http.Dispose();
        await this.Agent.DisposeAsync();
    }
}
