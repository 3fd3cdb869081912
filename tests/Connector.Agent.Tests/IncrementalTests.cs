using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Connector.Agent.Sage;
using Connector.Tests.Shared;

namespace Connector.Agent.Tests;

/// <summary>Incremental vendor and AP-total pulls on (DateUpdated, TimeUpdated) with an overlap window.</summary>
public sealed class IncrementalTests : AgentTestBase
{
    private async Task<(List<JsonNode> Items, string Watermark)> PullAll(string path, string? since, int? overlapSeconds = null, int limit = 4)
    {
        var items = new List<JsonNode>();
        string? cursor = null;
        string? watermark = null;
        do
        {
            string url = $"{path}?limit={limit}" + (since is null ? "" : $"&changedSince={since}") + (overlapSeconds is null ? "" : $"&overlapSeconds={overlapSeconds}") + (cursor is null ? "" : $"&cursor={cursor}");
            JsonNode page = (await this.Http.GetFromJsonAsync<JsonNode>(url))!;
            items.AddRange(page.Items().Select(i => i!));
            watermark ??= page["watermark"]?.GetValue<string>();
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        return (items, watermark!);
    }

    private static SageTimestamp At(string text) => SageTimestamp.TryParse(text, out SageTimestamp t) ? t : throw new FormatException(text);

    [Fact]
    public async Task Vendors_SecondPull_ReturnsOnlyVendorsChangedSinceWatermark()
    {
        var (all, watermark) = await this.PullAll("v1/companies/ABC/ap/vendors", null);
        Assert.Equal(12, all.Count);

        this.Agent.Clock.Advance(TimeSpan.FromHours(2));
        this.Agent.Sim.Company("ABC").UpsertVendor("02", "0000003", "Renamed Supply Co", null, null, null, blankTime: false, create: false);
        var (changed, next) = await this.PullAll("v1/companies/ABC/ap/vendors", watermark, overlapSeconds: 0);

        JsonNode vendor = Assert.Single(changed, v => v.Str("vendorKey") == "02-0000003");
        Assert.Equal("Renamed Supply Co", vendor.Str("name"));
        Assert.True(At(next) > At(watermark));

        // Besides it, only rows stamped exactly at the watermark (the comparison is inclusive: rows can share a second)
        // or with a blank TimeUpdated on the watermark's day (they cannot be ordered within the day) come back.
        string day = watermark[..10];
        Assert.All(changed.Where(v => v != vendor), v => Assert.True(v.Str("updatedAt") == watermark || (v["timeUpdated"] is null && v.Str("dateUpdated") == day), v.ToJsonString()));
        Assert.True(changed.Count < all.Count);
    }

    [Fact]
    public async Task Vendors_RowStampedInsideOverlapWindow_IsNotMissed()
    {
        var (_, watermark) = await this.PullAll("v1/companies/ABC/ap/vendors", null);
        // A writer that committed late with an earlier clock: stamped 3 minutes before the watermark.
        SageTimestamp late = At(watermark).Minus(TimeSpan.FromMinutes(3));
        this.Agent.Sim.Company("ABC").UpsertVendor("01", "0000002", "Late Writer Ltd", null, null, late, blankTime: false, create: false);
        SageTimestamp tooEarly = At(watermark).Minus(TimeSpan.FromMinutes(30));
        this.Agent.Sim.Company("ABC").UpsertVendor("01", "0000004", "Outside Window Ltd", null, null, tooEarly, blankTime: false, create: false);

        var (changed, _) = await this.PullAll("v1/companies/ABC/ap/vendors", watermark, overlapSeconds: 300);

        Assert.Contains(changed, v => v.Str("vendorKey") == "01-0000002");
        Assert.DoesNotContain(changed, v => v.Str("vendorKey") == "01-0000004");
    }

    [Fact]
    public async Task Vendors_BlankTimeUpdatedOnWatermarkDay_IsReturned()
    {
        this.Agent.Clock.Advance(TimeSpan.FromHours(5));
        var (_, watermark) = await this.PullAll("v1/companies/ABC/ap/vendors", null);
        this.Agent.Sim.Company("ABC").UpsertVendor("02", "0000005", "Blank Time Inc", null, null, null, blankTime: true, create: false);

        var (changed, _) = await this.PullAll("v1/companies/ABC/ap/vendors", watermark, overlapSeconds: 0);

        JsonNode vendor = Assert.Single(changed, v => v.Str("vendorKey") == "02-0000005");
        Assert.Null(vendor["timeUpdated"]);
        Assert.EndsWith("T00:00:00", vendor.Str("updatedAt"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvoiceTotals_ChangedInvoice_ReturnsFullRecomputedGroupOnly()
    {
        // A new day, so no row generated "today" with a blank TimeUpdated falls into the window.
        this.Agent.Clock.Advance(TimeSpan.FromDays(1));
        var company = this.Agent.Sim.Company("ABC");
        company.UpsertVendor("01", "0000077", "Fresh Vendor", null, null, null, false, create: true);
        company.UpsertInvoice("01", "0000077", "A-1", new DateOnly(2026, 10, 5), 100.10m, 100.10m, null, false, create: true);
        var (all, watermark) = await this.PullAll("v1/companies/ABC/ap/invoice-totals", null, limit: 10);
        this.Agent.Clock.Advance(TimeSpan.FromMinutes(30));
        company.UpsertInvoice("01", "0000077", "A-2", new DateOnly(2026, 10, 20), 0.25m, null, null, false, create: true);
        company.UpsertInvoice("01", "0000077", "A-3", new DateOnly(2026, 11, 2), 7m, 7m, null, false, create: true);

        var (changed, _) = await this.PullAll("v1/companies/ABC/ap/invoice-totals", watermark, overlapSeconds: 0);

        Assert.Equal(2, changed.Count);
        JsonNode october = Assert.Single(changed, g => g["fiscalPeriod"]!.GetValue<int>() == 10);
        Assert.Equal(2, october["invoiceCount"]!.GetValue<int>());
        Assert.Equal(100.35m, october["invoiceAmount"]!.GetValue<decimal>());
        Assert.Equal(100.10m, october["openBalance"]!.GetValue<decimal>());
        Assert.Equal("01-0000077", october.Str("vendorKey"));
        Assert.Equal(1, Assert.Single(all, g => g.Str("vendorKey") == "01-0000077")["invoiceCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task InvoiceTotals_FullPull_CountsEveryInvoiceOnceAcrossOpenAndHistory()
    {
        var (all, _) = await this.PullAll("v1/companies/LNG/ap/invoice-totals", null, limit: 25);
        var company = this.Agent.Sim.Company("LNG");

        Assert.Equal(company.Count("AP_InvoiceHistoryHeader"), all.Sum(g => g["invoiceCount"]!.GetValue<int>()));
        Assert.True(company.Count("AP_OpenInvoice") > 0);
        Assert.Equal(all.Count, all.Select(g => $"{g.Str("vendorKey")}|{g.Str("fiscalYear")}|{g["fiscalPeriod"]}").Distinct().Count());
    }

    [Fact]
    public async Task PeriodBalances_PagedAcrossCursors_MatchesTableAndBeginningBalanceOnlyOnPeriodOne()
    {
        List<JsonNode> y2026 = await this.Balances("TST", "2026", limit: 37);
        List<JsonNode> y2025 = await this.Balances("TST", "2025", limit: 500);

        Assert.Equal(this.Agent.Sim.Company("TST").Count("GL_PeriodPostingHistory"), y2025.Count + y2026.Count);
        Assert.All(y2026, r => Assert.Equal(r["fiscalPeriod"]!.GetValue<int>() == 1, r["beginningBalance"] is not null));
        Assert.All(y2026, r => Assert.Equal(r["debit"]!.GetValue<decimal>() - r["credit"]!.GetValue<decimal>(), r["net"]!.GetValue<decimal>()));
        Assert.Equal(13, y2025.Max(r => r["fiscalPeriod"]!.GetValue<int>()));
        Assert.Equal(12, y2026.Max(r => r["fiscalPeriod"]!.GetValue<int>()));
        Assert.Equal(y2026.Count, y2026.Select(r => $"{r.Str("accountKey")}|{r["fiscalPeriod"]}").Distinct().Count());
    }

    private async Task<List<JsonNode>> Balances(string company, string year, int limit)
    {
        var rows = new List<JsonNode>();
        string? cursor = null;
        do
        {
            JsonNode page = (await this.Http.GetFromJsonAsync<JsonNode>($"v1/companies/{company}/gl/period-balances?fiscalYear={year}&limit={limit}" + (cursor is null ? "" : $"&cursor={cursor}")))!;
            rows.AddRange(page.Items().Select(i => i!));
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);
        return rows;
    }
}
