using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Connector.Agent.Backends.Simulated;
using Connector.Tests.Shared;

namespace Connector.Agent.Tests;

/// <summary>Journal entries through the agent: Sage's rules, idempotency by external id, locks, crashes.</summary>
public sealed class JournalEntryTests : AgentTestBase
{
    private static object Entry(string id, string date = "2026-11-30", string journal = "GJ", params (string Account, decimal Debit, decimal Credit)[] lines)
        => new
        {
            externalId = id,
            sourceJournal = journal,
            postingDate = date,
            comment = "budget load",
            lines = (lines.Length == 0 ? [("600-01-01", 1250.75m, 0m), ("100-00-00", 0m, 1250.75m)] : lines)
                .Select(l => new { account = l.Account, debit = l.Debit, credit = l.Credit, comment = "line" }).ToArray(),
        };

    private Task<HttpResponseMessage> Post(object body, string company = "ABC") => this.Http.PostAsync($"v1/companies/{company}/gl/journal-entries", body.AsJson());

    private int EntriesIn(string company) => this.Agent.Sim.Company(company).ListJournalEntries().Count;

    [Fact]
    public async Task Create_ThenLookup_FindsEntryWithCommentsCarryingExternalId()
    {
        HttpResponseMessage created = await this.Post(Entry("BUD-2026-11-001"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        JsonNode body = (await created.Content.ReadFromJsonAsync<JsonNode>())!;

        JsonNode found = (await this.Http.GetFromJsonAsync<JsonNode>("v1/companies/ABC/gl/journal-entries?externalId=BUD-2026-11-001"))!;
        Assert.Equal(body.Str("entryNo"), found.Str("entryNo"));
        Assert.Equal("unposted", found.Str("status"));
        Assert.StartsWith("BUD-2026-11-001 ", found.Str("comment"), StringComparison.Ordinal);
        Assert.All(found["lines"]!.AsArray(), l => Assert.StartsWith("BUD-2026-11-001 ", l.Str("comment"), StringComparison.Ordinal));
        Assert.Equal(1250.75m, found["lines"]![0]!["debit"]!.GetValue<decimal>());
        Assert.Equal("00001", found.Str("batchNo"));
    }

    [Fact]
    public async Task Create_Repeated_ReturnsExistingEntryAndWritesNothing()
    {
        HttpResponseMessage first = await this.Post(Entry("REP-1"));
        HttpResponseMessage second = await this.Post(Entry("REP-1"));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal((await first.Content.ReadFromJsonAsync<JsonNode>()).Str("entryNo"), (await second.Content.ReadFromJsonAsync<JsonNode>()).Str("entryNo"));
        Assert.Equal(1, this.EntriesIn("ABC"));
    }

    [Fact]
    public async Task Create_AfterJournalUpdate_FindsPostedEntryInHistoryAndDoesNotRepost()
    {
        await this.Post(Entry("HIST-1"));
        Assert.Equal(1, this.Agent.Sim.Company("ABC").JournalUpdate("TEST"));

        HttpResponseMessage again = await this.Post(Entry("HIST-1"));
        JsonNode entry = (await again.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("posted", entry.Str("status"));
        Assert.NotNull(entry["journalRegisterNo"]!.GetValue<string>());
        Assert.Equal(1, this.EntriesIn("ABC"));
        Assert.Equal(2, this.Agent.Sim.Company("ABC").Count("GL_DetailPosting"));
    }

    [Fact]
    public async Task Create_SameIdDifferentLines_ConflictNothingWritten()
    {
        await this.Post(Entry("CONF-1"));
        HttpResponseMessage response = await this.Post(Entry("CONF-1", lines: [("600-01-01", 5m, 0m), ("100-00-00", 0m, 5m)]));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("externalId", (await response.Content.ReadFromJsonAsync<JsonNode>()).Str("field"));
        Assert.Equal(1, this.EntriesIn("ABC"));
    }

    [Theory]
    [InlineData("OOB", "2026-11-30", "600-01-01", 100.00, "100-00-00", 99.99, "lines", "out of balance")]
    [InlineData("INACT", "2026-11-30", "630-02-03", 10.00, "100-00-00", 10.00, "lines[0].account", "inactive")]
    [InlineData("UNKN", "2026-11-30", "100-00-00", 10.00, "999-01-01", 10.00, "lines[1].account", "not on file")]
    [InlineData("CLOSED", "2026-03-15", "600-01-01", 10.00, "100-00-00", 10.00, "postingDate", "closed")]
    [InlineData("NOYEAR", "2028-01-15", "600-01-01", 10.00, "100-00-00", 10.00, "postingDate", "not within a fiscal year")]
    public async Task Create_BreaksSageRule_422WithSageMessageRecordFieldAndNothingPosted(string id, string date, string debitAccount, double debit, string creditAccount, double credit, string field, string words)
    {
        HttpResponseMessage response = await this.Post(Entry(id, date, lines: [(debitAccount, (decimal)debit, 0m), (creditAccount, 0m, (decimal)credit)]));
        JsonNode error = (await response.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("validation", error.Str("code"));
        Assert.Contains(words, error.Str("sageMessage"), StringComparison.OrdinalIgnoreCase);
        Assert.Equal($"journal entry {id}", error.Str("record"));
        Assert.Equal(field, error.Str("field"));
        Assert.Equal(0, this.EntriesIn("ABC"));
        Assert.Equal(HttpStatusCode.NotFound, (await this.Http.GetAsync($"v1/companies/ABC/gl/journal-entries?externalId={id}")).StatusCode);
    }

    [Fact]
    public async Task Create_BudgetIntoFutureFiscalYear_Accepted()
    {
        HttpResponseMessage response = await this.Post(Entry("FY27-P03", "2027-03-31"));
        JsonNode entry = (await response.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("2027", entry.Str("fiscalYear"));
        Assert.Equal(3, entry["fiscalPeriod"]!.GetValue<int>());
    }

    [Fact]
    public async Task Create_NumbersEntriesPerSourceJournal_AndTstHasNoBatches()
    {
        await this.Post(Entry("N-1"));
        await this.Post(Entry("N-2"));
        HttpResponseMessage budget = await this.Post(Entry("N-3", journal: "BU"));
        HttpResponseMessage tst = await this.Post(Entry("T-1", lines: [("6000-100", 10m, 0m), ("1000-000", 0m, 10m)]), "TST");

        var abc = this.Agent.Sim.Company("ABC").ListJournalEntries().ToDictionary(e => e.ExternalId);
        Assert.Equal("000001", abc["N-1"].EntryNo);
        Assert.Equal("000002", abc["N-2"].EntryNo);
        Assert.Equal("000001", (await budget.Content.ReadFromJsonAsync<JsonNode>()).Str("entryNo"));
        Assert.Equal("00000", (await tst.Content.ReadFromJsonAsync<JsonNode>()).Str("batchNo"));
    }

    [Fact]
    public async Task Create_WhileLocked_423WithRetryAfterAndSageText_ThenSucceeds()
    {
        this.Agent.Sim.Faults("ABC").Set(new SimulatedFaultSettings(LockNextWrites: 2, LockMessage: "Journal entry batch 00001 is in use by MARY."));
        HttpResponseMessage first = await this.Post(Entry("LOCK-1"));
        HttpResponseMessage second = await this.Post(Entry("LOCK-1"));
        HttpResponseMessage third = await this.Post(Entry("LOCK-1"));

        Assert.Equal((HttpStatusCode)423, first.StatusCode);
        Assert.NotNull(first.Headers.RetryAfter);
        JsonNode error = (await first.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal("locked", error.Str("code"));
        Assert.Equal("Journal entry batch 00001 is in use by MARY.", error.Str("sageMessage"));
        Assert.Equal((HttpStatusCode)423, second.StatusCode);
        Assert.Equal(HttpStatusCode.Created, third.StatusCode);
        Assert.Equal(1, this.EntriesIn("ABC"));
    }

    [Fact]
    public async Task Create_CrashAfterSageWrite_ConnectionDroppedAndRetryReturnsTheOneEntry()
    {
        this.Agent.Sim.Faults("ABC").Set(new SimulatedFaultSettings(CrashAfterNextWrites: 1));
        await Assert.ThrowsAsync<HttpRequestException>(() => this.Post(Entry("CRASH-1")));
        Assert.Equal(1, this.EntriesIn("ABC"));

        HttpResponseMessage retry = await this.Post(Entry("CRASH-1"));
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(1, this.EntriesIn("ABC"));
        Assert.Contains(this.Agent.Logs.Lines, l => l.Contains("[302]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Create_ConcurrentSameExternalId_WritesOnce()
    {
        HttpResponseMessage[] responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => this.Post(Entry("PAR-1"))));
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK));
        Assert.Equal(1, this.EntriesIn("ABC"));
    }

    [Theory]
    [InlineData("{\"sourceJournal\":\"GJ\",\"postingDate\":\"2026-11-30\",\"lines\":[]}", "externalId")]
    [InlineData("{\"externalId\":\"X-1\",\"sourceJournal\":\"GJ\",\"postingDate\":\"30/11/2026\",\"lines\":[]}", "postingDate")]
    [InlineData("{\"externalId\":\"X-1\",\"sourceJournal\":\"GJ\",\"postingDate\":\"2026-11-30\",\"lines\":[{\"account\":\"600-01-01\",\"debit\":1},{\"debit\":1}]}", "lines[1].account")]
    public async Task Create_MalformedRequest_NamesTheField(string json, string field)
    {
        HttpResponseMessage response = await this.Http.PostAsync("v1/companies/ABC/gl/journal-entries", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(field, (await response.Content.ReadFromJsonAsync<JsonNode>()).Str("field"));
        Assert.Equal(0, this.EntriesIn("ABC"));
    }

    [Fact]
    public async Task Create_AmountsSurviveToTheCent()
    {
        decimal big = 98765432.10m;
        await this.Post(Entry("CENTS-1", lines: [("600-01-01", big, 0m), ("610-01-01", 0.01m, 0m), ("100-00-00", 0m, big + 0.01m)]));
        JsonNode found = (await this.Http.GetFromJsonAsync<JsonNode>("v1/companies/ABC/gl/journal-entries?externalId=CENTS-1"))!;
        Assert.Equal(big, found["lines"]![0]!["debit"]!.GetValue<decimal>());
        Assert.Equal(0.01m, found["lines"]![1]!["debit"]!.GetValue<decimal>());
        Assert.Equal(98765432.11m, found["lines"]![2]!["credit"]!.GetValue<decimal>());
    }
}
