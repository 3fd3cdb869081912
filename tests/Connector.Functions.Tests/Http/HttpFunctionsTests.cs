using System.Net;
using System.Text.Json;
using Connector.Functions.Http;
using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Operations.Api;
using Connector.Orchestrations.Storage;
using Connector.Testing;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Connector.Functions.Tests.Http;

/// <summary>
/// The HTTP functions called as the worker calls them (the real methods, the real durable client of a local host, the
/// app's own services), asserting what an HTTP caller would see: status, headers, body, and the runs that exist after.
/// </summary>
public sealed class HttpFunctionsTests(HttpFunctionsFixture fixture) : IClassFixture<HttpFunctionsFixture>
{
    private const string Connection = HttpFunctionsFixture.Connection;

    private static readonly TimeSpan RunStarts = TimeSpan.FromSeconds(30);

    private DurableTaskClient Client => fixture.Client;

    // ---- POST /api/connections/{id}/runs/actuals and /runs/budgets ----

    [Fact]
    public async Task StartActuals_NewKey_Answers202WithStatusLinks_AndStartsTheRunUnderItsDeterministicId()
    {
        string key = NewKey();
        string expectedId = $"{Connection}:actuals:req-{key}";

        Answer answer = await this.StartActualsAsync(fixture.App, Connection, $$"""{"fiscalYear":"2026","fromPeriod":2,"toPeriod":5,"requestKey":"{{key}}"}""");

        Assert.True(answer.Status == HttpStatusCode.Accepted, answer.ToString());
        string statusUri = $"{TestCaller.BaseUrl.GetLeftPart(UriPartial.Authority)}/runtime/webhooks/durabletask/instances/{Uri.EscapeDataString(expectedId)}";
        Assert.Equal(statusUri, answer.Header("Location"));
        Assert.StartsWith("application/json", answer.Header("Content-Type"), StringComparison.Ordinal);
        JsonElement links = answer.Json;
        Assert.Equal(expectedId, links.GetProperty("id").GetString());
        Assert.Equal(statusUri, links.GetProperty("statusQueryGetUri").GetString());
        Assert.Equal(statusUri + "/raiseEvent/{eventName}", links.GetProperty("sendEventPostUri").GetString());
        Assert.Equal(statusUri + "/terminate?reason={text}", links.GetProperty("terminatePostUri").GetString());
        Assert.Equal(statusUri, links.GetProperty("purgeHistoryDeleteUri").GetString());
        Assert.Equal(statusUri + "/rewind?reason={text}", links.GetProperty("rewindPostUri").GetString());
        Assert.Equal(statusUri + "/suspend?reason={text}", links.GetProperty("suspendPostUri").GetString());
        Assert.Equal(statusUri + "/resume?reason={text}", links.GetProperty("resumePostUri").GetString());
        Assert.Equal(statusUri + "/restart", links.GetProperty("restartPostUri").GetString());

        OrchestrationMetadata run = await this.Client.GetInstanceAsync(expectedId, getInputsAndOutputs: true)
            ?? throw new Xunit.Sdk.XunitException($"run {expectedId} does not exist");
        Assert.Equal(nameof(ActualsSyncOrchestrator), run.Name);
        ActualsRunInput input = run.ReadInputAs<ActualsRunInput>()!;
        Assert.Equal(new ActualsRunInput(Connection, "http", "2026", 2, 5, false), input);
        await this.TerminateAsync(expectedId);
    }

    [Fact]
    public async Task StartActuals_SameKeyAgain_Answers200WithTheSameRun_AndStartsNoSecondRun()
    {
        string key = NewKey();
        string body = $$"""{"requestKey":"{{key}}"}""";
        Answer first = await this.StartActualsAsync(fixture.App, Connection, body);
        Assert.True(first.Status == HttpStatusCode.Accepted, first.ToString());
        string id = first.Json.GetProperty("id").GetString()!;
        OrchestrationMetadata before = (await this.Client.GetInstanceAsync(id))!;

        Answer again = await this.StartActualsAsync(fixture.App, Connection, body);

        Assert.True(again.Status == HttpStatusCode.OK, again.ToString());
        Assert.Equal(id, again.Json.GetProperty("id").GetString());
        Assert.Equal(first.Header("Location"), again.Header("Location"));
        Assert.Equal(first.Json.GetProperty("statusQueryGetUri").GetString(), again.Json.GetProperty("statusQueryGetUri").GetString());
        List<OrchestrationMetadata> runs = await this.RunsAsync($"{Connection}:actuals:req-{key}");
        OrchestrationMetadata only = Assert.Single(runs);
        Assert.Equal(before.CreatedAt, only.CreatedAt);
        await this.TerminateAsync(id);
    }

    [Fact]
    public async Task StartActuals_NoBody_StartsARunNamedByTheRequestTime()
    {
        Answer answer = await this.StartActualsAsync(fixture.App, Connection, body: null);

        Assert.True(answer.Status == HttpStatusCode.Accepted, answer.ToString());
        string id = answer.Json.GetProperty("id").GetString()!;
        Assert.Matches($"^{Connection}:actuals:now-\\d{{8}}T\\d{{9}}Z$", id);
        Assert.NotNull(await this.Client.GetInstanceAsync(id));
        await this.TerminateAsync(id);
    }

