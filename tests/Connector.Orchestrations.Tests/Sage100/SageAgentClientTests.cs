using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Connector.Agent.Backends.Simulated;
using Connector.Orchestrations.Credentials;
using Connector.Orchestrations.Sage100;
using Connector.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Connector.Orchestrations.Tests.Sage100;

/// <summary>The client against the real agent (simulated backend) over HTTPS on loopback.</summary>
public sealed class SageAgentClientTests : IAsyncLifetime
{
    private const string KeyRef = "sage-abc-apikey";
    private readonly CapturingLoggerProvider clientLogs = new();
    private readonly InMemoryCredentialStore credentials = new();
    private TestAgent agent = null!;
    private ILoggerFactory loggerFactory = null!;
    private ServiceProvider services = null!;

    public Task InitializeAsync()
    {
        this.loggerFactory = LoggerFactory.Create(b => b.AddProvider(this.clientLogs).SetMinimumLevel(LogLevel.Debug));

        // The registration production uses (ConnectorRuntime): clients come from SageAgentClientFactory over IHttpClientFactory.
        this.services = new ServiceCollection()
            .AddSingleton(this.loggerFactory)
            .AddSingleton<ICredentialStore>(this.credentials)
            .AddSageAgentClients()
            .BuildServiceProvider();
        return this.StartAgent();
    }

    private async Task StartAgent() => this.agent = await TestAgent.StartAsync();

    public async Task DisposeAsync()
    {
        await this.services.DisposeAsync();
        this.loggerFactory.Dispose();
        await this.agent.DisposeAsync();
    }

    private SageAgentClient Client(string company = "ABC", SageTlsMode tls = SageTlsMode.Pinned, string? pin = null, string apiKey = TestAgent.ApiKey, int retries = 4, int pageSize = 100, TimeSpan? requestTimeout = null, TimeSpan? maxRetryDelay = null, TestAgent? on = null, Uri? through = null)
    {
        TestAgent target = on ?? this.agent;
        var options = new SageAgentClientOptions
        {
            BaseAddress = through ?? target.BaseAddress,
            CompanyCode = company,
            ApiKeyReference = KeyRef,
            TlsMode = tls,
            MaxRetryAttempts = retries,
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
            MaxRetryDelay = maxRetryDelay ?? TimeSpan.FromMilliseconds(50),
            RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(30),
            PageSize = pageSize,
        };
        if (tls == SageTlsMode.Pinned)
        {
            options.PinnedSha256Fingerprints.Add(pin ?? target.Handle.CertificateSha256);
        }

        this.credentials.Set(KeyRef, apiKey);
        return this.services.GetRequiredService<SageAgentClientFactory>().Create(Guid.NewGuid().ToString("N"), options);
    }

