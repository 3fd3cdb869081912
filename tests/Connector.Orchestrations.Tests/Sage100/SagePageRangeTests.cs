using Connector.Orchestrations.Credentials;
using Connector.Orchestrations.Sage100;
using Connector.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Connector.Orchestrations.Tests.Sage100;

/// <summary>
/// A GL balance read cut at a page boundary (what a GL file of several reads), against the real agent over HTTPS: it
/// stops at the end of the first page that reaches the row limit, never requests the page after, and a read from its
/// cursor brings exactly the rest.
/// </summary>
public sealed class SagePageRangeTests : IAsyncLifetime
{
    private const string KeyRef = "sage-apikey";
    private readonly InMemoryCredentialStore credentials = new();
    private TestAgent agent = null!;
    private ServiceProvider services = null!;

    public async Task InitializeAsync()
    {
        this.services = new ServiceCollection()
            .AddSingleton(LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning)))
            .AddSingleton<ICredentialStore>(this.credentials)
            .AddSageAgentClients()
            .BuildServiceProvider();
        this.agent = await TestAgent.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await this.services.DisposeAsync();
        await this.agent.DisposeAsync();
    }

    [Fact]
    public async Task PeriodBalancePages_StopAtThePageThatReachesTheLimit_AndTheCursorReadsExactlyTheRest()
    {
        using SageAgentClient client = this.Client(pageSize: 50);
        var whole = new List<string>();
        await foreach (SagePeriodBalance b in client.GetPeriodBalancesAsync("2026"))
        {
            whole.Add($"{b.AccountKey}/{b.FiscalPeriod}");
        }

        // 120 rows asked: the read ends with the third page (150 rows), and the fourth page is never requested.
        int before = this.PageReads();
        SagePageFeed<SagePeriodBalance> first = client.GetPeriodBalancePagesAsync("2026", 1, 12, null, 120);
        var rows = new List<string>();
        await foreach (SagePeriodBalance b in first)
        {
            rows.Add($"{b.AccountKey}/{b.FiscalPeriod}");
        }

        Assert.Equal(150, rows.Count);
        Assert.Equal(150, first.Rows);
        Assert.NotNull(first.NextCursor);
        Assert.Equal(3, this.PageReads() - before);

        // From the cursor, without a limit: the rest, in order, each row once; then nothing is left.
        SagePageFeed<SagePeriodBalance> rest = client.GetPeriodBalancePagesAsync("2026", 1, 12, first.NextCursor, 0);
        await foreach (SagePeriodBalance b in rest)
        {
            rows.Add($"{b.AccountKey}/{b.FiscalPeriod}");
        }

        Assert.Null(rest.NextCursor);
        Assert.Equal(whole, rows);
    }

    private int PageReads()
        => this.agent.Logs.Lines.Count(l => l.Contains("GET /v1/companies/LNG/gl/period-balances answered 200", StringComparison.Ordinal));

    private SageAgentClient Client(int pageSize)
    {
        var options = new SageAgentClientOptions
        {
            BaseAddress = this.agent.BaseAddress,
            CompanyCode = "LNG",
            ApiKeyReference = KeyRef,
            TlsMode = SageTlsMode.Pinned,
            PageSize = pageSize,
        };
        options.PinnedSha256Fingerprints.Add(this.agent.Handle.CertificateSha256);
        this.credentials.Set(KeyRef, TestAgent.ApiKey);
        return this.services.GetRequiredService<SageAgentClientFactory>().Create(Guid.NewGuid().ToString("N"), options);
    }
}
