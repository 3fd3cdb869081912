using Connector.Orchestrations.Credentials;
using Connector.Orchestrations.Sage100;
using Connector.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Connector.Orchestrations.Tests.Sage100;

/// <summary>
/// A GL balance read cut at a page boundary (what a GL file of several reads), against the real agent over HTTPS: it
/// stops at the end of the first page that reaches the row limit (unless the page after it is the last: then that page
/// joins the read), requests at most the one page after, and a read from its cursor brings exactly the rest.
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

        // 120 rows asked: the read ends with the third page (150 rows); the fourth is requested only to see that it is not
        // the last, and the fifth never is.
        Assert.True(whole.Count > 200, $"the test company has {whole.Count} balances in 2026; the test needs more than four pages");
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
        Assert.Equal(4, this.PageReads() - before);

        // From the cursor, without a limit: the rest, in order, each row once; then nothing is left.
        SagePageFeed<SagePeriodBalance> rest = client.GetPeriodBalancePagesAsync("2026", 1, 12, first.NextCursor, 0);
        await foreach (SagePeriodBalance b in rest)
        {
            rows.Add($"{b.AccountKey}/{b.FiscalPeriod}");
        }

        Assert.Null(rest.NextCursor);
        Assert.Equal(whole, rows);
    }

    [Fact]
    public async Task PeriodBalancePages_WhenThePageAfterTheLimitIsTheLast_ItJoinsTheRead()
    {
        using SageAgentClient client = this.Client(pageSize: 50);
        int whole = 0;
        await foreach (SagePeriodBalance b in client.GetPeriodBalancesAsync("2026"))
        {
            whole++;
        }

        // The limit reached with the next-to-last page: the last page (however few its rows) comes with it, and nothing is left.
        int pages = (whole + 49) / 50;
        Assert.True(pages >= 3, $"the test company has {whole} balances in 2026; the test needs at least three pages");
        int before = this.PageReads();
        SagePageFeed<SagePeriodBalance> read = client.GetPeriodBalancePagesAsync("2026", 1, 12, null, 50 * (pages - 1));
        var keys = new HashSet<string>();
        await foreach (SagePeriodBalance b in read)
        {
            Assert.True(keys.Add($"{b.AccountKey}/{b.FiscalPeriod}"), $"{b.AccountKey}/{b.FiscalPeriod} came twice");
        }

        Assert.Equal(whole, keys.Count);
        Assert.Equal(whole, read.Rows);
        Assert.Null(read.NextCursor);
        Assert.Equal(pages, this.PageReads() - before);
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
