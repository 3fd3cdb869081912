using System.Net;
using System.Text.Json;
using Connector.Orchestrations.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Connector.Functions.Tests.Http;

/// <summary>
/// The audit and mapping endpoints as a caller meets them: an audit of any size comes back whole, who changed a mapping
/// is only taken from the platform when App Service authentication vouches for it, and a mapping code that is not a
/// code is refused naming the field.
/// </summary>
public sealed class AuditAndMappingFunctionsTests(HttpFunctionsFixture fixture) : IClassFixture<HttpFunctionsFixture>
{
    private const string Connection = HttpFunctionsFixture.Connection;

    [Fact]
    public async Task GetRunAudit_TextsLargerThanATableProperty_ComeBackWhole()
    {
        AuditStore audit = fixture.App.GetRequiredService<AuditStore>();
        await fixture.App.GetRequiredService<ConnectorStorage>().EnsureCreatedAsync();
        string runId = $"{Connection}:budgets:big-{Guid.NewGuid():N}";
        string summary = JsonSerializer.Serialize(new { results = Enumerable.Range(0, 2_000).Select(i => new { externalId = $"ANP-{i:D32}", status = "Posted" }) });
        string reason = string.Concat(Enumerable.Repeat("Sage said the batch is in use. ", 1_500));
        string totals = string.Concat(Enumerable.Repeat("{\"period\":\"FY2026-P01\",\"debit\":1.00},", 1_200));
        Assert.True(summary.Length > 64 * 1024 && reason.Length > 32 * 1024 && totals.Length > 32 * 1024);

        await audit.UpsertRunAsync(new RunAudit(Connection, runId, "budgets", "test", "Completed", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, summary, null));
        await audit.UpsertDatasetAsync(new DatasetAudit(Connection, runId, "budget", "Loaded", new Dictionary<string, long> { ["read"] = 2_000 }, new Dictionary<string, string> { ["SageTotals"] = totals }));
        await audit.WriteRecordsAsync(runId, [new RecordAudit("budget", RecordKinds.Failed, 1, "entry ANP-1", null, reason, null)]);

        Answer answer = await new TestCaller(fixture.App).CallAsync("GET", $"connections/{Connection}/runs/{Uri.EscapeDataString(runId)}/audit", null, "GetRunAudit", request =>
            HttpFunctionsFixture.Ops(fixture.App).GetRunAuditAsync(request, fixture.Client, Connection, runId));

        Assert.True(answer.Status == HttpStatusCode.OK, answer.ToString());
        JsonElement body = answer.Json;
        Assert.Equal(summary, body.GetProperty("run").GetProperty("summary").GetString());
        Assert.Equal(totals, body.GetProperty("datasets")[0].GetProperty("details").GetProperty("SageTotals").GetString());
        Assert.Equal(reason, body.GetProperty("records")[0].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task SetMapping_PrincipalHeaderWithoutAppServiceAuthentication_RecordsTheFunctionKey()
    {
        string sageCode = NewCode();
        Answer answer = await SetMappingAsync(fixture.App, sageCode, """{"anaplanCode":"600-XX"}""", principal: "mallory@example.com");

        Assert.True(answer.Status == HttpStatusCode.OK, answer.ToString());
        Assert.Equal("function key", answer.Json.GetProperty("changedBy").GetString());
        MappingChange change = Assert.Single(await fixture.App.GetRequiredService<MappingStore>().GetHistoryAsync(Connection, MappingDimensions.Account, sageCode));
        Assert.Equal("function key", change.ChangedBy);
    }

    [Fact]
    public async Task SetMapping_WithAppServiceAuthentication_RecordsThePlatformsPrincipal()
    {
        Answer answer = await SetMappingAsync(fixture.AuthenticatedApp, NewCode(), """{"anaplanCode":"600-XX"}""", principal: "alice@contoso.com");

        Assert.True(answer.Status == HttpStatusCode.OK, answer.ToString());
        Assert.Equal("alice@contoso.com", answer.Json.GetProperty("changedBy").GetString());
    }

    [Theory]
    [InlineData("600-01", """{"anaplanCode":"=cmd|' /C calc'!A0"}""", "anaplanCode")]
    [InlineData("600-01", """{"anaplanCode":"+SUM(A1:A9)"}""", "anaplanCode")]
    [InlineData("600-01", """{"anaplanCode":"6000-this-code-is-far-too-long-for-an-anaplan-list-item-code-of-sixty"}""", "anaplanCode")]
    [InlineData("@600-01", """{"anaplanCode":"600-01"}""", "sageCode")]
    [InlineData("600-01-02-03-04-05-06-07-08-09-10-11-12-13-14", """{"anaplanCode":"600-01"}""", "sageCode")]
    public async Task SetMapping_CodeThatIsNotACode_Answers400NamingTheField_AndStoresNothing(string sageCode, string body, string field)
    {
        Answer answer = await SetMappingAsync(fixture.App, sageCode, body, principal: null);

        Assert.True(answer.Status == HttpStatusCode.BadRequest, answer.ToString());
        Assert.StartsWith(field + " '", answer.Error, StringComparison.Ordinal);
        Assert.Empty(await fixture.App.GetRequiredService<MappingStore>().GetHistoryAsync(Connection, MappingDimensions.Account, sageCode));
    }

    private static string NewCode() => "9" + Guid.NewGuid().ToString("N")[..8];

    private static Task<Answer> SetMappingAsync(IServiceProvider app, string sageCode, string body, string? principal)
        => new TestCaller(app).CallAsync("PUT", $"connections/{Connection}/mappings/account/{Uri.EscapeDataString(sageCode)}", body, "SetMapping", request =>
        {
            if (principal is not null)
            {
                request.Headers.Add("X-MS-CLIENT-PRINCIPAL-NAME", principal);
            }

            return HttpFunctionsFixture.Flows(app).SetMappingAsync(request, Connection, MappingDimensions.Account, sageCode);
        });
}
