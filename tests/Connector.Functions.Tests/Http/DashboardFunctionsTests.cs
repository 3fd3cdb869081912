using System.Net;
using System.Reflection;
using System.Text.Json;
using Connector.Functions.Http;
using Connector.Orchestrations.Operations.Api;
using Connector.Orchestrations.Storage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Connector.Functions.Tests.Http;

/// <summary>
/// The Functions app's side of the operations dashboard: the shared routes have their triggers, the page and its files
/// are served with a strict content-security policy, and the read endpoints the page uses (overview, locks, trends,
/// records as CSV) answer what an operator's browser would get.
/// </summary>
public sealed class DashboardFunctionsTests(HttpFunctionsFixture fixture) : IClassFixture<HttpFunctionsFixture>
{
    private const string Connection = HttpFunctionsFixture.Connection;

    public static TheoryData<string> SharedRoutes()
    {
        var data = new TheoryData<string>();
        foreach (OperatorRoute route in OperatorRoutes.All)
        {
            data.Add($"{route.Method} {route.Template}");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SharedRoutes))]
    public void EverySharedRoute_HasAFunctionsTrigger_WithTheSameMethodRouteAndKeyRule(string methodAndTemplate)
    {
        OperatorRoute route = OperatorRoutes.All.Single(r => $"{r.Method} {r.Template}" == methodAndTemplate);
        var triggers = typeof(OpsFunctions).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods())
            .SelectMany(m => m.GetParameters())
            .Select(p => p.GetCustomAttribute<HttpTriggerAttribute>())
            .OfType<HttpTriggerAttribute>()
            .Where(t => t.Route == route.Template && t.Methods!.Any(m => string.Equals(m, route.Method, StringComparison.OrdinalIgnoreCase)))
            .ToList();

        HttpTriggerAttribute trigger = Assert.Single(triggers);
        Assert.Equal(route.Anonymous ? AuthorizationLevel.Anonymous : AuthorizationLevel.Function, trigger.AuthLevel);
    }

    [Fact]
    public async Task Overview_SaysWhetherReadOnly_AndListsTheConnectionsWithoutSecretsOrAddresses()
    {
        Answer writable = await this.CallAsync(fixture.App, "GET", "ops", (ops, request) => ops.GetOverviewAsync(request, fixture.Client));
        Answer readOnly = await this.CallAsync(fixture.ReadOnlyApp, "GET", "ops", (ops, request) => ops.GetOverviewAsync(request, fixture.Client));

        Assert.True(writable.Status == HttpStatusCode.OK, writable.ToString());
        Assert.False(writable.Json.GetProperty("readOnly").GetBoolean());
        Assert.True(readOnly.Json.GetProperty("readOnly").GetBoolean());
        JsonElement[] connections = [.. writable.Json.GetProperty("connections").EnumerateArray()];
        Assert.Equal([Connection, HttpFunctionsFixture.DisabledConnection], connections.Select(c => c.GetProperty("id").GetString()));
        Assert.Equal("ABC", connections[0].GetProperty("sageCompany").GetString());
        Assert.True(connections[0].GetProperty("actuals").GetProperty("enabled").GetBoolean());
        Assert.False(connections[1].GetProperty("budgets").GetProperty("enabled").GetBoolean());
        Assert.Equal("8a81b09d5e8c6f27015ece3402487d33:f1d5c6c1e2c64e5aa2d4a5e8d8e5b9a1", connections[0].GetProperty("lockKey").GetString());
        foreach (string hidden in new[] { "sage-abc-apikey", "anaplan-password", "integration@example.com", "sage-agent.example.local" })
        {
            Assert.DoesNotContain(hidden, writable.Body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task DashboardPage_IsHtmlWithAStrictContentSecurityPolicy_AndLinksItsFiles_InReadOnlyModeToo()
    {
        foreach (IServiceProvider app in new[] { fixture.App, fixture.ReadOnlyApp })
        {
            Answer page = await this.CallAsync(app, "GET", "dashboard", (ops, request) => ops.DashboardAsync(request, fixture.Client));

            Assert.True(page.Status == HttpStatusCode.OK, page.ToString());
            Assert.Equal("text/html; charset=utf-8", page.Header("Content-Type"));
            string policy = page.Header("Content-Security-Policy")!;
            Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
            Assert.Equal("nosniff", page.Header("X-Content-Type-Options"));
            Assert.Contains("src=\"dashboard/dashboard.js\"", page.Body, StringComparison.Ordinal);
            Assert.Contains("href=\"dashboard/dashboard.css\"", page.Body, StringComparison.Ordinal);
            Assert.DoesNotContain("<script>", page.Body, StringComparison.Ordinal); // nothing inline: the policy would refuse it
        }
    }

    [Theory]
    [InlineData("dashboard.js", "text/javascript; charset=utf-8")]
    [InlineData("dashboard.css", "text/css; charset=utf-8")]
    public async Task DashboardFiles_AreServedWithTheirContentType(string file, string contentType)
    {
        Answer answer = await this.CallAsync(fixture.App, "GET", $"dashboard/{file}", (ops, request) => ops.DashboardFileAsync(request, fixture.Client, file));

        Assert.True(answer.Status == HttpStatusCode.OK, answer.ToString());
        Assert.Equal(contentType, answer.Header("Content-Type"));
        Assert.True(answer.Body.Length > 1000, $"{file} is {answer.Body.Length} characters");
    }

    [Theory]
    [InlineData("nope.js")]
    [InlineData("..%2F..%2Fhost.json")]
    [InlineData("index.HTML")]
    public async Task DashboardFiles_AnythingElse_Answers404(string file)
    {
        Answer answer = await this.CallAsync(fixture.App, "GET", $"dashboard/{file}", (ops, request) => ops.DashboardFileAsync(request, fixture.Client, Uri.UnescapeDataString(file)));

        Assert.True(answer.Status == HttpStatusCode.NotFound, answer.ToString());
    }

    [Fact]
    public async Task Locks_ListTheConnectionsModel_WithTheConnectionsItGuards_FreeWhenUnused()
    {
        Answer answer = await this.CallAsync(fixture.App, "GET", "locks", (ops, request) => ops.ListModelLocksAsync(request, fixture.Client));

        Assert.True(answer.Status == HttpStatusCode.OK, answer.ToString());
        JsonElement model = answer.Json.EnumerateArray().Single(l =>
            l.GetProperty("lock").GetProperty("key").GetString() == "8a81b09d5e8c6f27015ece3402487d33:f1d5c6c1e2c64e5aa2d4a5e8d8e5b9a1");
        Assert.Equal([Connection, HttpFunctionsFixture.DisabledConnection], model.GetProperty("connections").EnumerateArray().Select(c => c.GetString()));
        Assert.Empty(model.GetProperty("lock").GetProperty("waiting").EnumerateArray());
    }

    [Fact]
    public async Task RecordsCsv_EveryMatchingRecord_FormulaSafe_AsAnAttachment()
    {
        string run = await this.AuditedRunAsync(records: 1200);

        Answer all = await this.RecordsCsvAsync(run, string.Empty);
        Answer failed = await this.RecordsCsvAsync(run, "?kind=failed");
        Answer search = await this.RecordsCsvAsync(run, "?q=" + Uri.EscapeDataString("ROW-0042"));

        Assert.True(all.Status == HttpStatusCode.OK, all.ToString());
        Assert.Equal("text/csv; charset=utf-8", all.Header("Content-Type"));
        Assert.StartsWith("attachment; filename=", all.Header("Content-Disposition"), StringComparison.Ordinal);
        string[] lines = Lines(all.Body);
        Assert.Equal("kind,dataset,sequence,line,record,field,reason", lines[0]);
        Assert.Equal(1201, lines.Length); // every record, not only the first 1000 the audit answer carries
        Assert.Contains(lines, l => l.StartsWith("rejected,gl-actuals,7,,\"'=HYPERLINK(", StringComparison.Ordinal));
        Assert.All(Lines(failed.Body).Skip(1), l => Assert.StartsWith("failed,", l, StringComparison.Ordinal));
        Assert.Equal(600, Lines(failed.Body).Length - 1);
        Assert.Single(Lines(search.Body).Skip(1));
    }

    [Fact]
    public async Task RecordsCsv_UnknownRunOrBadKind_AnswerProblems()
    {
        string run = await this.AuditedRunAsync(records: 1);

        Answer unknown = await this.RecordsCsvAsync("abc-fpa:actuals:req-none", string.Empty);
        Answer badKind = await this.RecordsCsvAsync(run, "?kind=lost");

        Assert.True(unknown.Status == HttpStatusCode.NotFound, unknown.ToString());
        Assert.True(badKind.Status == HttpStatusCode.BadRequest, badKind.ToString());
        Assert.Equal("kind", badKind.Json.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Trends_RunsOfTheLastDays_WithDurationAndTheRecordedRowCounts()
    {
        string run = await this.AuditedRunAsync(records: 0);

        Answer answer = await this.CallAsync(fixture.App, "GET", $"connections/{Connection}/trends?days=30", (ops, request) => ops.GetTrendsAsync(request, fixture.Client, Connection));
        Answer bad = await this.CallAsync(fixture.App, "GET", $"connections/{Connection}/trends?days=0", (ops, request) => ops.GetTrendsAsync(request, fixture.Client, Connection));

        Assert.True(answer.Status == HttpStatusCode.OK, answer.ToString());
        JsonElement point = answer.Json.GetProperty("runs").EnumerateArray().Single(r => r.GetProperty("runId").GetString() == run);
        Assert.Equal("CompletedWithRejections", point.GetProperty("status").GetString());
        Assert.Equal(90, point.GetProperty("durationSeconds").GetDouble());
        Assert.Equal(150, point.GetProperty("rowsRead").GetInt64()); // 100 + 50 as the two datasets recorded them
        Assert.Equal(140, point.GetProperty("rowsAccepted").GetInt64());
        Assert.True(bad.Status == HttpStatusCode.BadRequest, bad.ToString());
    }

    private static string[] Lines(string csv) => [.. csv.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0)];

    /// <summary>An audited run of the connection as a flow records it: run row, two dataset rows, rejected and failed records.</summary>
    private async Task<string> AuditedRunAsync(int records)
    {
        string run = $"{Connection}:actuals:req-{Guid.NewGuid():N}";
        var storage = fixture.App.GetRequiredService<ConnectorStorage>();
        var audit = fixture.App.GetRequiredService<AuditStore>();
        await storage.EnsureCreatedOnceAsync();
        DateTimeOffset started = DateTimeOffset.UtcNow.AddHours(-1);
        await audit.UpsertRunAsync(new RunAudit(Connection, run, "actuals", "schedule", "CompletedWithRejections", started, started.AddSeconds(90), "{}", null));
        await audit.UpsertDatasetAsync(new DatasetAudit(Connection, run, "gl-actuals", "loaded", new Dictionary<string, long> { ["read"] = 100, ["accepted"] = 95 }, new Dictionary<string, string>()));
        await audit.UpsertDatasetAsync(new DatasetAudit(Connection, run, "ap-actuals", "loaded", new Dictionary<string, long> { ["read"] = 50, ["accepted"] = 45 }, new Dictionary<string, string>()));
        await audit.WriteRecordsAsync(run, [.. Enumerable.Range(1, records).Select(i => new RecordAudit(
            "gl-actuals",
            i % 2 == 0 ? RecordKinds.Failed : RecordKinds.Rejected,
            i,
            i == 7 ? "=HYPERLINK(\"http://x\")" : $"ROW-{i:D4}",
            "Cost Center",
            "not in the model",
            null))]);
        return run;
    }

    private Task<Answer> RecordsCsvAsync(string runId, string query)
        => this.CallAsync(fixture.App, "GET", $"connections/{Connection}/runs/{Uri.EscapeDataString(runId)}/records.csv{query}", (ops, request) =>
            ops.GetRunRecordsCsvAsync(request, fixture.Client, Connection, runId));

    private Task<Answer> CallAsync(IServiceProvider app, string method, string route, Func<OpsFunctions, Microsoft.Azure.Functions.Worker.Http.HttpRequestData, Task<Microsoft.Azure.Functions.Worker.Http.HttpResponseData>> call)
        => new TestCaller(app).CallAsync(method, route, null, "dashboard-test", request => call(HttpFunctionsFixture.Ops(app), request));
}