    [Fact]
    public async Task StartActuals_UnknownConnection_Answers404NamingIt()
    {
        Answer answer = await this.StartActualsAsync(fixture.App, "no-such-connection", """{"requestKey":"k1"}""");

        Assert.True(answer.Status == HttpStatusCode.NotFound, answer.ToString());
        Assert.Contains("'no-such-connection'", answer.Error, StringComparison.Ordinal);
        Assert.Empty(await this.RunsAsync("no-such-connection:"));
    }

    [Theory]
    [InlineData("""{"fiscalYear":"2026","fromPeriod":5,"toPeriod":2}""", "not a valid range")]
    [InlineData("""{"fiscalYear":"2026","fromPeriod":0,"toPeriod":2}""", "not a valid range")]
    [InlineData("""{"fromPeriod":3}""", "needs its fiscal year")]
    [InlineData("""{"requestKey":"has spaces/and slashes"}""", "request key")]
    [InlineData("""{"fromPeriod":"three"}""", "fromPeriod")]
    [InlineData("""{"requestKey":""", "")]
    public async Task StartActuals_BadRequest_Answers400WithTheMessage_AndStartsNothing(string body, string message)
    {
        string prefix = $"{Connection}:actuals:";
        int before = (await this.RunsAsync(prefix)).Count;

        Answer answer = await this.StartActualsAsync(fixture.App, Connection, body);

        Assert.True(answer.Status == HttpStatusCode.BadRequest, answer.ToString());
        Assert.Contains(message, answer.Error, StringComparison.Ordinal);
        Assert.Equal(before, (await this.RunsAsync(prefix)).Count);
    }

    [Fact]
    public async Task StartActualsAndBudgets_DisabledFlow_Answer409NamingTheSetting()
    {
        Answer actuals = await this.StartActualsAsync(fixture.App, HttpFunctionsFixture.DisabledConnection, """{"requestKey":"k1"}""");
        Answer budgets = await this.StartBudgetsAsync(fixture.App, HttpFunctionsFixture.DisabledConnection, """{"requestKey":"k1"}""");

        Assert.True(actuals.Status == HttpStatusCode.Conflict, actuals.ToString());
        Assert.Contains("Actuals:Enabled", actuals.Error, StringComparison.Ordinal);
        Assert.True(budgets.Status == HttpStatusCode.Conflict, budgets.ToString());
        Assert.Contains("Budgets:Enabled", budgets.Error, StringComparison.Ordinal);
        Assert.Empty(await this.RunsAsync(HttpFunctionsFixture.DisabledConnection + ":"));
    }

    [Fact]
    public async Task StartActualsAndBudgets_ReadOnly_Answer403_AndStartNothing()
    {
        string key = NewKey();
        Answer actuals = await this.StartActualsAsync(fixture.ReadOnlyApp, Connection, $$"""{"requestKey":"{{key}}"}""");
        Answer budgets = await this.StartBudgetsAsync(fixture.ReadOnlyApp, Connection, $$"""{"requestKey":"{{key}}"}""");

        Assert.True(actuals.Status == HttpStatusCode.Forbidden, actuals.ToString());
        Assert.Contains("Ops:ReadOnly", actuals.Error, StringComparison.Ordinal);
        Assert.True(budgets.Status == HttpStatusCode.Forbidden, budgets.ToString());
        Assert.Null(await this.Client.GetInstanceAsync($"{Connection}:actuals:req-{key}"));
        Assert.Null(await this.Client.GetInstanceAsync($"{Connection}:budgets:req-{key}"));
    }

    [Fact]
    public async Task StartBudgets_DryRunAndRealRun_SameKey_AreTwoRunsUnderDifferentIds()
    {
        string key = NewKey();
        Answer dry = await this.StartBudgetsAsync(fixture.App, Connection, $$"""{"requestKey":"{{key}}","dryRun":true,"fiscalYear":"2026"}""");
        Answer real = await this.StartBudgetsAsync(fixture.App, Connection, $$"""{"requestKey":"{{key}}","fiscalYear":"2026"}""");

        Assert.True(dry.Status == HttpStatusCode.Accepted, dry.ToString());
        Assert.True(real.Status == HttpStatusCode.Accepted, real.ToString());
        string dryId = dry.Json.GetProperty("id").GetString()!;
        string realId = real.Json.GetProperty("id").GetString()!;
        Assert.Equal($"{Connection}:budgets-dryrun:req-{key}", dryId);
        Assert.Equal($"{Connection}:budgets:req-{key}", realId);
        Assert.NotEqual(dry.Header("Location"), real.Header("Location"));

        OrchestrationMetadata dryRun = (await this.Client.GetInstanceAsync(dryId, getInputsAndOutputs: true))!;
        OrchestrationMetadata realRun = (await this.Client.GetInstanceAsync(realId, getInputsAndOutputs: true))!;
        Assert.Equal(nameof(BudgetSyncOrchestrator), dryRun.Name);
        Assert.True(dryRun.ReadInputAs<BudgetRunInput>()!.DryRun);
        Assert.False(realRun.ReadInputAs<BudgetRunInput>()!.DryRun);
        await this.TerminateAsync(dryId);
        await this.TerminateAsync(realId);
    }

