using System.Net;
using System.Text.Json.Nodes;
using Connector.Tests.Shared;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Connector.Agent.Tests;

/// <summary>Every route the agent maps is in openapi.yaml, and every answer (success and error) matches it.</summary>
public sealed class ContractTests : AgentTestBase
{
    [Fact]
    public void Routes_AllDeclaredInOpenApi()
    {
        var endpoints = this.Agent.Handle.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();
        var missing = new List<string>();
        foreach (RouteEndpoint e in endpoints)
        {
            string template = "/" + System.Text.RegularExpressions.Regex.Replace(e.RoutePattern.RawText!.TrimStart('/'), @"\{(\w+)(:\w+)?\}", "{$1}");
            foreach (string method in e.Metadata.OfType<HttpMethodMetadata>().SelectMany(m => m.HttpMethods))
            {
                if (OpenApiContract.Instance.Paths[template]?[method.ToLowerInvariant()] is null)
                {
                    missing.Add($"{method} {template}");
                }
            }
        }

        Assert.Empty(missing);
        Assert.True(endpoints.Count() >= 18);
    }

    [Theory]
    [InlineData("ABC")]
    [InlineData("TST")]
    [InlineData("LNG")]
    public async Task Reads_MatchContract(string company)
    {
        var c = OpenApiContract.Instance;
        await c.CheckAsync(await this.Http.GetAsync("v1/health"), "/v1/health", "get");
        JsonNode? caps = await c.CheckAsync(await this.Http.GetAsync("v1/capabilities"), "/v1/capabilities", "get");
        Assert.Equal(3, caps!["companies"]!.AsArray().Count);
        string co = $"/v1/companies/{{company}}";
        await c.CheckAsync(await this.Http.GetAsync($"v1/companies/{company}/account-structure"), co + "/account-structure", "get");
        JsonNode? accounts = await c.CheckAsync(await this.Http.GetAsync($"v1/companies/{company}/gl/accounts?limit=5"), co + "/gl/accounts", "get");
        await c.CheckAsync(await this.Http.GetAsync($"v1/companies/{company}/gl/accounts?limit=5&cursor={accounts.Str("nextCursor")}"), co + "/gl/accounts", "get");
        await c.CheckAsync(await this.Http.GetAsync($"v1/companies/{company}/gl/sub-accounts?segment=2"), co + "/gl/sub-accounts", "get");
        await c.CheckAsync(await this.Http.GetAsync($"v1/companies/{company}/gl/fiscal-calendar"), co + "/gl/fiscal-calendar", "get");
        await c.CheckAsync(await this.Http.GetAsync($"v1/companies/{company}/gl/period-balances?fiscalYear=2026&fromPeriod=1&toPeriod=3&limit=50"), co + "/gl/period-balances", "get");
        await c.CheckAsync(await this.Http.GetAsync($"v1/companies/{company}/ap/vendors?limit=3"), co + "/ap/vendors", "get");
        await c.CheckAsync(await this.Http.GetAsync($"v1/companies/{company}/ap/vendors?changedSince=2026-11-01T00:00:00&overlapSeconds=60"), co + "/ap/vendors", "get");
        await c.CheckAsync(await this.Http.GetAsync($"v1/companies/{company}/ap/invoice-totals?limit=7"), co + "/ap/invoice-totals", "get");
        await c.CheckAsync(await this.Http.GetAsync($"v1/companies/{company}/ap/invoice-totals?changedSince=2026-11-20T00:00:00"), co + "/ap/invoice-totals", "get");
        JsonNode? distribution = await c.CheckAsync(await this.Http.GetAsync($"v1/companies/{company}/ap/invoice-distribution?segment=2&limit=7"), co + "/ap/invoice-distribution", "get");
        Assert.NotEmpty(distribution!["items"]!.AsArray());
        await c.CheckAsync(await this.Http.GetAsync($"v1/companies/{company}/ap/invoice-distribution?segment=2&limit=7&cursor={distribution.Str("nextCursor")}"), co + "/ap/invoice-distribution", "get");
        await c.CheckAsync(await this.Http.GetAsync($"v1/companies/{company}/ap/invoice-distribution?segment=2&changedSince=2026-11-20T00:00:00"), co + "/ap/invoice-distribution", "get");
    }

