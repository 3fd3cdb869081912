using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Connector.Agent.Journal;
using Microsoft.Extensions.DependencyInjection;

namespace Connector.Agent.Tests;

/// <summary>
/// What the agent accepts in a journal entry is what Sage 100 can store: amounts within the 16.2 width of its amount
/// fields and to the cent, numbers as JSON numbers, comments within its 2048-character comment fields; a refused post
/// leaves nothing behind that blocks the next one.
/// </summary>
public sealed class JournalBoundsTests : AgentTestBase
{
    private static string Entry(string id, string debit1, string debit2, string credit, string? lineComment = null, string? comment = "budget load")
        => $$"""
            {"externalId":"{{id}}","sourceJournal":"GJ","postingDate":"2026-11-30","comment":{{Json(comment)}},"lines":[
              {"account":"600-01-01","debit":{{debit1}},"credit":0,"comment":{{Json(lineComment ?? "line")}}},
              {"account":"600-01-02","debit":{{debit2}},"credit":0,"comment":"line"},
              {"account":"100-00-00","debit":0,"credit":{{credit}},"comment":"line"}]}
            """;

    [Fact]
    public async Task Create_AmountsBeyondSagesFieldWidth_RefusedNamingLineAndField_AndTheNextPostGoesThrough()
    {
        // decimal.MaxValue twice: the sum overflowed inside the agent (500), leaving a pending ledger row.
        HttpResponseMessage huge = await this.PostAsync(Entry("OVF-1", "79228162514264337593543950335", "79228162514264337593543950335", "79228162514264337593543950335"));
        JsonNode error = await Body(huge);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, huge.StatusCode);
        Assert.Equal(("validation", "lines[0].debit", 1), (error.Str("code"), error.Str("field"), error["line"]!.GetValue<int>()));
        Assert.Contains("99,999,999,999,999.99", error.Str("message"), StringComparison.Ordinal);
        Assert.Null(this.Ledger.Get("ABC", "OVF-1"));

        // One cent over Sage's width on the second line.
        HttpResponseMessage over = await this.PostAsync(Entry("OVF-2", "1.00", "100000000000000.00", "100000000000001.00"));
        JsonNode overError = await Body(over);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, over.StatusCode);
        Assert.Equal(("lines[1].debit", 2), (overError.Str("field"), overError["line"]!.GetValue<int>()));

        // Every later post in the company goes through.
        HttpResponseMessage next = await this.PostAsync(Entry("AFTER-1", "10.00", "20.00", "30.00"));
        Assert.Equal(HttpStatusCode.Created, next.StatusCode);
        Assert.Equal(JournalLedger.Written, this.Ledger.Get("ABC", "AFTER-1")?.State);
        Assert.Single(this.Agent.Sim.Company("ABC").ListJournalEntries());
    }

    [Fact]
    public async Task Create_MoreThanTwoDecimals_RefusedNamingLineAndField_NothingRounded()
    {
        HttpResponseMessage response = await this.PostAsync(Entry("DEC-1", "1234.567", "1.00", "1235.567"));

        JsonNode error = await Body(response);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(("lines[0].debit", 1), (error.Str("field"), error["line"]!.GetValue<int>()));
        Assert.Empty(this.Agent.Sim.Company("ABC").ListJournalEntries());
        Assert.Null(this.Ledger.Get("ABC", "DEC-1"));
    }

    [Theory]
    [InlineData("\"10.00\"", "lines[0].debit")]
    [InlineData("\"1e2\"", "lines[0].debit")]
    public async Task Create_AmountAsString_400_TheContractSaysNumber(string debit, string field)
    {
        HttpResponseMessage response = await this.PostAsync(Entry("STR-1", debit, "20.00", "30.00"));

        JsonNode error = await Body(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("bad_request", error.Str("code"));
        Assert.Equal(field, error.Str("field"));
        Assert.Empty(this.Agent.Sim.Company("ABC").ListJournalEntries());
    }

    [Fact]
    public async Task Create_CommentsBeyondSagesCommentWidth_Refused_AndTheLongestAllowedFitsWithTheExternalId()
    {
        string megabyte = new('x', 1024 * 1024);
        HttpResponseMessage line = await this.PostAsync(Entry("CMT-1", "10.00", "20.00", "30.00", lineComment: megabyte));
        JsonNode lineError = await Body(line);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, line.StatusCode);
        Assert.Equal(("lines[0].comment", 1), (lineError.Str("field"), lineError["line"]!.GetValue<int>()));

        HttpResponseMessage header = await this.PostAsync(Entry("CMT-2", "10.00", "20.00", "30.00", comment: new string('y', 2008)));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, header.StatusCode);
        Assert.Equal("comment", (await Body(header)).Str("field"));

        // The longest comment allowed, under the longest external id: stored whole, and found by its external id.
        string id = "ID-" + new string('9', 37);
        string longest = new('z', 2007);
        HttpResponseMessage created = await this.PostAsync(Entry(id, "10.00", "20.00", "30.00", lineComment: longest, comment: longest));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        JsonNode found = (await this.Http.GetFromJsonAsync<JsonNode>($"v1/companies/ABC/gl/journal-entries?externalId={id}"))!;
        Assert.Equal($"{id} {longest}", found["lines"]![0]!.Str("comment"));
        Assert.Equal(2048, found["lines"]![0]!.Str("comment").Length);
        Assert.Equal($"{id} {longest}", found.Str("comment"));
    }

    private JournalLedger Ledger => this.Agent.Handle.Services.GetRequiredService<JournalLedger>();

    private static string Json(string? value) => value is null ? "null" : System.Text.Json.JsonSerializer.Serialize(value);

    private static async Task<JsonNode> Body(HttpResponseMessage response) => (await response.Content.ReadFromJsonAsync<JsonNode>())!;

    private Task<HttpResponseMessage> PostAsync(string json)
        => this.Http.PostAsync("v1/companies/ABC/gl/journal-entries", new StringContent(json, Encoding.UTF8, "application/json"));
}