    // ---- the operator API: /api/runs/... ----

    [Fact]
    public async Task GetRun_UnknownId_Answers404()
    {
        Answer answer = await this.GetRunAsync(fixture.App, "no-such-run");

        Assert.True(answer.Status == HttpStatusCode.NotFound, answer.ToString());
        Assert.Contains("'no-such-run'", answer.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetRun_ARun_Answers200WithItsStatus()
    {
        string id = await this.StartWaitingRunAsync("input");

        Answer answer = await this.GetRunAsync(fixture.App, id);

        Assert.True(answer.Status == HttpStatusCode.OK, answer.ToString());
        JsonElement run = answer.Json;
        Assert.Equal(id, run.GetProperty("instanceId").GetString());
        Assert.Equal(nameof(AwaitSignalOrchestrator), run.GetProperty("name").GetString());
        Assert.Equal("Running", run.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.String, run.GetProperty("input").ValueKind);
        Assert.Equal("input", run.GetProperty("input").GetString());
        await this.TerminateAsync(id);
    }

    [Fact]
    public async Task RunAction_RewindOfARunningRun_Answers409_AndTheRunGoesOn()
    {
        string id = await this.StartWaitingRunAsync("input");

        Answer answer = await this.RunActionAsync(fixture.App, id, "rewind", """{"reason":"try again"}""");

        Assert.True(answer.Status == HttpStatusCode.Conflict, answer.ToString());
        Assert.Contains("is Running; only a run that has ended", answer.Error, StringComparison.Ordinal);
        await this.Client.RaiseEventAsync(id, "go", "done");
        OrchestrationMetadata finished = await fixture.WaitAsync(id);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, finished.RuntimeStatus);
        Assert.Equal("input:done", finished.ReadOutputAs<string>());
    }

    [Fact]
    public async Task RunAction_UnknownAction_Answers400NamingTheActions()
    {
        string id = await this.StartWaitingRunAsync("input");

        Answer answer = await this.RunActionAsync(fixture.App, id, "explode", body: null);

        Assert.True(answer.Status == HttpStatusCode.BadRequest, answer.ToString());
        Assert.Contains("'explode'", answer.Error, StringComparison.Ordinal);
        Assert.Contains("terminate", answer.Error, StringComparison.Ordinal);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await this.Client.GetInstanceAsync(id))!.RuntimeStatus);
        await this.TerminateAsync(id);
    }

    [Fact]
    public async Task PurgeRun_Running409_ThenTerminate202_ThenPurge200_AndTheRunIsGone()
    {
        string id = await this.StartWaitingRunAsync("input");

        Answer purgeRunning = await this.PurgeRunAsync(fixture.App, id);
        Assert.True(purgeRunning.Status == HttpStatusCode.Conflict, purgeRunning.ToString());
        Assert.Contains("only finished runs can be purged", purgeRunning.Error, StringComparison.Ordinal);

        Answer terminate = await this.RunActionAsync(fixture.App, id, "terminate", """{"reason":"not needed"}""");
        Assert.True(terminate.Status == HttpStatusCode.Accepted, terminate.ToString());
        Assert.Equal(id, terminate.Json.GetProperty("instanceId").GetString());
        Assert.Equal("terminate", terminate.Json.GetProperty("action").GetString());
        OrchestrationMetadata terminated = await fixture.WaitAsync(id);
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, terminated.RuntimeStatus);

        Answer purge = await this.PurgeRunAsync(fixture.App, id);
        Assert.True(purge.Status == HttpStatusCode.OK, purge.ToString());
        Assert.Equal(1, purge.Json.GetProperty("purged").GetInt32());
        Assert.Null(await this.Client.GetInstanceAsync(id));
        Assert.Equal(HttpStatusCode.NotFound, (await this.GetRunAsync(fixture.App, id)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await this.PurgeRunAsync(fixture.App, id)).Status);
    }

    [Fact]
    public async Task ReadOnly_WritesAnswer403AndChangeNothing_ReadsAnswer200()
    {
        string id = await this.StartWaitingRunAsync("input");
        IServiceProvider app = fixture.ReadOnlyApp;

        Answer terminate = await this.RunActionAsync(app, id, "terminate", null);
        Answer suspend = await this.RunActionAsync(app, id, "suspend", null);
        Answer purge = await this.PurgeRunAsync(app, id);
        Answer get = await this.GetRunAsync(app, id);
        Answer list = await this.ListRunsAsync(app, $"runs?prefix={Uri.EscapeDataString(id)}");

        Assert.All([terminate, suspend, purge], a => Assert.True(a.Status == HttpStatusCode.Forbidden, a.ToString()));
        Assert.Contains("Ops:ReadOnly", terminate.Error, StringComparison.Ordinal);
        Assert.True(get.Status == HttpStatusCode.OK, get.ToString());
        Assert.Equal("Running", get.Json.GetProperty("status").GetString());
        Assert.True(list.Status == HttpStatusCode.OK, list.ToString());
        Assert.Equal(id, Assert.Single(list.Json.EnumerateArray()).GetProperty("instanceId").GetString());
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await this.Client.GetInstanceAsync(id))!.RuntimeStatus);
        await this.TerminateAsync(id);
    }

    // ---- the recovery routes (issue 10's, served through the shared operator API) ----

    public static TheoryData<string, string> RecoveryRoutes() => new()
    {
        { "ReplayDataset", "runs/{run}/datasets/gl-actuals/replay" },
        { "RetryRejected", "runs/{run}/retry-rejected" },
        { "RewindRuns", $"connections/{Connection}/runs-rewind" },
        { "ReplayRuns", $"connections/{Connection}/runs-replay" },
    };

    [Theory]
    [MemberData(nameof(RecoveryRoutes))]
    public async Task RecoveryRoute_WithoutAReason_Answers400NamingTheField_AndStartsNothing(string function, string route)
    {
        string id = await this.StartWaitingRunAsync("input");
        int before = (await this.RunsAsync(id)).Count;

        Answer answer = await this.RecoveryAsync(fixture.App, function, route.Replace("{run}", Uri.EscapeDataString(id), StringComparison.Ordinal), """{"dryRun":true}""");

        AssertProblem(answer, HttpStatusCode.BadRequest, ProblemTypes.Invalid, PathOf(route.Replace("{run}", Uri.EscapeDataString(id), StringComparison.Ordinal)));
        Assert.Equal("reason", answer.Json.GetProperty("field").GetString());
        Assert.Contains("A reason is required", answer.Error, StringComparison.Ordinal);
        Assert.Equal(before, (await this.RunsAsync(id)).Count);
        await this.TerminateAsync(id);
    }

    [Theory]
    [MemberData(nameof(RecoveryRoutes))]
    public async Task RecoveryRoute_ReadOnly_Answers403_AndStartsNothing(string function, string route)
    {
        string id = await this.StartWaitingRunAsync("input");

        Answer answer = await this.RecoveryAsync(fixture.ReadOnlyApp, function, route.Replace("{run}", Uri.EscapeDataString(id), StringComparison.Ordinal), """{"reason":"x"}""");

        AssertProblem(answer, HttpStatusCode.Forbidden, ProblemTypes.ReadOnly, PathOf(route.Replace("{run}", Uri.EscapeDataString(id), StringComparison.Ordinal)));
        Assert.Contains("Ops:ReadOnly", answer.Error, StringComparison.Ordinal);
        Assert.Single(await this.RunsAsync(id));
        await this.TerminateAsync(id);
    }

    [Fact]
    public async Task ReplayDatasetAndRetryRejected_NoSuchRun_Answer404_OfARunThatIsNoActualsRun_Answer409SayingWhy()
    {
        string id = await this.StartWaitingRunAsync("input");

        Answer replayMissing = await this.RecoveryAsync(fixture.App, "ReplayDataset", "runs/abc-fpa%3Aactuals%3Anone/datasets/gl-actuals/replay", """{"reason":"x"}""");
        Answer retryMissing = await this.RecoveryAsync(fixture.App, "RetryRejected", "runs/abc-fpa%3Aactuals%3Anone/retry-rejected", """{"reason":"x"}""");
        Answer replay = await this.RecoveryAsync(fixture.App, "ReplayDataset", $"runs/{Uri.EscapeDataString(id)}/datasets/gl-actuals/replay", """{"reason":"x"}""");
        Answer retry = await this.RecoveryAsync(fixture.App, "RetryRejected", $"runs/{Uri.EscapeDataString(id)}/retry-rejected", """{"reason":"x"}""");

        AssertProblem(replayMissing, HttpStatusCode.NotFound, ProblemTypes.RunNotFound, PathOf("runs/abc-fpa%3Aactuals%3Anone/datasets/gl-actuals/replay"));
        AssertProblem(retryMissing, HttpStatusCode.NotFound, ProblemTypes.RunNotFound, PathOf("runs/abc-fpa%3Aactuals%3Anone/retry-rejected"));
        Assert.Equal("abc-fpa:actuals:none", replayMissing.Json.GetProperty("instanceId").GetString());
        AssertProblem(replay, HttpStatusCode.Conflict, ProblemTypes.WrongState, PathOf($"runs/{Uri.EscapeDataString(id)}/datasets/gl-actuals/replay"));
        AssertProblem(retry, HttpStatusCode.Conflict, ProblemTypes.WrongState, PathOf($"runs/{Uri.EscapeDataString(id)}/retry-rejected"));
        Assert.Contains("only the datasets of an actuals run can be replayed", replay.Error, StringComparison.Ordinal);
        Assert.Equal("Running", replay.Json.GetProperty("runStatus").GetString());
        Assert.Single(await this.RunsAsync(id));
        await this.TerminateAsync(id);
    }

    [Fact]
    public async Task BulkRoutes_DryRun_Answer200ListingWhatWouldBeDone_AndDoNothing_UnknownConnection404()
    {
        string range = $$"""{"reason":"agent back","from":"{{DateTimeOffset.UtcNow.AddHours(-1):O}}","to":"{{DateTimeOffset.UtcNow.AddMinutes(1):O}}","dryRun":true}""";

        Answer rewind = await this.RecoveryAsync(fixture.App, "RewindRuns", $"connections/{Connection}/runs-rewind", range);
        Answer replay = await this.RecoveryAsync(fixture.App, "ReplayRuns", $"connections/{Connection}/runs-replay", range);
        Answer unknown = await this.RecoveryAsync(fixture.App, "RewindRuns", "connections/no-such/runs-rewind", range);

        Assert.True(rewind.Status == HttpStatusCode.OK, rewind.ToString());
        Assert.True(replay.Status == HttpStatusCode.OK, replay.ToString());
        Assert.True(rewind.Json.GetProperty("dryRun").GetBoolean());

        // Whatever failed here (the start tests' runs have no Sage agent) is listed as what would be done, and stays as it is.
        AuditStore audit = fixture.App.GetRequiredService<AuditStore>();
        foreach ((Answer answer, string would) in new[] { (rewind, "would rewind"), (replay, "would replay") })
        {
            foreach (JsonElement run in answer.Json.GetProperty("runs").EnumerateArray())
            {
                Assert.Equal(would, run.GetProperty("action").GetString());
                Assert.Empty(await audit.GetEventsAsync(run.GetProperty("runId").GetString()!));
            }
        }

        AssertProblem(unknown, HttpStatusCode.NotFound, ProblemTypes.ConnectionNotFound, PathOf("connections/no-such/runs-rewind"));
    }

    [Fact]
    public async Task Terminate_RecordsWhoDidItInTheAudit_TheFunctionKey_OrThePlatformsPrincipalWithAppServiceAuthentication()
    {
        string byKey = await this.StartWaitingRunAsync("input");
        string bySignIn = await this.StartWaitingRunAsync("input");

        Answer key = await this.RunActionAsync(fixture.App, byKey, "terminate", """{"reason":"by key"}""");
        Answer signedIn = await new TestCaller(fixture.AuthenticatedApp).CallAsync("POST", $"runs/{Uri.EscapeDataString(bySignIn)}/terminate", """{"reason":"signed in"}""", "RunAction", request =>
        {
            request.Headers.Add("X-MS-CLIENT-PRINCIPAL-NAME", "alice@contoso.com");
            return HttpFunctionsFixture.Ops(fixture.AuthenticatedApp).RunActionAsync(request, this.Client, bySignIn, "terminate");
        });
        Answer noReason = await this.RunActionAsync(fixture.App, await this.StartWaitingRunAsync("input"), "terminate", null);

        Assert.True(key.Status == HttpStatusCode.Accepted, key.ToString());
        Assert.True(signedIn.Status == HttpStatusCode.Accepted, signedIn.ToString());
        Assert.True(key.Json.GetProperty("stopped").GetBoolean());
        AuditStore audit = fixture.App.GetRequiredService<AuditStore>();
        RunEvent first = Assert.Single(await audit.GetEventsAsync(byKey));
        RunEvent second = Assert.Single(await audit.GetEventsAsync(bySignIn));
        Assert.Equal((RunEventActions.Terminate, "function key", "by key"), (first.Action, first.By, first.Reason));
        Assert.Equal((RunEventActions.Terminate, "alice@contoso.com", "signed in"), (second.Action, second.By, second.Reason));
        Assert.True(noReason.Status == HttpStatusCode.BadRequest, noReason.ToString());
        Assert.Equal("reason", noReason.Json.GetProperty("field").GetString());
    }

    [Fact]
    public async Task StartSelfTest_Answers202WithStatusLinks_AndStartsTheSelfTest()
    {
        Answer answer = await this.StartSelfTestAsync(fixture.App, """{"workspaceId":"8a81b09d5e8c6f27015ece3402487d33","modelId":"F1D5C6C1E2C64E5AA2D4A5E8D8E5B9A1"}""");

        Assert.True(answer.Status == HttpStatusCode.Accepted, answer.ToString());
        string id = answer.Json.GetProperty("id").GetString()!;
        Assert.Equal(answer.Header("Location"), answer.Json.GetProperty("statusQueryGetUri").GetString());
        Assert.EndsWith("/runtime/webhooks/durabletask/instances/" + Uri.EscapeDataString(id), answer.Header("Location"), StringComparison.Ordinal);
        OrchestrationMetadata run = (await this.Client.GetInstanceAsync(id, getInputsAndOutputs: true))!;
        Assert.Equal(nameof(SelfTestOrchestrator), run.Name);
        Assert.Equal("F1D5C6C1E2C64E5AA2D4A5E8D8E5B9A1", run.ReadInputAs<SelfTestInput>()!.ModelId);
    }

    [Theory]
    [InlineData(null, "workspaceId and modelId")]
    [InlineData("""{"workspaceId":""", "")]
    public async Task StartSelfTest_NoOrMalformedBody_Answers400(string? body, string message)
    {
        Answer answer = await this.StartSelfTestAsync(fixture.App, body);

        Assert.True(answer.Status == HttpStatusCode.BadRequest, answer.ToString());
        Assert.Contains(message, answer.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartSelfTest_ReadOnly_Answers403()
    {
        Answer answer = await this.StartSelfTestAsync(fixture.ReadOnlyApp, """{"workspaceId":"8a81b09d5e8c6f27015ece3402487d33","modelId":"F1D5C6C1E2C64E5AA2D4A5E8D8E5B9A1"}""");

        Assert.True(answer.Status == HttpStatusCode.Forbidden, answer.ToString());
    }

    [Theory]
    [InlineData("runs?status=Exploded")]
    [InlineData("runs?max=many")]
    [InlineData("runs?max=99999999999")]
    [InlineData("runs?from=yesterday")]
    public async Task ListRuns_MalformedQuery_Answers400(string route)
    {
        Answer answer = await this.ListRunsAsync(fixture.App, route);

        Assert.True(answer.Status == HttpStatusCode.BadRequest, answer.ToString());
        Assert.False(string.IsNullOrWhiteSpace(answer.Error));
    }

    // ---- ProblemDetails: the connector's exceptions as RFC 9457 answers, one per status ----

    [Fact]
    public async Task Problem400_InvalidRequest_IsProblemJsonNamingTheField()
    {
        Answer answer = await this.StartActualsAsync(fixture.App, Connection, """{"fiscalYear":"2026","fromPeriod":5,"toPeriod":2}""");

        AssertProblem(answer, HttpStatusCode.BadRequest, ProblemTypes.Invalid, $"/api/connections/{Connection}/runs/actuals");
        Assert.Equal("fromPeriod", answer.Json.GetProperty("field").GetString());
        Assert.Contains("5–2 are not a valid range", answer.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Problem400_MalformedBody_NamesTheProperty()
    {
        Answer answer = await this.StartActualsAsync(fixture.App, Connection, """{"fromPeriod":"three"}""");

        AssertProblem(answer, HttpStatusCode.BadRequest, ProblemTypes.Invalid, $"/api/connections/{Connection}/runs/actuals");
        Assert.Equal("fromPeriod", answer.Json.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Problem403_ReadOnly_IsProblemJson_ForEveryWriteVerb()
    {
        Answer post = await this.StartActualsAsync(fixture.ReadOnlyApp, Connection, """{"requestKey":"ro"}""");
        Answer put = await new TestCaller(fixture.ReadOnlyApp).CallAsync("PUT", $"connections/{Connection}/mappings/costcenter/02", """{"anaplanCode":"X"}""", "SetMapping", request =>
            HttpFunctionsFixture.Flows(fixture.ReadOnlyApp).SetMappingAsync(request, Connection, "costcenter", "02"));
        Answer delete = await this.PurgeRunAsync(fixture.ReadOnlyApp, "any-run");

        AssertProblem(post, HttpStatusCode.Forbidden, ProblemTypes.ReadOnly, $"/api/connections/{Connection}/runs/actuals");
        AssertProblem(put, HttpStatusCode.Forbidden, ProblemTypes.ReadOnly, $"/api/connections/{Connection}/mappings/costcenter/02");
        AssertProblem(delete, HttpStatusCode.Forbidden, ProblemTypes.ReadOnly, "/api/runs/any-run");
        Assert.Contains("Ops:ReadOnly", put.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Problem404_RunNotFound_CarriesTheRunId()
    {
        Answer answer = await this.GetRunAsync(fixture.App, "no-such-run");

        AssertProblem(answer, HttpStatusCode.NotFound, ProblemTypes.RunNotFound, "/api/runs/no-such-run");
        Assert.Equal("no-such-run", answer.Json.GetProperty("instanceId").GetString());
    }

    [Fact]
    public async Task Problem404_ConnectionNotFound_SameAnswerOnStartMappingsAndAudit()
    {
        Answer start = await this.StartActualsAsync(fixture.App, "nope", """{"requestKey":"k"}""");
        Answer mappings = await new TestCaller(fixture.App).CallAsync("GET", "connections/nope/mappings/account", null, "ListMappings", request =>
            HttpFunctionsFixture.Flows(fixture.App).ListMappingsAsync(request, "nope", "account"));
        Answer audit = await new TestCaller(fixture.App).CallAsync("GET", "connections/nope/runs/r1/audit", null, "GetRunAudit", request =>
            HttpFunctionsFixture.Ops(fixture.App).GetRunAuditAsync(request, this.Client, "nope", "r1"));

        AssertProblem(start, HttpStatusCode.NotFound, ProblemTypes.ConnectionNotFound, "/api/connections/nope/runs/actuals");
        AssertProblem(mappings, HttpStatusCode.NotFound, ProblemTypes.ConnectionNotFound, "/api/connections/nope/mappings/account");
        AssertProblem(audit, HttpStatusCode.NotFound, ProblemTypes.ConnectionNotFound, "/api/connections/nope/runs/r1/audit");
        Assert.All([start, mappings, audit], a => Assert.Equal("nope", a.Json.GetProperty("connectionId").GetString()));
    }

    [Fact]
    public async Task Problem409_WrongState_CarriesTheRunAndItsStatus()
    {
        string id = await this.StartWaitingRunAsync("input");

        Answer answer = await this.RunActionAsync(fixture.App, id, "resume", null);

        AssertProblem(answer, HttpStatusCode.Conflict, ProblemTypes.WrongState, $"/api/runs/{Uri.EscapeDataString(id)}/resume");
        Assert.Equal("Running", answer.Json.GetProperty("runStatus").GetString());
        Assert.Equal(id, answer.Json.GetProperty("instanceId").GetString());
        await this.TerminateAsync(id);
    }

    [Fact]
    public async Task Problem409_FlowDisabled_NamesTheSetting()
    {
        Answer answer = await this.StartBudgetsAsync(fixture.App, HttpFunctionsFixture.DisabledConnection, null);

        AssertProblem(answer, HttpStatusCode.Conflict, ProblemTypes.FlowDisabled, $"/api/connections/{HttpFunctionsFixture.DisabledConnection}/runs/budgets");
        Assert.Equal("Budgets:Enabled", answer.Json.GetProperty("setting").GetString());
    }

    [Fact]
    public void Problem500And501_UnexpectedErrorsHideTheirMessage_UnsupportedSaysWhat()
    {
        ApiProblem unexpected = ApiEdge.ToProblem(new InvalidOperationException("AccountKey=c2VjcmV0 was rejected"))!;
        ApiProblem unsupported = ApiEdge.ToProblem(new OperationNotSupportedException("The durable backend cannot rewind runs: no."))!;

        Assert.Equal(HttpStatusCode.InternalServerError, unexpected.Status);
        Assert.DoesNotContain("AccountKey", unexpected.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotImplemented, unsupported.Status);
        Assert.Equal(ProblemTypes.NotSupported, unsupported.Type);
        Assert.Null(ApiEdge.ToProblem(new OperationCanceledException()));
    }

    [Fact]
    public async Task GetRun_InputAndOutputAreJson_NotJsonInAString()
    {
        string key = NewKey();
        Answer started = await this.StartActualsAsync(fixture.App, Connection, $$"""{"requestKey":"{{key}}","fiscalYear":"2026","fromPeriod":1,"toPeriod":2}""");
        string id = started.Json.GetProperty("id").GetString()!;

        Answer answer = await this.GetRunAsync(fixture.App, id);

        Assert.True(answer.Status == HttpStatusCode.OK, answer.ToString());
        JsonElement input = answer.Json.GetProperty("input");
        Assert.Equal(JsonValueKind.Object, input.ValueKind);
        Assert.Equal(Connection, input.GetProperty("ConnectionId").GetString());
        Assert.Equal("actuals", answer.Json.GetProperty("flow").GetString());
        await this.TerminateAsync(id);
    }

    [Fact]
    public async Task GetRun_WithHistory_ListsTheStepsWithTheirTimes()
    {
        string id = await this.StartWaitingRunAsync("input");
        await this.Client.RaiseEventAsync(id, "go", "now");
        await fixture.WaitAsync(id);

        Answer answer = await new TestCaller(fixture.App).CallAsync("GET", $"runs/{Uri.EscapeDataString(id)}?history=true", null, "GetRun", request =>
            HttpFunctionsFixture.Ops(fixture.App).GetRunAsync(request, this.Client, id));

        Assert.True(answer.Status == HttpStatusCode.OK, answer.ToString());
        Assert.Equal("Completed", answer.Json.GetProperty("run").GetProperty("status").GetString());
        Assert.Equal("input:now", answer.Json.GetProperty("run").GetProperty("output").GetString());
        JsonElement step = Assert.Single(answer.Json.GetProperty("steps").EnumerateArray());
        Assert.Equal("event", step.GetProperty("kind").GetString());
        Assert.Equal("go", step.GetProperty("name").GetString());
    }

    [Fact]
    public async Task ListRuns_NewestFirst_TopLevelOnlyUnlessAll()
    {
        string prefix = $"order{Guid.NewGuid():N}"[..20];
        string older = await this.StartWaitingRunAsync("a", $"{prefix}:older");
        string newer = await this.StartWaitingRunAsync("b", $"{prefix}:newer");
        string sub = await this.StartWaitingRunAsync("c", $"{newer}|step");

        Answer top = await this.ListRunsAsync(fixture.App, $"runs?prefix={prefix}");
        Answer all = await this.ListRunsAsync(fixture.App, $"runs?prefix={prefix}&all=true&max=2");

        Assert.Equal([newer, older], top.Json.EnumerateArray().Select(r => r.GetProperty("instanceId").GetString()));
        Assert.Equal([sub, newer], all.Json.EnumerateArray().Select(r => r.GetProperty("instanceId").GetString()));
        Assert.Equal(newer, all.Json[0].GetProperty("parentInstanceId").GetString());
        foreach (string id in new[] { older, newer, sub })
        {
            await this.TerminateAsync(id);
        }
    }

    [Fact]
    public async Task PurgeRuns_DryRun_ListsTheFinishedRunsInTheRange_AndPurgesNothing()
    {
        string id = await this.StartWaitingRunAsync("input");
        await this.Client.RaiseEventAsync(id, "go", "done");
        await fixture.WaitAsync(id);
        string body = $$"""{"createdFrom":"{{DateTimeOffset.UtcNow.AddHours(-1):O}}","createdTo":"{{DateTimeOffset.UtcNow.AddMinutes(1):O}}","dryRun":true}""";

        Answer answer = await new TestCaller(fixture.App).CallAsync("POST", "runs-purge", body, "PurgeRuns", request =>
            HttpFunctionsFixture.Ops(fixture.App).PurgeRunsAsync(request, this.Client));

        Assert.True(answer.Status == HttpStatusCode.OK, answer.ToString());
        Assert.True(answer.Json.GetProperty("dryRun").GetBoolean());
        Assert.Contains(answer.Json.GetProperty("runs").EnumerateArray(), r => r.GetProperty("instanceId").GetString() == id);
        Assert.NotNull(await this.Client.GetInstanceAsync(id));
    }

    private static void AssertProblem(Answer answer, HttpStatusCode status, string type, string path)
    {
        Assert.True(answer.Status == status, answer.ToString());
        Assert.Equal("application/problem+json; charset=utf-8", answer.Header("Content-Type"));
        JsonElement problem = answer.Json;
        Assert.Equal(type, problem.GetProperty("type").GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        Assert.Equal(path, problem.GetProperty("instance").GetString());
    }

    private static string NewKey() => "k" + Guid.NewGuid().ToString("N")[..16];

    private Task<Answer> StartActualsAsync(IServiceProvider app, string connectionId, string? body)
        => new TestCaller(app).CallAsync("POST", $"connections/{connectionId}/runs/actuals", body, "StartActualsRun", request =>
            HttpFunctionsFixture.Flows(app).StartActualsAsync(request, this.Client, connectionId));

    private Task<Answer> StartBudgetsAsync(IServiceProvider app, string connectionId, string? body)
        => new TestCaller(app).CallAsync("POST", $"connections/{connectionId}/runs/budgets", body, "StartBudgetsRun", request =>
            HttpFunctionsFixture.Flows(app).StartBudgetsAsync(request, this.Client, connectionId));

    private Task<Answer> StartSelfTestAsync(IServiceProvider app, string? body)
        => new TestCaller(app).CallAsync("POST", "selftest", body, "StartSelfTest", request =>
            HttpFunctionsFixture.Ops(app).StartSelfTestAsync(request, this.Client, request.FunctionContext));

    private Task<Answer> GetRunAsync(IServiceProvider app, string instanceId)
        => new TestCaller(app).CallAsync("GET", $"runs/{Uri.EscapeDataString(instanceId)}", null, "GetRun", request =>
            HttpFunctionsFixture.Ops(app).GetRunAsync(request, this.Client, instanceId));

    private Task<Answer> ListRunsAsync(IServiceProvider app, string route)
        => new TestCaller(app).CallAsync("GET", route, null, "ListRuns", request =>
            HttpFunctionsFixture.Ops(app).ListRunsAsync(request, this.Client));

    private Task<Answer> RunActionAsync(IServiceProvider app, string instanceId, string action, string? body)
        => new TestCaller(app).CallAsync("POST", $"runs/{Uri.EscapeDataString(instanceId)}/{action}", body, "RunAction", request =>
            HttpFunctionsFixture.Ops(app).RunActionAsync(request, this.Client, instanceId, action));

    private Task<Answer> PurgeRunAsync(IServiceProvider app, string instanceId)
        => new TestCaller(app).CallAsync("DELETE", $"runs/{Uri.EscapeDataString(instanceId)}", null, "PurgeRun", request =>
            HttpFunctionsFixture.Ops(app).PurgeRunAsync(request, this.Client, instanceId));

    /// <summary>The path of a route as the edge names it in a problem's <c>instance</c>.</summary>
    private static string PathOf(string route) => new Uri(TestCaller.BaseUrl, "/api/" + route).AbsolutePath;

    private Task<Answer> RecoveryAsync(IServiceProvider app, string function, string route, string? body)
        => new TestCaller(app).CallAsync("POST", route, body, function, request =>
        {
            OpsFunctions ops = HttpFunctionsFixture.Ops(app);
            string[] parts = [.. route.Split('/').Select(Uri.UnescapeDataString)];
            return function switch
            {
                "ReplayDataset" => ops.ReplayDatasetAsync(request, this.Client, parts[1], parts[3]),
                "RetryRejected" => ops.RetryRejectedAsync(request, this.Client, parts[1]),
                "RewindRuns" => ops.RewindRunsAsync(request, this.Client, parts[1]),
                "ReplayRuns" => ops.ReplayRunsAsync(request, this.Client, parts[1]),
                _ => throw new ArgumentOutOfRangeException(nameof(function), function, "not a recovery route"),
            };
        });

    private async Task<string> StartWaitingRunAsync(string input, string? instanceId = null)
    {
        string id = instanceId ?? $"ops:{Guid.NewGuid():N}";
        await this.Client.ScheduleNewOrchestrationInstanceAsync(nameof(AwaitSignalOrchestrator), input, new StartOrchestrationOptions(id));
        await Eventually.TrueAsync(
            async () => (await this.Client.GetInstanceAsync(id))?.RuntimeStatus == OrchestrationRuntimeStatus.Running,
            RunStarts,
            $"run {id} is running");
        return id;
    }

    private async Task<List<OrchestrationMetadata>> RunsAsync(string prefix)
    {
        var runs = new List<OrchestrationMetadata>();
        await foreach (OrchestrationMetadata run in this.Client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = prefix }))
        {
            runs.Add(run);
        }

        return runs;
    }

    /// <summary>Stops a run the test started (a connector run without its Sage agent would retry for a minute).</summary>
    private async Task TerminateAsync(string instanceId)
    {
        OrchestrationMetadata? run = await this.Client.GetInstanceAsync(instanceId);
        if (run is { RuntimeStatus: OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Suspended })
        {
            await this.Client.TerminateInstanceAsync(instanceId, "test finished");
        }
    }
}