    [Fact]
    public async Task Errors_MatchContract()
    {
        var c = OpenApiContract.Instance;
        string co = "/v1/companies/{company}";
        using (HttpClient anonymous = this.Agent.CreateHttpClient(apiKey: null))
        {
            await c.CheckAsync(await anonymous.GetAsync("v1/companies/ABC/gl/accounts"), co + "/gl/accounts", "get");
        }

        await c.CheckAsync(await this.Http.GetAsync("v1/companies/XYZ/gl/accounts"), co + "/gl/accounts", "get");
        await c.CheckAsync(await this.Http.GetAsync("v1/companies/ABC/gl/accounts?cursor=not-a-cursor"), co + "/gl/accounts", "get");
        await c.CheckAsync(await this.Http.GetAsync("v1/companies/ABC/gl/period-balances"), co + "/gl/period-balances", "get");
        HttpResponseMessage noSegment = await this.Http.GetAsync("v1/companies/ABC/ap/invoice-distribution");
        Assert.Equal(HttpStatusCode.BadRequest, noSegment.StatusCode);
        Assert.Equal("segment", (await c.CheckAsync(noSegment, co + "/ap/invoice-distribution", "get")).Str("field"));
        await c.CheckAsync(await this.Http.GetAsync("v1/companies/ABC/ap/vendors?changedSince=yesterday"), co + "/ap/vendors", "get");
        await c.CheckAsync(await this.Http.GetAsync("v1/companies/ABC/gl/journal-entries?externalId=NOPE-1"), co + "/gl/journal-entries", "get");
        this.Agent.Sim.Faults("ABC").Set(new(UnavailableReason: "licence", UnavailableCount: 1));
        await c.CheckAsync(await this.Http.GetAsync("v1/companies/ABC/gl/fiscal-calendar"), co + "/gl/fiscal-calendar", "get");
    }

