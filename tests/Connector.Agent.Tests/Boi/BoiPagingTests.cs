using System.Globalization;
using Connector.Agent.Backends;
using Connector.Agent.Backends.Boi;
using Connector.Agent.Sage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Connector.Agent.Tests.Boi;

/// <summary>
/// The BOI backend pages incrementally: a page continues the <c>_svc</c> walk its previous page left open, so a whole
/// pull reads each table once, instead of reading the whole table for every page. Counted in BOI calls on the fake,
/// not timed. A read whose walk was lost (agent restarted) resumes at the cursor, with <c>nFind</c> or by walking.
/// </summary>
public sealed class BoiPagingTests : IAsyncLifetime
{
    private const int Accounts = 300;
    private readonly FakeProvideX sage = new();
    private readonly List<BoiBackend> backends = [];

    public BoiPagingTests()
    {
        var rng = new Random(7);
        for (int a = Accounts; a >= 1; a--)
        {
            // Inserted out of key order on purpose: Sage's service objects browse by key, not by insertion.
            string key = a.ToString("D9", CultureInfo.InvariantCulture);
            this.sage.AddAccount(key, $"{600 + (a % 300):D3}-{a / 100:D2}-{a % 100:D2}");
            foreach (string year in new[] { "2027", "2025", "2026" })
            {
                for (int p = 12; p >= 1; p--)
                {
                    this.sage.Table("GL_PeriodPostingHistory").Add(new()
                    {
                        ["AccountKey"] = key, ["FiscalYear"] = year, ["FiscalPeriod"] = p.ToString("D2", CultureInfo.InvariantCulture),
                        ["BeginningBalance"] = p == 1 ? "100.00" : "0.00", ["DebitAmount"] = Money(rng), ["CreditAmount"] = Money(rng),
                    });
                }
            }
        }

        for (int y = 2025; y <= 2027; y++)
        {
            for (int p = 1; p <= 12; p++)
            {
                this.sage.Table("GL_FiscalYearDetail").Add(new()
                {
                    ["FiscalYear"] = y.ToString(CultureInfo.InvariantCulture), ["FiscalPeriod"] = p.ToString("D2", CultureInfo.InvariantCulture),
                    ["PeriodEndingDate"] = SageFormats.ToSageDate(new DateOnly(y, p, 1).AddMonths(1).AddDays(-1)),
                });
            }
        }

        this.sage.Table("AP_Division").Add(new() { ["APDivisionNo"] = "01" });
        for (int v = 60; v >= 1; v--)
        {
            string vendor = v.ToString("D7", CultureInfo.InvariantCulture);
            string division = v % 2 == 0 ? "01" : "02";
            this.sage.Table("AP_Vendor").Add(new()
            {
                ["APDivisionNo"] = division, ["VendorNo"] = vendor, ["VendorName"] = $"Vendor {v}", ["TemporaryVendor"] = "N", ["HoldPayment"] = "N",
                ["DateUpdated"] = v % 7 == 0 ? "20261126" : "20260101", ["TimeUpdated"] = "9.5",
            });
            for (int i = 1; i <= 4; i++)
            {
                var invoice = new Dictionary<string, string>
                {
                    ["APDivisionNo"] = division, ["VendorNo"] = vendor, ["InvoiceNo"] = $"IN{v:D4}{i}", ["HeaderSeqNo"] = "000000",
                    ["InvoiceDate"] = SageFormats.ToSageDate(new DateOnly(2026, 1 + ((v + i) % 11), 5)), ["InvoiceAmt"] = $"{v * 10 + i}.25",
                    ["DateUpdated"] = v % 5 == 0 && i == 2 ? "20261126" : "20260201", ["TimeUpdated"] = "10",
                };
                if (i != 4)
                {
                    this.sage.Table("AP_InvoiceHistoryHeader").Add(invoice);
                }

                if (i >= 3)
                {
                    this.sage.Table("AP_OpenInvoice").Add(new(invoice) { ["Balance"] = $"{v}.00" });
                }
            }
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (BoiBackend backend in this.backends)
        {
            await backend.DisposeAsync();
        }
    }

    [Fact]
    public async Task PeriodBalances_OneWalkForTheWholePull_EveryPageReadsOnlyItsShare()
    {
        BoiBackend backend = await this.StartAsync();
        var pageCosts = new List<int>();
        var rows = new List<PeriodBalanceRow>();
        (string, int)? after = null;
        do
        {
            int before = this.sage.Count("GL_PeriodPostingHistory_svc.nMoveNext");
            var page = await backend.GetPeriodBalancesAsync("ABC", "2026", 3, 8, after, 101, CancellationToken.None);
            pageCosts.Add(this.sage.Count("GL_PeriodPostingHistory_svc.nMoveNext") - before);
            rows.AddRange(page.Take(100));
            after = page.Count > 100 ? (page[99].AccountKey, page[99].FiscalPeriod) : null;
        }
        while (after is not null);

        Assert.Equal(this.ExpectedBalances("2026", 3, 8), rows.Select(Show));
        Assert.Equal(Accounts * 6 / 100, pageCosts.Count);

        // One walk of each table for the whole pull: each history row is passed once (3 years × 12 periods of every
        // account), and a page costs about its share of them wherever the cursor is.
        Assert.Equal(1, this.sage.Count("Script.NewObject(GL_PeriodPostingHistory_svc"));
        Assert.Equal(1, this.sage.Count("Script.NewObject(GL_Account_svc"));
        Assert.InRange(pageCosts.Sum(), Accounts * 36 * 6 / 10, Accounts * 36);
        Assert.All(pageCosts, cost => Assert.InRange(cost, 0, 101 * 36 / 6 + 36));
        Assert.InRange(this.sage.Count("GL_Account_svc.nMoveNext"), Accounts - 1, Accounts);
    }

    [Fact]
    public async Task PeriodBalances_WalkLost_ResumesAtTheCursorWithFind()
    {
        BoiBackend first = await this.StartAsync();
        var page1 = await first.GetPeriodBalancesAsync("ABC", "2026", 1, 12, null, 1001, CancellationToken.None);

        // Another agent process (or a restarted one) gets the second page: it has no walk open for this read.
        BoiBackend second = await this.StartAsync();
        int before = this.sage.Count("GL_PeriodPostingHistory_svc.nMoveNext");
        var page2 = await second.GetPeriodBalancesAsync("ABC", "2026", 1, 12, (page1[999].AccountKey, page1[999].FiscalPeriod), 1001, CancellationToken.None);

        Assert.Equal(this.ExpectedBalances("2026", 1, 12).Skip(1000).Take(1001), page2.Select(Show));
        Assert.Contains("GL_PeriodPostingHistory_svc.nFind()", this.sage.Calls);
        Assert.InRange(this.sage.Count("GL_PeriodPostingHistory_svc.nMoveNext") - before, 1001, 1001 * 3 + 36);
    }

    [Fact]
    public async Task PeriodBalances_WalkLostAndNoFind_ResumesByWalkingToTheCursor()
    {
        this.sage.SvcFindUnsupported = true;
        BoiBackend first = await this.StartAsync();
        var page1 = await first.GetPeriodBalancesAsync("ABC", "2026", 1, 12, null, 501, CancellationToken.None);
        BoiBackend second = await this.StartAsync();

        var page2 = await second.GetPeriodBalancesAsync("ABC", "2026", 1, 12, (page1[499].AccountKey, page1[499].FiscalPeriod), 501, CancellationToken.None);

        Assert.Equal(this.ExpectedBalances("2026", 1, 12).Skip(500).Take(501), page2.Select(Show));
    }

    [Fact]
    public async Task Accounts_PagesInKeyOrder_OneWalk()
    {
        BoiBackend backend = await this.StartAsync();
        int opened = this.sage.Count("Script.NewObject(GL_Account_svc");
        var keys = new List<string>();
        string? after = null;
        do
        {
            var page = await backend.GetAccountsAsync("ABC", after, 33, CancellationToken.None);
            keys.AddRange(page.Take(32).Select(a => a.AccountKey));
            after = page.Count > 32 ? page[31].AccountKey : null;
        }
        while (after is not null);

        Assert.Equal(Enumerable.Range(1, Accounts).Select(a => a.ToString("D9", CultureInfo.InvariantCulture)), keys);
        Assert.Equal(opened + 1, this.sage.Count("Script.NewObject(GL_Account_svc"));
    }

    [Fact]
    public async Task Vendors_ChangedSince_PagedEqualsOneRead()
    {
        BoiBackend backend = await this.StartAsync();
        var since = new SageTimestamp(new DateTime(2026, 11, 26, 9, 0, 0));
        var whole = await backend.GetVendorsAsync("ABC", since, null, 1000, CancellationToken.None);
        var paged = new List<VendorRow>();
        (string, string)? after = null;
        do
        {
            var page = await backend.GetVendorsAsync("ABC", since, after, 3, CancellationToken.None);
            paged.AddRange(page.Take(2));
            after = page.Count > 2 ? (page[1].DivisionNo, page[1].VendorNo) : null;
        }
        while (after is not null);

        Assert.Equal(8, whole.Count); // vendors 7, 14, ... 56
        Assert.Equal(whole, paged);
        Assert.Equal(whole.OrderBy(v => v.DivisionNo, StringComparer.Ordinal).ThenBy(v => v.VendorNo, StringComparer.Ordinal), whole);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task InvoiceTotals_PagedOnVendorBoundaries_EqualsOneRead_OneWalkPerTable(bool changedOnly)
    {
        BoiBackend backend = await this.StartAsync();
        SageTimestamp? since = changedOnly ? new SageTimestamp(new DateTime(2026, 11, 26, 9, 0, 0)) : null;
        InvoiceTotalsResult whole = await backend.GetInvoiceTotalsAsync("ABC", since, null, 100_000, CancellationToken.None);
        int opened = this.sage.Count("Script.NewObject(AP_OpenInvoice_svc");
        var paged = new List<InvoiceTotalRow>();
        (string, string)? after = null;
        int pages = 0;
        while (true)
        {
            InvoiceTotalsResult page = await backend.GetInvoiceTotalsAsync("ABC", since, after, 5, CancellationToken.None);
            pages++;
            paged.AddRange(page.Rows);
            if (!page.HasMore)
            {
                break;
            }

            after = page.LastVendor;
        }

        Assert.Equal(whole.Rows, paged);
        Assert.True(pages > 2, $"{pages} pages");
        Assert.Equal(opened + 1, this.sage.Count("Script.NewObject(AP_OpenInvoice_svc"));

        // Vendor 10 (division 01): invoices 1-3 in history (1 and 2 paid), 3 and 4 open with a balance of 10.00 each.
        InvoiceTotalRow[] vendor10 = [.. whole.Rows.Where(r => r.VendorNo == "0000010")];
        if (changedOnly)
        {
            // Only invoice 2 changed (vendor numbers divisible by 5): only its period is sent.
            InvoiceTotalRow row = Assert.Single(vendor10);
            Assert.Equal((1, 102.25m, 0m), (row.InvoiceCount, row.InvoiceAmount, row.OpenBalance));
            Assert.DoesNotContain(whole.Rows, r => int.Parse(r.VendorNo, CultureInfo.InvariantCulture) % 5 != 0);
        }
        else
        {
            Assert.Equal(4, vendor10.Sum(r => r.InvoiceCount));
            Assert.Equal(101.25m + 102.25m + 103.25m + 104.25m, vendor10.Sum(r => r.InvoiceAmount));
            Assert.Equal(20.00m, vendor10.Sum(r => r.OpenBalance));
            Assert.Equal(60, whole.Rows.Select(r => r.VendorNo).Distinct().Count());
        }
    }

    [Fact]
    public async Task Browse_NotInKeyOrder_FailsLoudlyInsteadOfPagingWrong()
    {
        this.sage.UnorderedBrowse.Add("GL_Account");
        BoiBackend backend = await this.StartAsync();

        var error = await Assert.ThrowsAsync<SageOperationException>(() => backend.GetAccountsAsync("ABC", null, 10, CancellationToken.None));

        Assert.Contains("did not browse in key order", error.Message, StringComparison.Ordinal);
    }

    private async Task<BoiBackend> StartAsync()
    {
        var backend = new BoiBackend(
            new BoiBackendOptions { Companies = ["ABC"], UserName = "agent", Password = "pw" },
            this.sage,
            new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero)),
            NullLogger<BoiBackend>.Instance);
        this.backends.Add(backend);
        await backend.StartAsync(CancellationToken.None);
        return backend;
    }

    private IEnumerable<string> ExpectedBalances(string year, int from, int to)
        => this.sage.Table("GL_PeriodPostingHistory")
            .Where(r => r["FiscalYear"] == year && int.Parse(r["FiscalPeriod"], CultureInfo.InvariantCulture) is var p && p >= from && p <= to)
            .OrderBy(r => r["AccountKey"], StringComparer.Ordinal).ThenBy(r => r["FiscalPeriod"], StringComparer.Ordinal)
            .Select(r => $"{r["AccountKey"]} {this.AccountOf(r["AccountKey"])} {r["FiscalPeriod"]} {r["DebitAmount"]} {r["CreditAmount"]}");

    private string AccountOf(string key) => this.sage.Table("GL_Account").Single(a => a["AccountKey"] == key)["Account"];

    private static string Show(PeriodBalanceRow r)
        => $"{r.AccountKey} {r.Account} {r.FiscalPeriod:D2} {SageFormats.FormatMoney(r.Debit)} {SageFormats.FormatMoney(r.Credit)}";

    private static string Money(Random rng) => (rng.Next(0, 1_000_000) / 100m).ToString("0.00", CultureInfo.InvariantCulture);
}