    private static NewSageJournalEntry Budget(string id, decimal amount = 2500.00m, string date = "2027-01-31")
        => new(id, "GJ", DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture),
            [new("600-01-03", amount, 0m, "FY27 salaries"), new("100-00-00", 0m, amount, "FY27 offset")], "Approved budget v3");

    [Fact]
    public async Task Pinned_MatchingFingerprint_Connects()
    {
        using SageAgentClient client = this.Client(pin: string.Join(":", Enumerable.Range(0, 32).Select(i => this.agent.Handle.CertificateSha256.Substring(i * 2, 2))).ToLowerInvariant());
        SageCapabilities caps = await client.GetCapabilitiesAsync();
        Assert.Equal(["ABC", "TST", "LNG"], caps.Companies.Select(c => c.Code));
    }

    [Fact]
    public async Task Pinned_DifferentCertificate_FailsClosedWithClearError()
    {
        using var key = ECDsa.Create();
        using X509Certificate2 other = new CertificateRequest("CN=other", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using SageAgentClient client = this.Client(pin: other.GetCertHashString(HashAlgorithmName.SHA256));

        var error = await Assert.ThrowsAsync<SageAgentRefusedException>(() => client.GetCapabilitiesAsync());

        Assert.Equal(SageAgentErrorCode.Tls, error.Code);
        Assert.Contains(this.agent.Handle.CertificateSha256, error.Message, StringComparison.Ordinal);
        Assert.Contains("not pinned", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(this.agent.Logs.Lines, l => l.Contains("[200]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task System_SelfSignedAgent_RejectedWithAdviceToPin()
    {
        using SageAgentClient client = this.Client(tls: SageTlsMode.System);
        var error = await Assert.ThrowsAsync<SageAgentRefusedException>(() => client.CheckHealthAsync());
        Assert.Equal(SageAgentErrorCode.Tls, error.Code);
        Assert.Contains("Pinned", error.Message, StringComparison.Ordinal);
        Assert.Contains("fingerprint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InsecureSkipVerify_ConnectsAndWarnsAtEveryStart()
    {
        using (SageAgentClient a = this.Client(tls: SageTlsMode.InsecureSkipVerify))
        using (SageAgentClient b = this.Client(tls: SageTlsMode.InsecureSkipVerify))
        {
            await a.CheckHealthAsync();
            await b.CheckHealthAsync();
        }

        Assert.Equal(2, this.clientLogs.Lines.Count(l => l.Contains("[4000]", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task WrongApiKey_UnauthorizedNothingReadAndKeyNotInExceptionOrLogs()
    {
        const string wrong = "definitely-wrong-key-123";
        using SageAgentClient client = this.Client(apiKey: wrong);
        var error = await Assert.ThrowsAsync<SageAgentRefusedException>(async () =>
        {
            await foreach (SageGlAccount _ in client.GetAccountsAsync())
            {
                Assert.Fail("nothing may be read with a wrong key");
            }
        });

        Assert.Equal(SageAgentErrorCode.Unauthorized, error.Code);
        Assert.Equal(401, error.Status);
        Assert.DoesNotContain(wrong, error.ToString(), StringComparison.Ordinal);
        Assert.Contains(KeyRef, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(this.clientLogs.Lines, l => l.Contains(wrong, StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnknownCompany_NotFound()
    {
        using SageAgentClient client = this.Client("ZZZ");
        var error = await Assert.ThrowsAsync<SageAgentRefusedException>(() => client.GetAccountStructureAsync());
        Assert.Equal(SageAgentErrorCode.NotFound, error.Code);
        Assert.Contains("ZZZ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ABC", 3, "Department")]
    [InlineData("TST", 2, "Department")]
    [InlineData("LNG", 2, "Location")]
    public async Task Accounts_EveryAccountParsesAgainstItsCompanyStructure(string company, int segmentCount, string costCentre)
    {
        using SageAgentClient client = this.Client(company, pageSize: 7);
        AccountStructure structure = await client.GetAccountStructureAsync();
        int count = 0;
        await foreach (SageGlAccount account in client.GetAccountsAsync())
        {
            ParsedAccount parsed = structure.Parse(account.Account);
            Assert.Equal(account.Segments, parsed.Segments);
            Assert.Equal(account.RawAccount, parsed.RawAccount);
            count++;
        }

        Assert.Equal(segmentCount, structure.Segments.Count);
        Assert.NotNull(structure.FindSegment(costCentre));
        Assert.Equal(this.agent.Sim.Company(company).Count("GL_Account"), count);
        var codes = new List<SageSubAccount>();
        await foreach (SageSubAccount s in client.GetSubAccountsAsync(structure.FindSegment(costCentre)!.Number))
        {
            codes.Add(s);
        }

        Assert.NotEmpty(codes);
    }

    [Fact]
    public async Task ForCompany_SharesTheConnection()
    {
        using SageAgentClient abc = this.Client();
        SageFiscalCalendar tst = await abc.ForCompany("tst").GetFiscalCalendarAsync();
        Assert.Equal(13, tst.Years[0].Periods.Count);
        Assert.Equal(("2026", 12), (tst.CurrentFiscalYear, tst.CurrentPeriod));
    }

    [Fact]
    public async Task PeriodBalances_StreamAcrossPages_AllRowsOnce()
    {
        using SageAgentClient client = this.Client("LNG", pageSize: 50);
        var keys = new HashSet<string>();
        decimal net = 0;
        await foreach (SagePeriodBalance b in client.GetPeriodBalancesAsync("2026"))
        {
            Assert.True(keys.Add($"{b.AccountKey}/{b.FiscalPeriod}"));
            Assert.Equal(b.FiscalPeriod == 1, b.BeginningBalance is not null);
            net += b.Net;
        }

        Assert.Equal(12 * this.agent.Sim.Company("LNG").Count("GL_Account"), keys.Count);
        Assert.NotEqual(0m, net);
    }

    [Fact]
    public async Task PeriodBalances_NextPageReadWhileTheCallerWorksOnTheCurrentOne_OnePageAheadOnly()
    {
        using SageAgentClient client = this.Client("LNG", pageSize: 50);
        await using IAsyncEnumerator<SagePeriodBalance> rows = client.GetPeriodBalancesAsync("2026").GetAsyncEnumerator();
        Assert.True(await rows.MoveNextAsync());

        // The caller holds the first row of the first page: the second page is read meanwhile, and no page after it.
        await this.UntilPageReadsAsync(2);
        Assert.Equal(2, this.PageReads());

        var keys = new HashSet<string> { $"{rows.Current.AccountKey}/{rows.Current.FiscalPeriod}" };
        while (await rows.MoveNextAsync())
        {
            Assert.True(keys.Add($"{rows.Current.AccountKey}/{rows.Current.FiscalPeriod}"));
        }

        Assert.Equal(12 * this.agent.Sim.Company("LNG").Count("GL_Account"), keys.Count);
        Assert.Equal((keys.Count + 49) / 50, this.PageReads());
    }

    [Fact]
    public async Task PeriodBalances_PageReadAheadFails_CallerGetsEveryEarlierRowThenTheFailure()
    {
        using SageAgentClient client = this.Client("LNG", pageSize: 50, retries: 1);
        int read = 0;
        var error = await Assert.ThrowsAsync<SageAgentException>(async () =>
        {
            await foreach (SagePeriodBalance row in client.GetPeriodBalancesAsync("2026"))
            {
                if (++read == 1)
                {
                    // Sage goes away once the second page is in: the third page, read ahead while the caller is on the
                    // second, fails.
                    await this.UntilPageReadsAsync(2);
                    this.agent.Sim.Faults("LNG").Set(new SimulatedFaultSettings(UnavailableReason: "session"));
                }
            }
        });

        Assert.Equal(SageAgentErrorCode.Unavailable, error.Code);
        Assert.Equal(100, read);
        this.agent.Sim.Faults("LNG").Set(new SimulatedFaultSettings());
    }

    [Fact]
    public async Task PeriodBalances_CallerStopsEarly_ReadAheadEndsWithItAndTheClientReadsOn()
    {
        using SageAgentClient client = this.Client("LNG", pageSize: 50);
        this.agent.Sim.Faults("LNG").Set(new SimulatedFaultSettings(SlowPageMilliseconds: 300));
        using var stop = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (SagePeriodBalance row in client.GetPeriodBalancesAsync("2026", cancellationToken: stop.Token))
            {
                // Cancelled while the next page is being read ahead (slowly): the enumeration ends with the caller's
                // cancellation, not with the read ahead's.
                await stop.CancelAsync();
            }
        });

        this.agent.Sim.Faults("LNG").Set(new SimulatedFaultSettings());
        Assert.Equal(this.agent.Sim.Company("LNG").Count("GL_Account"), await client.GetPeriodBalancesAsync("2026", 1, 1).CountAsync());
    }

    private int PageReads()
        => this.agent.Logs.Lines.Count(l => l.Contains("GET /v1/companies/LNG/gl/period-balances answered 200", StringComparison.Ordinal));

    private async Task UntilPageReadsAsync(int pages)
    {
        DateTime until = DateTime.UtcNow.AddSeconds(30);
        while (this.PageReads() < pages)
        {
            Assert.True(DateTime.UtcNow < until, $"{this.PageReads()} page(s) read within 30 s, expected {pages}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Vendors_IncrementalPull_ReturnsChangesAndNextWatermark()
    {
        using SageAgentClient client = this.Client();
        this.agent.Clock.Advance(TimeSpan.FromDays(1));
        this.agent.Sim.Company("ABC").UpsertVendor("01", "0000001", "Baseline Touch", null, null, null, false, create: false);
        SageChangeFeed<SageVendor> first = client.GetVendorsAsync();
        int all = await first.CountAsync();
        Assert.NotNull(first.Watermark);

        this.agent.Clock.Advance(TimeSpan.FromMinutes(10));
        this.agent.Sim.Company("ABC").UpsertVendor("02", "0000004", "Changed Vendor", null, "on_hold", null, false, create: false);
        SageChangeFeed<SageVendor> second = client.GetVendorsAsync(first.Watermark, TimeSpan.Zero);
        List<SageVendor> changed = await second.ToListAsync();

        Assert.Equal(12, all);
        Assert.Equal(["01-0000001", "02-0000004"], changed.Select(v => v.VendorKey));
        Assert.Equal("on_hold", changed[1].Status);
        Assert.True(second.Watermark!.Value.Value > first.Watermark!.Value.Value);
        Assert.Equal(second.Watermark, SageWatermark.Parse(second.Watermark.ToString()!));
    }

    [Fact]
    public async Task InvoiceTotals_ChangedInvoice_FullGroupReturnedToTheCent()
    {
        using SageAgentClient client = this.Client();
        this.agent.Clock.Advance(TimeSpan.FromDays(1));
        var co = this.agent.Sim.Company("ABC");
        co.UpsertVendor("02", "0000042", "Cents Ltd", null, null, null, false, create: true);
        co.UpsertInvoice("02", "0000042", "C-1", new DateOnly(2026, 11, 3), 0.10m, 0.10m, null, false, create: true);
        SageChangeFeed<SageInvoiceTotal> first = client.GetInvoiceTotalsAsync();
        await first.CountAsync();
        this.agent.Clock.Advance(TimeSpan.FromMinutes(1));
        co.UpsertInvoice("02", "0000042", "C-2", new DateOnly(2026, 11, 4), 0.20m, null, null, false, create: true);

        List<SageInvoiceTotal> changed = await client.GetInvoiceTotalsAsync(first.Watermark, TimeSpan.FromMinutes(5)).ToListAsync();

        SageInvoiceTotal group = Assert.Single(changed);
        Assert.Equal(("02-0000042", "2026", 11, 2), (group.VendorKey, group.FiscalYear, group.FiscalPeriod, group.InvoiceCount));
        Assert.Equal(0.30m, group.InvoiceAmount);
        Assert.Equal(0.10m, group.OpenBalance);
    }

    [Fact]
    public async Task JournalEntry_CreateThenFind_AndRepeatReturnsExisting()
    {
        using SageAgentClient client = this.Client();
        Assert.Null(await client.FindJournalEntryAsync("BUD-27-001"));

        SageJournalEntryResult created = await client.CreateJournalEntryAsync(Budget("BUD-27-001", 1234567.89m));
        SageJournalEntry? found = await client.FindJournalEntryAsync("BUD-27-001");
        SageJournalEntryResult repeated = await client.CreateJournalEntryAsync(Budget("BUD-27-001", 1234567.89m));

        Assert.True(created.Created);
        Assert.False(repeated.Created);
        Assert.Equal(created.Entry.EntryNo, found!.EntryNo);
        Assert.Equal(created.Entry.EntryNo, repeated.Entry.EntryNo);
        Assert.Equal(1234567.89m, found.Lines[0].Debit);
        Assert.Equal(("2027", 1, false), (found.FiscalYear, found.FiscalPeriod, found.IsPosted));
        Assert.Single(this.agent.Sim.Company("ABC").ListJournalEntries());
    }

    [Fact]
    public async Task JournalEntry_CrashAfterWrite_ClientRetriesAndEntryExistsOnce()
    {
        this.agent.Sim.Faults("ABC").Set(new SimulatedFaultSettings(CrashAfterNextWrites: 1));
        using SageAgentClient client = this.Client();

        SageJournalEntryResult result = await client.CreateJournalEntryAsync(Budget("CRASH-27"));

        Assert.False(result.Created);
        Assert.Single(this.agent.Sim.Company("ABC").ListJournalEntries());
        Assert.Contains(this.clientLogs.Lines, l => l.Contains("[4001]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task JournalEntry_LockStorm_RetriedThenPostedOnce()
    {
        this.agent.Sim.Faults("ABC").Set(new SimulatedFaultSettings(LockNextWrites: 3));
        using SageAgentClient client = this.Client(retries: 5);

        SageJournalEntryResult result = await client.CreateJournalEntryAsync(Budget("LOCK-27"));

        Assert.True(result.Created);
        Assert.Single(this.agent.Sim.Company("ABC").ListJournalEntries());
        Assert.Equal(3, this.clientLogs.Lines.Count(l => l.Contains("[4001]", StringComparison.Ordinal) && l.Contains("Locked", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task JournalEntry_LockOutlastsBudget_LockedWithSageMessage()
    {
        this.agent.Sim.Faults("ABC").Set(new SimulatedFaultSettings(LockNextWrites: 10, LockMessage: "GL batch 00001 is in use by SARAH."));
        using SageAgentClient client = this.Client(retries: 2);

        var error = await Assert.ThrowsAsync<SageAgentException>(() => client.CreateJournalEntryAsync(Budget("LOCK-LONG")));

        Assert.Equal(SageAgentErrorCode.Locked, error.Code);
        Assert.Equal("GL batch 00001 is in use by SARAH.", error.SageMessage);
        Assert.Empty(this.agent.Sim.Company("ABC").ListJournalEntries());
        Assert.Equal(7, this.agent.Sim.Faults("ABC").Current.LockNextWrites);
    }

    [Fact]
    public async Task JournalEntry_RecordLock_RetriedThroughPipelineWithBackoffAndBounded()
    {
        this.agent.Sim.Faults("ABC").Set(new SimulatedFaultSettings(LockNextWrites: 10));
        using SageAgentClient client = this.Client(retries: 4);

        var error = await Assert.ThrowsAsync<SageAgentException>(() => client.CreateJournalEntryAsync(Budget("LOCK-BOUNDED")));

        // One first attempt and exactly four retries reached Sage; each retry waited a backoff under the cap (the test
        // agent sends Retry-After: 0, so the exponential backoff with jitter decides; with a 5 ms base, jitter can make a
        // wait shorter than the log's whole millisecond, which it shows as 0).
        Assert.Equal(SageAgentErrorCode.Locked, error.Code);
        Assert.Equal(10 - 5, this.agent.Sim.Faults("ABC").Current.LockNextWrites);
        Assert.Empty(this.agent.Sim.Company("ABC").ListJournalEntries());
        long[] delays = RetryDelays(this.clientLogs, "Locked");
        Assert.Equal(4, delays.Length);
        Assert.All(delays, d => Assert.InRange(d, 0, 50));
    }

    [Fact]
    public async Task JournalEntry_RecordLockWithRetryAfter_WaitsWhatTheAgentAsksWithinTheCap()
    {
        await using TestAgent slow = await TestAgent.StartAsync(o => o.LockRetryAfter = TimeSpan.FromSeconds(1));
        slow.Sim.Faults("ABC").Set(new SimulatedFaultSettings(LockNextWrites: 1));
        using SageAgentClient client = this.Client(retries: 3, maxRetryDelay: TimeSpan.FromSeconds(5), on: slow);

        SageJournalEntryResult result = await client.CreateJournalEntryAsync(Budget("LOCK-RA"));

        Assert.True(result.Created);
        Assert.Single(slow.Sim.Company("ABC").ListJournalEntries());
        Assert.Equal([1000L], RetryDelays(this.clientLogs, "Locked"));
    }

    private static long[] RetryDelays(CapturingLoggerProvider logs, string failure)
        => logs.Lines.Where(l => l.Contains("[4001]", StringComparison.Ordinal) && l.Contains(failure, StringComparison.Ordinal))
            .Select(l => long.Parse(System.Text.RegularExpressions.Regex.Match(l, @" in (\d+) ms").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();

    [Fact]
    public async Task JournalEntry_OutOfBalance_ValidationNotRetriedNothingPosted()
    {
        using SageAgentClient client = this.Client();
        var entry = new NewSageJournalEntry("OOB-27", "GJ", new DateOnly(2027, 2, 28), [new("600-01-01", 100m, 0m), new("100-00-00", 0m, 90m)]);

        var error = await Assert.ThrowsAsync<SageAgentException>(() => client.CreateJournalEntryAsync(entry));

        Assert.Equal(SageAgentErrorCode.Validation, error.Code);
        Assert.Contains("out of balance", error.SageMessage, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("journal entry OOB-27", error.Record);
        Assert.Equal("lines", error.Field);
        Assert.Empty(this.agent.Sim.Company("ABC").ListJournalEntries());
        Assert.DoesNotContain(this.clientLogs.Lines, l => l.Contains("[4001]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task JournalEntry_InactiveAccount_ValidationNamesLineAndField()
    {
        using SageAgentClient client = this.Client();
        var entry = new NewSageJournalEntry("INACT-27", "GJ", new DateOnly(2027, 2, 28), [new("100-00-00", 0m, 10m), new("640-02-02", 10m, 0m)]);
        var error = await Assert.ThrowsAsync<SageAgentException>(() => client.CreateJournalEntryAsync(entry));
        Assert.Equal((SageAgentErrorCode.Validation, "lines[1].account", 2), (error.Code, error.Field, error.Line));
        Assert.Contains("inactive", error.SageMessage, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Unavailable_LicenceExhaustedBriefly_RetriedAndSucceeds()
    {
        this.agent.Sim.Faults("ABC").Set(new SimulatedFaultSettings(UnavailableReason: "licence", UnavailableCount: 2));
        using SageAgentClient client = this.Client();
        SageFiscalCalendar calendar = await client.GetFiscalCalendarAsync();
        Assert.Equal(("2026", 11), (calendar.CurrentFiscalYear, calendar.CurrentPeriod));
    }

    [Fact]
    public async Task Unavailable_ExternalAccessOff_SurfacesSageMessageAfterBudget()
    {
        this.agent.Sim.Faults("ABC").Set(new SimulatedFaultSettings(UnavailableReason: "external_access"));
        using SageAgentClient client = this.Client(retries: 2);
        var error = await Assert.ThrowsAsync<SageAgentException>(() => client.GetFiscalCalendarAsync());
        Assert.Equal(SageAgentErrorCode.Unavailable, error.Code);
        Assert.Contains("External access", error.SageMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentDown_ConnectionResetDuringTheTlsHandshake_RetriedAsUnavailable_NotRefusedAsACertificateProblem()
    {
        // The agent's port accepts and resets (service restarting, a proxy in front of a stopped agent): the reset lands
        // in the TLS handshake. That is an unreachable agent, to retry, not a certificate to refuse for good.
        await using var gate = new Connector.Testing.TcpGate(this.agent.BaseAddress) { Down = true };
        using SageAgentClient client = this.Client(retries: 3, through: gate.Address);

        var error = await Assert.ThrowsAnyAsync<SageAgentException>(() => client.GetCapabilitiesAsync());

        Assert.False(error is SageAgentRefusedException, error.ToString());
        Assert.Equal(SageAgentErrorCode.Unavailable, error.Code);
        Assert.Contains("Could not reach the Sage agent", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, gate.Refused);
        Assert.DoesNotContain(this.clientLogs.Lines, l => l.Contains("certificate", StringComparison.OrdinalIgnoreCase));

        // Back up: the same client connects and pins the agent's certificate as before.
        gate.Down = false;
        Assert.Contains("ABC", (await client.GetCapabilitiesAsync()).Companies.Select(c => c.Code));
    }

    [Fact]
    public async Task SlowPages_AttemptTimeout_RetriedThenUnavailable()
    {
        this.agent.Sim.Faults("ABC").Set(new SimulatedFaultSettings(SlowPageMilliseconds: 2000));
        using SageAgentClient client = this.Client(retries: 1, requestTimeout: TimeSpan.FromMilliseconds(200));
        var error = await Assert.ThrowsAsync<SageAgentException>(async () => await client.GetAccountsAsync().CountAsync());
        Assert.Equal(SageAgentErrorCode.Unavailable, error.Code);
        Assert.Contains("did not answer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSageAgentClient_Twice_OneClientResolvedWithoutDi()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ICredentialStore>(new InMemoryCredentialStore().Set(KeyRef, TestAgent.ApiKey));
        void Configure(SageAgentClientOptions o)
        {
            o.BaseAddress = new Uri("https://127.0.0.1:5443");
            o.CompanyCode = "abc";
            o.ApiKeyReference = KeyRef;
        }

        services.AddSageAgentClient(Configure).AddSageAgentClient(Configure);
        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Single(services, d => d.ServiceType == typeof(SageAgentClient));
        Assert.Equal("ABC", provider.GetRequiredService<SageAgentClient>().CompanyCode);
    }

    [Fact]
    public void Options_PinnedWithoutFingerprint_Rejected()
    {
        var options = new SageAgentClientOptions { BaseAddress = new Uri("https://h:1"), CompanyCode = "ABC", ApiKeyReference = "r", TlsMode = SageTlsMode.Pinned };
        var error = Assert.Throws<ArgumentException>(() => this.services.GetRequiredService<SageAgentClientFactory>().Create("no-pin", options));
        Assert.Contains("fingerprint", error.Message, StringComparison.Ordinal);
    }
}