    [Fact]
    public async Task UnreadableTable_FailsTheReadsThatUseIt_AsUnavailable_OthersGoThrough()
    {
        var c = OpenApiContract.Instance;
        string co = "/v1/companies/{company}";
        this.Agent.Sim.Faults("ABC").Set(new(UnreadableTables: ["GL_Account"]));
        try
        {
            HttpResponseMessage accounts = await this.Http.GetAsync("v1/companies/ABC/gl/accounts");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, accounts.StatusCode);
            Assert.Contains("GL_Account", (await c.CheckAsync(accounts, co + "/gl/accounts", "get")).Str("message"), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await this.Http.GetAsync("v1/companies/ABC/gl/period-balances?fiscalYear=2026&fromPeriod=1&toPeriod=1")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await this.Http.GetAsync("v1/companies/ABC/ap/vendors")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await this.Http.GetAsync("v1/companies/ABC/gl/fiscal-calendar")).StatusCode);
        }
        finally
        {
            this.Agent.Sim.Faults("ABC").Clear();
        }

        Assert.Equal(HttpStatusCode.OK, (await this.Http.GetAsync("v1/companies/ABC/gl/accounts")).StatusCode);
    }

    [Fact]
    public async Task JournalAndSimulationRoutes_MatchContract()
    {
        var c = OpenApiContract.Instance;
        string co = "/v1/companies/{company}";
        object Entry(string id, decimal credit) => new
        {
            externalId = id,
            sourceJournal = "GJ",
            postingDate = "2026-11-30",
            comment = "FY27 budget",
            lines = new[] { new { account = "600-01-01", debit = 100.10m, credit = 0m }, new { account = "100-00-00", debit = 0m, credit } },
        };
        await c.CheckAsync(await this.Http.PostAsync("v1/companies/ABC/gl/journal-entries", Entry("C-1", 100.10m).AsJson()), co + "/gl/journal-entries", "post");
        await c.CheckAsync(await this.Http.PostAsync("v1/companies/ABC/gl/journal-entries", Entry("C-1", 100.10m).AsJson()), co + "/gl/journal-entries", "post");
        await c.CheckAsync(await this.Http.PostAsync("v1/companies/ABC/gl/journal-entries", Entry("C-1", 99m).AsJson()), co + "/gl/journal-entries", "post");
        await c.CheckAsync(await this.Http.PostAsync("v1/companies/ABC/gl/journal-entries", Entry("C-2", 99m).AsJson()), co + "/gl/journal-entries", "post");
        await c.CheckAsync(await this.Http.PostAsync("v1/companies/ABC/gl/journal-entries", new StringContent("{\"externalId\":", System.Text.Encoding.UTF8, "application/json")), co + "/gl/journal-entries", "post");
        this.Agent.Sim.Faults("ABC").Set(new(LockNextWrites: 1));
        await c.CheckAsync(await this.Http.PostAsync("v1/companies/ABC/gl/journal-entries", Entry("C-3", 100.10m).AsJson()), co + "/gl/journal-entries", "post");
        await c.CheckAsync(await this.Http.GetAsync("v1/companies/ABC/gl/journal-entries?externalId=C-1"), co + "/gl/journal-entries", "get");

        string sim = "/_sim/companies/{company}";
        await c.CheckAsync(await this.Http.GetAsync("_sim/companies/ABC/gl/journal-entries"), sim + "/gl/journal-entries", "get");
        await c.CheckAsync(await this.Http.PostAsync("_sim/companies/ABC/gl/journal-update", null), sim + "/gl/journal-update", "post");
        await c.CheckAsync(await this.Http.GetAsync("v1/companies/ABC/gl/journal-entries?externalId=C-1"), co + "/gl/journal-entries", "get");
        await c.CheckAsync(await this.Http.PostAsync("_sim/companies/ABC/ap/vendors", new { divisionNo = "01", vendorNo = "0009999", name = "New Vendor Inc" }.AsJson()), sim + "/ap/vendors", "post");
        await c.CheckAsync(await this.Http.PatchAsync("_sim/companies/ABC/ap/vendors/01/0009999", new { name = "Renamed", blankTimeUpdated = true }.AsJson()), sim + "/ap/vendors/{division}/{vendorNo}", "patch");
        await c.CheckAsync(await this.Http.PostAsync("_sim/companies/ABC/ap/invoices", new { divisionNo = "01", vendorNo = "0009999", invoiceNo = "SIM-1", invoiceDate = "2026-11-02", invoiceAmount = 10.5m, balance = 10.5m }.AsJson()), sim + "/ap/invoices", "post");
        await c.CheckAsync(await this.Http.PatchAsync("_sim/companies/ABC/ap/invoices/01/0009999/SIM-1", new { balance = 0m }.AsJson()), sim + "/ap/invoices/{division}/{vendorNo}/{invoiceNo}", "patch");
        await c.CheckAsync(await this.Http.PatchAsync("_sim/companies/ABC/ap/invoices/01/0009999/NOPE", new { balance = 0m }.AsJson()), sim + "/ap/invoices/{division}/{vendorNo}/{invoiceNo}", "patch");
        await c.CheckAsync(await this.Http.PutAsync("_sim/companies/ABC/gl/period-balances/600-01-01/2026/11", new { debit = 5m }.AsJson()), sim + "/gl/period-balances/{account}/{fiscalYear}/{fiscalPeriod}", "put");
        await c.CheckAsync(await this.Http.PutAsync("_sim/companies/ABC/faults", new { slowPageMilliseconds = 1 }.AsJson()), sim + "/faults", "put");
        await c.CheckAsync(await this.Http.DeleteAsync("_sim/companies/ABC/faults"), sim + "/faults", "delete");
    }

    [Fact]
    public async Task Check_NonConformingBody_Fails()
    {
        // The checker itself must be able to fail: a balance with a float-ish amount and no accountKey.
        using var response = new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent("{\"items\":[{\"account\":\"100-00-00\",\"fiscalYear\":\"2026\",\"fiscalPeriod\":1,\"debit\":0.001,\"credit\":0,\"net\":0}]}"),
        };
        await Assert.ThrowsAsync<Xunit.Sdk.XunitException>(() => OpenApiContract.Instance.CheckAsync(response, "/v1/companies/{company}/gl/period-balances", "get"));
        using var undeclared = new HttpResponseMessage(HttpStatusCode.Conflict) { Content = new StringContent("{}") };
        await Assert.ThrowsAsync<Xunit.Sdk.XunitException>(() => OpenApiContract.Instance.CheckAsync(undeclared, "/v1/companies/{company}/gl/accounts", "get"));
    }

    [Fact]
    public async Task SimulationRoutes_AbsentWhenDisabled()
    {
        await using TestAgent plain = await TestAgent.StartAsync(o => o.EnableSimulationRoutes = false);
        using HttpClient client = plain.CreateHttpClient();
        HttpResponseMessage response = await client.GetAsync("_sim/companies/ABC/gl/journal-entries");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
