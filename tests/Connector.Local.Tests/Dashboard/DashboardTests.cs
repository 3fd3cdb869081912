using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Connector.Agent.Backends;
using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Connector.Testing;
using Microsoft.DurableTask.Client;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Connector.Local.Tests.Dashboard;

/// <summary>
/// The operations dashboard in a real headless browser, served by <c>connector dashboard</c> (its own process) over a task
/// hub holding real runs (<see cref="DashboardFixture"/>): what an operator sees on each page, what the recovery buttons
/// do, and that read-only mode shows no write button while every write endpoint answers 403.
/// </summary>
public sealed class DashboardTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private static readonly TimeSpan RunEnds = TimeSpan.FromMinutes(3);

    /// <summary>Who the audit records as having acted through <c>connector dashboard</c>: the user running it (this test's user).</summary>
    private static readonly string Operator = $"{Environment.UserName} (connector dashboard)";

    static DashboardTests() => SetDefaultExpectTimeout(30_000);

    [ChromiumFact]
    public async Task RunsList_ShowsTheCompletedAndTheFailedRun_PerConnectionAndFlow_WithTriggerOutcomeAndDuration()
    {
        DashboardFixture.Scenario s = await fixture.ScenarioAsync();
        RunAudit audit = (await fixture.Audit.GetRunAsync(DashboardFixture.Actuals, s.Completed))!;
        await using Page page = await this.OpenAsync(fixture.WritableBase, "#/runs");

        ILocator completed = page.Row(DashboardFixture.Actuals, "actuals", s.Completed);
        ILocator failed = page.Row(DashboardFixture.Budgets, "budgets", s.Failed);
        await Expect(completed.Locator("td").Nth(2)).ToHaveTextAsync("test");
        await Expect(completed.Locator("td").Nth(3)).ToHaveTextAsync("Completed");
        await Expect(completed.Locator("td").Nth(4)).ToHaveTextAsync(audit.Status);
        await Expect(completed.Locator("td").Nth(5)).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+(\.\d)? s$|^\d+m \d\ds$"));
        await Expect(failed.Locator("td").Nth(3)).ToHaveTextAsync("Failed");
        await Expect(failed.Locator("td").Nth(6)).ToContainTextAsync("Budgets:OffsetAccount resolves to 999-00-");
        await page.ShotAsync("runs");

        // Filtered by status: only failed runs remain.
        await page.Inner.GetByLabel("Status").SelectOptionAsync("Failed");
        await page.Inner.GetByRole(AriaRole.Button, new() { Name = "Apply", Exact = true }).ClickAsync();
        await Expect(failed).ToBeVisibleAsync();
        await Expect(page.Inner.Locator($"tr[data-run='{s.Completed}']")).ToHaveCountAsync(0);
        Assert.Contains("status=Failed", page.Inner.Url, StringComparison.Ordinal);
        page.AssertNoScriptErrors();
    }

    [ChromiumFact]
    public async Task FailedRun_PageShowsTheFailureWithItsCause_AndItsRejectedRecords()
    {
        DashboardFixture.Scenario s = await fixture.ScenarioAsync();
        RecordAudit refused = Assert.Single(await fixture.Audit.GetRecordsAsync(s.Failed).ToListAsync());
        await using Page page = await this.OpenAsync(fixture.WritableBase, $"#/run/{Uri.EscapeDataString(s.Failed)}");

        await Expect(page.Inner.Locator("#run-header")).ToContainTextAsync("Failed");
        ILocator failure = page.Inner.Locator("#failure");
        await Expect(failure).ToContainTextAsync(new System.Text.RegularExpressions.Regex("Cause: Budgets:OffsetAccount resolves to 999-00-\\d+, which is not an account in Sage"));
        await Expect(failure).ToContainTextAsync("activity PlanBudgetEntriesActivity");
        ILocator record = page.Inner.Locator("#records-table tbody tr");
        await Expect(record).ToHaveCountAsync(1);
        await Expect(record).ToContainTextAsync("rejected");
        await Expect(record).ToContainTextAsync(refused.Record);
        await Expect(record.Locator("td").Nth(4)).ToHaveTextAsync("Account");
        await Expect(record.Locator("td").Nth(5)).ToHaveTextAsync(refused.Reason);
        await Expect(page.Inner.Locator("#journal")).ToContainTextAsync("no summary yet");
        await Expect(page.Inner.Locator("#run-actions [data-action='rewind']")).ToBeVisibleAsync();
        await page.ShotAsync("run-failed");
        page.AssertNoScriptErrors();
    }

    [ChromiumFact]
    public async Task RewindButton_AsksForAReason_ThenTheFixedRunCompletes_AndPostsItsEntryOnce()
    {
        DashboardFixture.Scenario s = await fixture.ScenarioAsync();
        var abc = fixture.Environment.Sage.Company("ABC");
        Assert.DoesNotContain(abc.ListJournalEntries(), e => e.ExternalId.StartsWith("ANP-", StringComparison.Ordinal));
        fixture.BudgetsConnection.Budgets.OffsetAccount = DashboardFixture.GoodOffset; // the operator fixes the setting
        await using Page page = await this.OpenAsync(fixture.WritableBase, $"#/run/{Uri.EscapeDataString(s.FailedToRewind)}");

        await page.Inner.Locator("#run-actions [data-action='rewind']").ClickAsync();
        ILocator dialog = page.Inner.Locator("dialog#confirm");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog).ToContainTextAsync($"Rewind run {s.FailedToRewind}?");
        await Expect(page.Inner.Locator("#confirm-ok")).ToBeDisabledAsync(); // no reason, no rewind
        await page.Inner.Locator("#confirm-reason").FillAsync("offset account fixed to 300-00-00");
        await page.Inner.Locator("#confirm-ok").ClickAsync();

        await Expect(dialog).ToBeHiddenAsync();
        await Expect(page.Inner.Locator("#notice")).ToContainTextAsync($"Rewind of {s.FailedToRewind} requested");
        await Expect(page.Inner.Locator("#run-header h2")).ToContainTextAsync("Completed", new() { Timeout = (float)RunEnds.TotalMilliseconds });

        // The end state: the run completed, the entry is in Sage once, and the page shows the entry number Sage gave it.
        OrchestrationMetadata done = await fixture.WaitAsync(s.FailedToRewind, RunEnds);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        JournalEntryInfo posted = Assert.Single(abc.ListJournalEntries(), e => e.ExternalId.StartsWith("ANP-", StringComparison.Ordinal));
        Assert.Equal(55.00m, posted.Lines.Sum(l => l.Debit));
        ILocator entry = page.Inner.Locator($"#journal-entries tr[data-entry='{posted.ExternalId}']");
        await Expect(entry).ToContainTextAsync("posted");
        await Expect(entry.Locator("td").Nth(7)).ToHaveTextAsync(posted.EntryNo);

        // The rewind is on the run's timeline where it happened, with who did it and why, as the audit recorded it.
        RunEvent rewind = Assert.Single((await RunAuditReport.ReadAsync(fixture.Audit, DashboardFixture.Budgets, s.FailedToRewind, 10)).Events);
        Assert.Equal((RunEventActions.Rewind, 2, Operator, "offset account fixed to 300-00-00"), (rewind.Action, rewind.Attempt, rewind.By, rewind.Reason));
        await Expect(page.Inner.Locator("#run-events li[data-event='rewind']")).ToHaveTextAsync(
            $"{rewind.At.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z rewound (attempt 2) by {Operator}: offset account fixed to 300-00-00");
        await Expect(page.Inner.Locator("#timeline g.step[data-kind='operator'] rect[data-event='rewind']")).ToHaveCountAsync(1);
        await Expect(page.Inner.Locator("#run-header")).ToContainTextAsync("2 (rewound)");
        await page.ShotAsync("run-budgets-rewound");
        page.AssertNoScriptErrors();
    }

    [ChromiumFact]
    public async Task ReplayDatasetRetryRejectedAndBulkButtons_AskForAReason_StartTheRecoveryRuns_AndShowTheServersAnswer()
    {
        DashboardFixture.Scenario s = await fixture.ScenarioAsync();
        await using Page page = await this.OpenAsync(fixture.WritableBase, $"#/run/{Uri.EscapeDataString(s.Completed)}");

        await page.Inner.Locator("#datasets tr[data-dataset='gl-actuals'] [data-action='replay-dataset']").ClickAsync();
        JsonElement replay = await AssertAnswerShownAsync(page, "replay gl-actuals", $"/datasets/gl-actuals/replay");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await fixture.WaitAsync(replay.GetProperty("id").GetString()!, RunEnds)).RuntimeStatus);

        await page.Inner.Locator("#run-actions [data-action='retry-rejected']").ClickAsync();
        await page.Inner.Locator("#field-dataset").SelectOptionAsync("gl-actuals");
        JsonElement retry = await AssertAnswerShownAsync(page, "retry the rows", "/retry-rejected", body => Assert.Equal("gl-actuals", body.GetProperty("dataset").GetString()));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await fixture.WaitAsync(retry.GetProperty("id").GetString()!, RunEnds)).RuntimeStatus);

        // The source run's page lists both actions, by whom and why, each naming the run it started.
        await page.Inner.ReloadAsync();
        string replayId = replay.GetProperty("id").GetString()!;
        string retryId = retry.GetProperty("id").GetString()!;
        await Expect(page.Inner.Locator("#run-events li[data-event='replay-dataset']", new() { HasText = replayId })).ToContainTextAsync(
            $"dataset replayed by {Operator}: replay gl-actuals (gl-actuals → {replayId})");
        await Expect(page.Inner.Locator("#run-events li[data-event='retry-rejected']", new() { HasText = retryId })).ToContainTextAsync(
            $"rejected rows retried by {Operator}: retry the rows (gl-actuals → {retryId})");

        // The bulk rewind's dry run lists what the server would rewind; nothing is rewound until that list is confirmed.
        await page.Inner.GotoAsync(new Uri(fixture.WritableBase, "api/dashboard#/runs").ToString());
        await page.Inner.Locator($".run-group[data-connection='{DashboardFixture.Actuals}'][data-flow='actuals'] [data-action='bulk-rewind']").ClickAsync();
        await page.Inner.Locator("#confirm-reason").FillAsync("rewind failed ones");
        IResponse preview = await page.Inner.RunAndWaitForResponseAsync(
            () => page.Inner.Locator("#confirm-ok").ClickAsync(), r => r.Url.Contains($"/connections/{DashboardFixture.Actuals}/runs-rewind", StringComparison.Ordinal));
        Assert.Equal(200, preview.Status);
        using (JsonDocument sent = JsonDocument.Parse(preview.Request.PostData!))
        {
            Assert.True(sent.RootElement.GetProperty("dryRun").GetBoolean());
        }

        using JsonDocument listed = JsonDocument.Parse(await preview.TextAsync());
        string[] would = [.. listed.RootElement.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("runId").GetString()!)];
        ILocator dialog = page.Inner.Locator("dialog#confirm");
        await Expect(dialog).ToContainTextAsync($"Rewind failed runs: {would.Length} run(s)");
        await Expect(dialog.Locator("ul.preview li")).ToHaveCountAsync(would.Length);
        foreach (string run in would)
        {
            await Expect(dialog).ToContainTextAsync(run);
        }

        await page.Inner.Locator("#confirm-cancel").ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        foreach (string run in would)
        {
            Assert.DoesNotContain(await fixture.Audit.GetEventsAsync(run), e => e.Action == RunEventActions.Rewind);
        }

        page.AssertNoScriptErrors();
    }

    [ChromiumFact]
    public async Task ReplayDatasetRoute_Answers202_TheStagedDatasetIsImportedAgain_AndTheSourceRunsAuditSaysWhoAndWhy()
    {
        DashboardFixture.Scenario s = await fixture.ScenarioAsync();
        using var http = new HttpClient { BaseAddress = fixture.WritableBase };
        string run = Uri.EscapeDataString(s.Completed);
        int imports = this.GlImports();

        using HttpResponseMessage response = await http.SendAsync(Post($"api/runs/{run}/datasets/gl-actuals/replay", """{"reason":"the GL import was fixed"}"""));

        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode} {body}");
        using JsonDocument answer = JsonDocument.Parse(body);
        string id = answer.RootElement.GetProperty("id").GetString()!;
        Assert.Equal(s.Completed, answer.RootElement.GetProperty("sourceRunId").GetString());
        Assert.Equal(Datasets.GlActuals, answer.RootElement.GetProperty("dataset").GetString());
        OrchestrationMetadata done = await fixture.WaitAsync(id, RunEnds);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(imports + 1, this.GlImports()); // Anaplan ran the GL import once more
        RunEvent replayed = Assert.Single(await fixture.Audit.GetEventsAsync(s.Completed), e => e.Action == RunEventActions.ReplayDataset && e.Detail?.Contains(id, StringComparison.Ordinal) == true);
        Assert.Equal((Operator, "the GL import was fixed"), (replayed.By, replayed.Reason));

        // Refusals, as ProblemDetails: no reason; a dataset the connector does not have; a budgets run; no such run.
        await AssertProblemAsync(http, Post($"api/runs/{run}/datasets/gl-actuals/replay", "{}"), HttpStatusCode.BadRequest, "urn:connector:problem:invalid-request", "\"field\":\"reason\"");
        await AssertProblemAsync(http, Post($"api/runs/{run}/datasets/nonsense/replay", """{"reason":"x"}"""), HttpStatusCode.BadRequest, "urn:connector:problem:invalid-request", "nonsense");
        await AssertProblemAsync(http, Post($"api/runs/{Uri.EscapeDataString(s.Failed)}/datasets/gl-actuals/replay", """{"reason":"x"}"""), HttpStatusCode.Conflict, "urn:connector:problem:wrong-state", s.Failed);
        await AssertProblemAsync(http, Post("api/runs/abc%3Aactuals%3Areq-none/datasets/gl-actuals/replay", """{"reason":"x"}"""), HttpStatusCode.NotFound, "urn:connector:problem:run-not-found", "abc:actuals:req-none");
    }

    [ChromiumFact]
    public async Task RetryRejectedRoute_Answers202_AfterTheMissingDepartmentIsAdded_TheRejectedRowsReachAnaplan()
    {
        DashboardFixture.Scenario s = await fixture.ScenarioAsync();
        using var http = new HttpClient { BaseAddress = fixture.WritableBase };
        string run = Uri.EscapeDataString(s.Completed);
        int rejected = (await fixture.Audit.GetRecordsAsync(s.Completed).ToListAsync()).Count(r => r.Kind == RecordKinds.Rejected && r.Dataset == Datasets.GlActuals);
        Assert.True(rejected > 0, "the completed run rejected GL rows");

        // A budgets run has no rows to retry on their own: 409 saying so. No reason: 400.
        await AssertProblemAsync(http, Post($"api/runs/{Uri.EscapeDataString(s.Failed)}/retry-rejected", """{"reason":"x"}"""), HttpStatusCode.Conflict, "urn:connector:problem:wrong-state", "is a budgets run");
        await AssertProblemAsync(http, Post($"api/runs/{run}/retry-rejected", """{"dataset":"gl-actuals"}"""), HttpStatusCode.BadRequest, "urn:connector:problem:invalid-request", "A reason is required");

        // The model builder adds the department the rows were rejected for; the retry sends them, and Anaplan takes them.
        string missing = fixture.Environment.Sage.Company("ABC").GetSubAccounts(3, null, int.MaxValue).Select(d => d.Code.Trim()).Distinct().Last();
        if (fixture.Environment.Anaplan.DefaultModel.GetListItems("Cost Centers").All(i => i.Code != missing))
        {
            fixture.Environment.Anaplan.DefaultModel.AddListItem("Cost Centers", missing, $"Department {missing}");
        }

        int imports = this.GlImports();
        using HttpResponseMessage response = await http.SendAsync(Post($"api/runs/{run}/retry-rejected", """{"reason":"department added in Anaplan"}"""));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode} {body}");
        using JsonDocument answer = JsonDocument.Parse(body);
        string id = answer.RootElement.GetProperty("id").GetString()!;
        OrchestrationMetadata done = await fixture.WaitAsync(id, RunEnds);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        DatasetSummary sent = Assert.Single(done.ReadOutputAs<ActualsRunSummary>()!.Datasets);
        Assert.Equal((0L, (long)rejected), ((long)sent.Rejected, (long)sent.Accepted));
        Assert.Equal(imports + 1, this.GlImports());
        RunEvent retried = Assert.Single(await fixture.Audit.GetEventsAsync(s.Completed), e => e.Action == RunEventActions.RetryRejected && e.Detail?.Contains(id, StringComparison.Ordinal) == true);
        Assert.Equal((Operator, "department added in Anaplan"), (retried.By, retried.Reason));
    }

    [ChromiumFact]
    public async Task BulkRoutes_DryRunListsTheFailedRunOnly_ThenRunsRewindResumesIt_AndOnlyTheGlImportRunsAgain()
    {
        await fixture.ScenarioAsync();
        using var http = new HttpClient { BaseAddress = fixture.WritableBase };
        string connection = DashboardFixture.Second;

        // A run of the second connection whose GL import Anaplan fails: it completes with failures, its GL not loaded.
        fixture.Environment.Anaplan.State.Faults.FailNextImportRun(GlImportName);
        StartRunResult started = await fixture.Starter.StartActualsAsync(connection, "test", new ActualsRunRequest(RequestKey: $"bulk-{Guid.NewGuid():N}"[..16], FullResync: true));
        OrchestrationMetadata failed = await fixture.WaitAsync(started.InstanceId, RunEnds);
        ActualsRunSummary before = failed.ReadOutputAs<ActualsRunSummary>()!;
        Assert.Equal(RunStatuses.CompletedWithFailures, before.Status);
        Assert.NotEqual(DatasetStatuses.Loaded, before.Datasets.Single(d => d.Dataset == Datasets.GlActuals).Status);
        string range = $"\"from\":\"{failed.CreatedAt.AddSeconds(-1):O}\",\"to\":\"{failed.CreatedAt.AddSeconds(1):O}\"";

        await AssertProblemAsync(http, Post($"api/connections/{connection}/runs-rewind", "{" + range + ",\"dryRun\":true}"), HttpStatusCode.BadRequest, "urn:connector:problem:invalid-request", "A reason is required");
        await AssertProblemAsync(http, Post("api/connections/no-such/runs-replay", """{"reason":"x","dryRun":true}"""), HttpStatusCode.NotFound, "urn:connector:problem:connection-not-found", "no-such");
        foreach (string bulk in new[] { "runs-rewind", "runs-replay" })
        {
            using HttpResponseMessage dry = await http.SendAsync(Post($"api/connections/{connection}/{bulk}", "{\"reason\":\"agent back\"," + range + ",\"dryRun\":true}"));
            string listed = await dry.Content.ReadAsStringAsync();
            Assert.True(dry.StatusCode == HttpStatusCode.OK, $"{bulk}: {(int)dry.StatusCode} {listed}");
            using JsonDocument runs = JsonDocument.Parse(listed);
            JsonElement only = Assert.Single(runs.RootElement.GetProperty("runs").EnumerateArray());
            Assert.Equal((started.InstanceId, bulk == "runs-rewind" ? "would rewind" : "would replay"), (only.GetProperty("runId").GetString(), only.GetProperty("action").GetString()));
        }

        Assert.Empty(await fixture.Audit.GetEventsAsync(started.InstanceId)); // the dry runs changed nothing
        int imports = this.GlImports();
        using HttpResponseMessage response = await http.SendAsync(Post($"api/connections/{connection}/runs-rewind", "{\"reason\":\"Anaplan import fixed\"," + range + ",\"dryRun\":false}"));
        string body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}");
        using JsonDocument answer = JsonDocument.Parse(body);
        JsonElement rewound = Assert.Single(answer.RootElement.GetProperty("runs").EnumerateArray());
        Assert.Equal((started.InstanceId, "rewound", 2), (rewound.GetProperty("runId").GetString(), rewound.GetProperty("action").GetString(), rewound.GetProperty("attempt").GetInt32()));
        OrchestrationMetadata done = await fixture.WaitAsync(started.InstanceId, RunEnds);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(DatasetStatuses.Loaded, done.ReadOutputAs<ActualsRunSummary>()!.Datasets.Single(d => d.Dataset == Datasets.GlActuals).Status);
        Assert.Equal(imports + 1, this.GlImports()); // the failed GL load ran again, once
        RunEvent recorded = Assert.Single(await fixture.Audit.GetEventsAsync(started.InstanceId));
        Assert.Equal((RunEventActions.Rewind, (int?)2, Operator, "Anaplan import fixed"), (recorded.Action, recorded.Attempt, recorded.By, recorded.Reason));
    }

    [ChromiumFact]
    public async Task CompletedRun_PageShowsStepsLockWaitsDatasetsTotalsAndRecords_SearchableAndDownloadable()
    {
        DashboardFixture.Scenario s = await fixture.ScenarioAsync();
        IReadOnlyList<DatasetAudit> datasets = await fixture.Audit.GetDatasetsAsync(s.Completed);
        List<RecordAudit> records = await fixture.Audit.GetRecordsAsync(s.Completed).ToListAsync();
        await using Page page = await this.OpenAsync(fixture.WritableBase, $"#/run/{Uri.EscapeDataString(s.Completed)}");

        // Steps of the run and of every sub-run on one axis: extraction, each dataset's upload, import, polling, lock waits.
        ILocator timeline = page.Inner.Locator("#timeline");
        // GL is staged while the lists load, against Sage's side; this model refuses a cost centre, so that staging is
        // discarded and GL staged again once the alignment is built: the timeline shows both extractions.
        await Expect(timeline.Locator("g.step[data-kind='activity']", new() { HasText = nameof(Orchestrations.Flows.Actuals.ExtractGlActualsActivity) })).ToHaveCountAsync(2);
        await Expect(timeline.Locator("g.step", new() { HasText = nameof(Orchestrations.Flows.Actuals.DiscardProvisionalGlActivity) }).First).ToBeVisibleAsync();
        await Expect(timeline.Locator("g.step", new() { HasText = "UploadAnaplanChunksActivity" }).First).ToBeVisibleAsync();
        await Expect(timeline.Locator("g.step", new() { HasText = "StartAnaplanTaskActivity" }).First).ToBeVisibleAsync();
        Assert.True(await timeline.Locator("g.step[data-kind='lock-wait']").CountAsync() >= 5, "a lock wait per dataset load");
        Assert.True(await timeline.Locator("g.step[data-kind='lock-held']").CountAsync() >= 5, "a lock hold per dataset load");

        // Per-dataset counts as recorded.
        DatasetAudit gl = datasets.Single(d => d.Dataset == Datasets.GlActuals);
        ILocator glRow = page.Inner.Locator("#datasets tr[data-dataset='gl-actuals']");
        foreach (string count in new[] { "read", "rejected", "staged", "accepted", "failed" })
        {
            int column = await ColumnAsync(page.Inner.Locator("#datasets table"), count);
            await Expect(glRow.Locator("td").Nth(column)).ToHaveTextAsync(gl.Counts[count].ToString("#,##0", CultureInfo.InvariantCulture));
        }

        // Control totals per period as read from Sage, beside the reconciliation the run recorded: the cells it sent and the
        // same cells read back from Anaplan, with the run's verdict.
        using JsonDocument sage = JsonDocument.Parse(gl.Details["SageTotals"]);
        using JsonDocument reconciliation = JsonDocument.Parse(gl.Details["Reconciliation"]);
        JsonElement first = sage.RootElement[0];
        string period = first.GetProperty("period").GetString()!;
        JsonElement reconciled = reconciliation.RootElement.GetProperty("periods").EnumerateArray().Single(p => p.GetProperty("period").GetString() == period);
        ILocator totals = page.Inner.Locator($"#totals-gl-actuals tr[data-period='{period}']");
        await Expect(totals).ToContainTextAsync(first.GetProperty("debit").GetDecimal().ToString("#,##0.00", CultureInfo.InvariantCulture));
        await Expect(totals).ToContainTextAsync(reconciled.GetProperty("anaplan").GetProperty("debit").GetDecimal().ToString("#,##0.00", CultureInfo.InvariantCulture));
        await Expect(totals).ToContainTextAsync(reconciled.GetProperty("matches").GetBoolean() ? "matches" : "differs");
        await Expect(page.Inner.Locator("#totals-gl-actuals thead")).ToContainTextAsync("Anaplan, read back (" + reconciliation.RootElement.GetProperty("export").GetString() + ")");
        await Expect(page.Inner.Locator("#reconciliation-gl-actuals")).ToContainTextAsync(
            $"Reconciliation: {reconciliation.RootElement.GetProperty("status").GetString()} "
            + $"{reconciliation.RootElement.GetProperty("cellsCompared").GetInt64().ToString("#,##0", CultureInfo.InvariantCulture)} cells compared");
        await Expect(page.Inner.Locator("#details")).ToContainTextAsync("ImportTaskId");

        // Records: every one with field and reason; the search narrows them; the CSV has the matching ones.
        Assert.True(records.Count > 50, $"{records.Count} records: too few to see the paging");
        await Expect(page.Inner.Locator("#records-count")).ToHaveTextAsync($"{records.Count} of {records.Count} match; the first 50 shown");
        await Expect(page.Inner.Locator("#records-table tbody tr")).ToHaveCountAsync(50);
        RecordAudit rejected = records.First(r => r.Kind == RecordKinds.Rejected);
        string term = rejected.Record.Split(' ')[0];
        int matching = records.Count(r => RunAuditReport.Matches(r, term));
        await page.Inner.GetByLabel("Search records").FillAsync(term);
        await Expect(page.Inner.Locator("#records-table tbody tr")).ToHaveCountAsync(Math.Min(50, matching));
        await Expect(page.Inner.Locator("#records-count")).ToContainTextAsync($"{matching} of {records.Count} match");
        await Expect(page.Inner.Locator("#records-table tbody tr").First).ToContainTextAsync(term);
        IDownload download = await page.Inner.RunAndWaitForDownloadAsync(() => page.Inner.Locator("[data-action='download-csv']").ClickAsync());
        string csv = await File.ReadAllTextAsync(await download.PathAsync());
        string[] lines = [.. csv.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0)];
        Assert.Equal("kind,dataset,sequence,line,record,field,reason", lines[0]);
        Assert.Equal(matching, lines.Length - 1);
        Assert.EndsWith("-records.csv", download.SuggestedFilename, StringComparison.Ordinal);

        await page.Inner.GetByLabel("Search records").FillAsync(string.Empty);
        await page.Inner.GetByLabel("Kind").SelectOptionAsync(RecordKinds.Rejected);
        await Expect(page.Inner.Locator("#records-count")).ToContainTextAsync($"{records.Count(r => r.Kind == RecordKinds.Rejected)} of {records.Count} match");
        await page.ShotAsync("run-completed");
        page.AssertNoScriptErrors();
    }

    [ChromiumFact]
    public async Task LocksPage_ShowsWhoHoldsEachModelLock_SinceWhen_AndWhoWaits()
    {
        await fixture.ScenarioAsync();
        string key = ModelLock.IdFor(fixture.Environment.Anaplan.DefaultModel.WorkspaceId, fixture.Environment.Anaplan.DefaultModel.Id).Key;

        // The holder's first chunk upload takes 40 s, inside the model's lock; a second connection's run waits for it.
        fixture.Environment.Anaplan.State.Faults.Delay("PUT /2/0/workspaces/*/models/*/files/*/chunks/*", TimeSpan.FromSeconds(40), count: 1);
        string suffix = Guid.NewGuid().ToString("N")[..8];
        StartRunResult holder = await fixture.Starter.StartActualsAsync(DashboardFixture.Actuals, "test", new ActualsRunRequest(RequestKey: $"holder-{suffix}"));
        await Eventually.TrueAsync(
            async () => (await fixture.Operations.ListModelLocksAsync([])).Any(l => l.Key == key && l.Holder?.InstanceId.StartsWith(holder.InstanceId, StringComparison.Ordinal) == true),
            TimeSpan.FromSeconds(90),
            "the first run holds the model's lock");
        StartRunResult waiter = await fixture.Starter.StartActualsAsync(DashboardFixture.Second, "test", new ActualsRunRequest(RequestKey: $"waiter-{suffix}"));

        await using Page page = await this.OpenAsync(fixture.WritableBase, "#/locks");
        ILocator row = page.Inner.Locator($"#locks-table tr[data-lock='{key}']");
        await Expect(row).ToContainTextAsync($"{DashboardFixture.Actuals}, {DashboardFixture.Budgets}, {DashboardFixture.Second}");
        await Expect(row.Locator("td").Nth(2)).ToContainTextAsync(holder.InstanceId);
        await Expect(row.Locator("td").Nth(2)).ToContainTextAsync("Running");
        await Expect(row.Locator("td").Nth(3)).ToContainTextAsync($"({holder.InstanceId})");
        // The waiter's sections that want the lock: its vendors' load (started as soon as they are staged) and its lists'.
        ILocator waiting = row.Locator("ul.waiting li");
        await Expect(waiting.First).ToContainTextAsync(waiter.InstanceId, new() { Timeout = 60_000 });
        await Expect(waiting.First).ToContainTextAsync("waiting since");
        Assert.All(await waiting.AllInnerTextsAsync(), entry => Assert.Contains(waiter.InstanceId, entry, StringComparison.Ordinal));
        await page.ShotAsync("locks");

        // Both runs end, and the page (it refreshes itself) shows the lock free with nobody waiting.
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await fixture.WaitAsync(holder.InstanceId, RunEnds)).RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await fixture.WaitAsync(waiter.InstanceId, RunEnds)).RuntimeStatus);
        await Expect(row.Locator("td").Nth(2)).ToHaveTextAsync("free", new() { Timeout = 60_000 });
        await Expect(row.Locator("td").Nth(5)).ToHaveTextAsync("nobody");
        page.AssertNoScriptErrors();
    }

    [ChromiumFact]
    public async Task TerminateAndPurgeButtons_StopARunningRun_ThenDeleteIt_KeepingItsAudit()
    {
        await fixture.ScenarioAsync();

        // A run held up inside the model's lock for a while: it is running when the operator looks.
        fixture.Environment.Anaplan.State.Faults.Delay("PUT /2/0/workspaces/*/models/*/files/*/chunks/*", TimeSpan.FromSeconds(30), count: 1);
        StartRunResult started = await fixture.Starter.StartActualsAsync(DashboardFixture.Actuals, "test", new ActualsRunRequest(RequestKey: $"stop-{Guid.NewGuid():N}"[..16]));
        string id = started.InstanceId;
        await Eventually.TrueAsync(
            async () => (await fixture.Operations.ListModelLocksAsync([])).Any(l => l.Holder?.InstanceId.StartsWith(id, StringComparison.Ordinal) == true),
            TimeSpan.FromSeconds(90),
            "the run is inside the model's lock");
        await using Page page = await this.OpenAsync(fixture.WritableBase, $"#/run/{Uri.EscapeDataString(id)}");
        await Expect(page.Inner.Locator("#run-header h2")).ToContainTextAsync("Running");
        await Expect(page.Inner.Locator("#run-actions [data-action='purge']")).ToHaveCountAsync(0); // not while it runs

        await page.Inner.Locator("#run-actions [data-action='terminate']").ClickAsync();
        await page.Inner.Locator("#confirm-reason").FillAsync("started by mistake");
        await page.Inner.Locator("#confirm-ok").ClickAsync();
        await Expect(page.Inner.Locator("#run-header h2")).ToContainTextAsync("Terminated", new() { Timeout = 60_000 });
        await Expect(page.Inner.Locator("#run-events li[data-event='terminate']")).ToContainTextAsync($"terminated (attempt 1) by {Operator}: started by mistake");
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, (await fixture.Client.GetInstanceAsync(id))!.RuntimeStatus);

        // The whole run tree stopped (the sub-run that was loading too) and the model's lock is free again.
        Assert.DoesNotContain(
            await fixture.Operations.ListAsync(new RunQuery { InstanceIdPrefix = id + "|", IncludeSubRuns = true }).ToListAsync(),
            r => !RunOperations.FinishedStatuses.Contains(r.Status));
        Assert.DoesNotContain(await fixture.Operations.ListModelLocksAsync([]), l => l.Holder?.InstanceId.StartsWith(id, StringComparison.Ordinal) == true);

        await page.Inner.Locator("#run-actions [data-action='purge']").ClickAsync();
        await Expect(page.Inner.Locator("#field-keepAudit")).ToBeCheckedAsync();
        await page.Inner.Locator("#confirm-reason").FillAsync("not needed");
        await page.Inner.Locator("#confirm-ok").ClickAsync();
        await Expect(page.Inner.Locator("#notice")).ToContainTextAsync($"Run {id} purged; its audit rows are kept.");
        await Expect(page.Inner.Locator("main h2")).ToHaveTextAsync("Runs");
        await Expect(page.Inner.Locator($"tr[data-run='{id}']")).ToHaveCountAsync(0);
        Assert.Null(await fixture.Client.GetInstanceAsync(id));
        Assert.Equal(RunStatuses.Terminated, (await fixture.Audit.GetRunAsync(DashboardFixture.Actuals, id))!.Status);
        Assert.Empty(await fixture.Operations.ListAsync(new RunQuery { InstanceIdPrefix = id, IncludeSubRuns = true }).ToListAsync()); // sub-runs purged too
        page.AssertNoScriptErrors();
    }

    [ChromiumFact]
    public async Task TrendsPage_ChartsRowsAndDurationPerRun_PerConnection()
    {
        DashboardFixture.Scenario s = await fixture.ScenarioAsync();
        List<RunAudit> actuals = await fixture.Audit.ListRunsAsync(DashboardFixture.Actuals, DateTimeOffset.UtcNow.AddDays(-30)).ToListAsync();
        List<RunAudit> budgets = await fixture.Audit.ListRunsAsync(DashboardFixture.Budgets, DateTimeOffset.UtcNow.AddDays(-30)).ToListAsync();
        long read = (await fixture.Audit.GetDatasetsAsync(s.Completed)).Sum(d => d.Counts.GetValueOrDefault("read"));
        await using Page page = await this.OpenAsync(fixture.WritableBase, "#/trends");

        ILocator abc = page.Inner.Locator($".trend[data-connection='{DashboardFixture.Actuals}']");
        await Expect(abc.Locator("svg.chart g.run")).ToHaveCountAsync(actuals.Count);
        await Expect(abc.Locator("svg.chart g.run rect.rows")).ToHaveCountAsync(actuals.Count);
        await Expect(abc.Locator("svg.chart circle.duration")).ToHaveCountAsync(actuals.Count(r => r.FinishedAt is not null));
        await Expect(abc.Locator($"svg.chart g.run[data-run='{s.Completed}'] > title")).ToContainTextAsync($"rows read {read.ToString("#,##0", CultureInfo.InvariantCulture)}");
        ILocator budget = page.Inner.Locator($".trend[data-connection='{DashboardFixture.Budgets}']");
        await Expect(budget.Locator("svg.chart g.run")).ToHaveCountAsync(budgets.Count);
        ILocator failed = budget.Locator($"svg.chart g.run.bad[data-run='{s.Failed}']"); // failed, drawn as such
        await Expect(failed.Locator("rect.marker")).ToHaveCountAsync(1); // no summary, so no rows: a marker, not a bar of 0
        await Expect(failed.Locator("circle.duration")).ToHaveCountAsync(1); // its end read from the durable run
        await Expect(failed.Locator(":scope > title")).ToContainTextAsync("no rows recorded");
        await page.ShotAsync("trends");
        page.AssertNoScriptErrors();
    }

    [ChromiumFact]
    public async Task ReadOnly_NoWriteButtonOnAnyPage_AndEveryWriteEndpointAnswers403()
    {
        DashboardFixture.Scenario s = await fixture.ScenarioAsync();

        // The writable dashboard shows write buttons on these pages, so their absence below means something.
        await using (Page writable = await this.OpenAsync(fixture.WritableBase, $"#/run/{Uri.EscapeDataString(s.Failed)}"))
        {
            await Expect(writable.Inner.Locator("[data-write]").First).ToBeVisibleAsync();
        }

        await using Page page = await this.OpenAsync(fixture.ReadOnlyBase, "#/runs");
        await Expect(page.Inner.Locator("#mode")).ToHaveTextAsync("read-only");
        foreach ((string hash, string loaded) in new[]
        {
            ("#/runs", $"tr[data-run='{s.Failed}']"),
            ($"#/run/{Uri.EscapeDataString(s.Failed)}", "#records-table tbody tr"),
            ($"#/run/{Uri.EscapeDataString(s.Completed)}", "#datasets tr[data-dataset='gl-actuals']"),
            ("#/locks", "#locks-table tbody tr"),
            ("#/trends", "svg.chart"),
        })
        {
            await page.Inner.GotoAsync(new Uri(fixture.ReadOnlyBase, "api/dashboard" + hash).ToString());
            await Expect(page.Inner.Locator(loaded).First).ToBeVisibleAsync();
            await Expect(page.Inner.Locator("[data-write]")).ToHaveCountAsync(0);
            foreach (string label in new[] { "Rewind", "Replay", "Retry", "Terminate", "Purge", "Release" })
            {
                await Expect(page.Inner.GetByRole(AriaRole.Button, new() { Name = label })).ToHaveCountAsync(0);
            }

            if (hash.Contains(Uri.EscapeDataString(s.Failed), StringComparison.Ordinal))
            {
                await page.ShotAsync("read-only-run");
            }
        }

        using var http = new HttpClient { BaseAddress = fixture.ReadOnlyBase };
        string run = Uri.EscapeDataString(s.Failed);
        foreach ((HttpMethod method, string path) in new[]
        {
            (HttpMethod.Post, $"api/runs/{run}/rewind"),
            (HttpMethod.Post, $"api/runs/{run}/replay"),
            (HttpMethod.Post, $"api/runs/{run}/terminate"),
            (HttpMethod.Post, $"api/runs/{run}/suspend"),
            (HttpMethod.Post, $"api/runs/{run}/resume"),
            (HttpMethod.Post, $"api/runs/{run}/datasets/budget/replay"),
            (HttpMethod.Post, $"api/runs/{run}/retry-rejected"),
            (HttpMethod.Delete, $"api/runs/{run}?keepAudit=false"),
            (HttpMethod.Post, "api/runs-purge"),
            (HttpMethod.Post, "api/locks-release-orphaned"),
            (HttpMethod.Post, $"api/connections/{DashboardFixture.Budgets}/runs-rewind"),
            (HttpMethod.Post, $"api/connections/{DashboardFixture.Budgets}/runs-replay"),
        })
        {
            using var request = new HttpRequestMessage(method, path) { Content = new StringContent("""{"reason":"read-only check"}""", Encoding.UTF8, "application/json") };
            using HttpResponseMessage response = await http.SendAsync(request);
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path}: {(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("urn:connector:problem:read-only", body, StringComparison.Ordinal);
        }

        Assert.Equal(OrchestrationRuntimeStatus.Failed, (await fixture.Client.GetInstanceAsync(s.Failed))!.RuntimeStatus);
        page.AssertNoScriptErrors();
    }

    [ChromiumFact]
    public async Task LocalServer_RefusesOtherHostNamesAndCrossSiteWrites_AndAnswersUnknownApiPathsWithProblems()
    {
        await fixture.ScenarioAsync();
        using var http = new HttpClient { BaseAddress = fixture.WritableBase };
        int port = fixture.WritableBase.Port;
        const string NoSuchRun = "abc:actuals:req-no-such-run";

        // A page on another name that resolves to 127.0.0.1 (DNS rebinding) reads nothing.
        using var rebound = new HttpRequestMessage(HttpMethod.Get, "api/runs");
        rebound.Headers.Host = $"connector.attacker.example:{port}";
        await AssertProblemAsync(http, rebound, HttpStatusCode.Forbidden, "urn:connector:problem:forbidden", "connector.attacker.example");

        // Another site's page may not write, whether its browser sends Origin or only Sec-Fetch-Site.
        using var foreign = Write(NoSuchRun);
        foreign.Headers.Add("Origin", "http://attacker.example");
        await AssertProblemAsync(http, foreign, HttpStatusCode.Forbidden, "urn:connector:problem:forbidden", "attacker.example");
        using var crossSite = Write(NoSuchRun);
        crossSite.Headers.Add("Sec-Fetch-Site", "cross-site");
        await AssertProblemAsync(http, crossSite, HttpStatusCode.Forbidden, "urn:connector:problem:forbidden", "cross-site");

        // The same write from the dashboard's own origin reaches the API (which then knows no such run).
        using var own = Write(NoSuchRun);
        own.Headers.Add("Origin", $"http://127.0.0.1:{port}");
        own.Headers.Add("Sec-Fetch-Site", "same-origin");
        await AssertProblemAsync(http, own, HttpStatusCode.NotFound, "urn:connector:problem:run-not-found", NoSuchRun);

        using var unknown = new HttpRequestMessage(HttpMethod.Get, "api/no-such-thing");
        await AssertProblemAsync(http, unknown, HttpStatusCode.NotFound, "urn:connector:problem:no-such-endpoint", "no-such-thing");

        static HttpRequestMessage Write(string run)
            => new(HttpMethod.Post, $"api/runs/{Uri.EscapeDataString(run)}/rewind") { Content = new StringContent("""{"reason":"check"}""", Encoding.UTF8, "application/json") };
    }

    /// <summary>The name of the model's GL import (the shipped model's, which this fixture's connections use).</summary>
    private const string GlImportName = "GL Actuals from Sage";

    /// <summary>The path of the model's GL import tasks.</summary>
    private static string GlImportTasks { get; } =
        $"/imports/{Emulators.Anaplan.Model.TenantDefinition.LoadDefault().Workspaces[0].Models[0].Imports.Single(i => i.Name == GlImportName).Id}/tasks";

    /// <summary>How many GL import tasks the Anaplan emulator took (answered 2xx): read from its request log.</summary>
    private int GlImports()
        => fixture.Environment.Anaplan.State.Requests.Find("POST", GlImportTasks).Count(r => r.StatusCode is >= 200 and < 300);

    private static HttpRequestMessage Post(string path, string json) => new(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private static async Task AssertProblemAsync(HttpClient http, HttpRequestMessage request, HttpStatusCode status, string type, string mentions)
    {
        using HttpResponseMessage response = await http.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{request.Method} {request.RequestUri}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using JsonDocument problem = JsonDocument.Parse(body);
        Assert.Equal(type, problem.RootElement.GetProperty("type").GetString());
        Assert.Contains(mentions, body, StringComparison.Ordinal);
    }

    /// <summary>
    /// Gives the open dialog a reason, confirms, and checks the page shows what the server answered: the new run's id in
    /// the notice when it accepted (its answer is returned); when it refused, the problem text (or the status) in the
    /// dialog, and the test fails with that answer.
    /// </summary>
    private static async Task<JsonElement> AssertAnswerShownAsync(Page page, string reason, string path, Action<JsonElement>? checkBody = null)
    {
        ILocator dialog = page.Inner.Locator("dialog#confirm");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(page.Inner.Locator("#confirm-ok")).ToBeDisabledAsync();
        await page.Inner.Locator("#confirm-reason").FillAsync(reason);
        IResponse response = await page.Inner.RunAndWaitForResponseAsync(
            () => page.Inner.Locator("#confirm-ok").ClickAsync(),
            r => r.Url.Contains(path, StringComparison.Ordinal));
        using (JsonDocument sent = JsonDocument.Parse(response.Request.PostData ?? "{}"))
        {
            Assert.Equal(reason, sent.RootElement.GetProperty("reason").GetString());
            checkBody?.Invoke(sent.RootElement);
        }

        string answer = await response.TextAsync();
        if (response.Status >= 400)
        {
            ILocator error = page.Inner.Locator("#confirm-error");
            await Expect(error).ToContainTextAsync(response.Status.ToString(CultureInfo.InvariantCulture));
            if (response.Headers.TryGetValue("content-type", out string? type) && type.Contains("json", StringComparison.Ordinal))
            {
                using JsonDocument problem = JsonDocument.Parse(answer);
                await Expect(error).ToContainTextAsync(problem.RootElement.GetProperty("detail").GetString()!);
            }
            else
            {
                await Expect(error).ToContainTextAsync("no endpoint");
            }

            await page.Inner.Locator("#confirm-cancel").ClickAsync();
            await Expect(dialog).ToBeHiddenAsync();
            Assert.Fail($"{path} answered {response.Status}: {answer}");
        }

        await Expect(dialog).ToBeHiddenAsync();
        using JsonDocument accepted = JsonDocument.Parse(answer);
        await Expect(page.Inner.Locator("#notice")).ToContainTextAsync(accepted.RootElement.GetProperty("id").GetString()!);
        return accepted.RootElement.Clone();
    }

    private static async Task<int> ColumnAsync(ILocator table, string header)
    {
        IReadOnlyList<string> headers = await table.Locator("thead th").AllTextContentsAsync();
        int index = headers.ToList().FindIndex(h => string.Equals(h.Trim(), header, StringComparison.OrdinalIgnoreCase));
        Assert.True(index >= 0, $"no column {header} in {string.Join(", ", headers)}");
        return index;
    }

    private async Task<Page> OpenAsync(Uri dashboard, string hash)
    {
        IPage page = await fixture.Browser!.Context.NewPageAsync();
        var result = new Page(page);
        await page.GotoAsync(new Uri(dashboard, "api/dashboard" + hash).ToString());
        await Expect(page.Locator("main h2").First).ToBeVisibleAsync();
        return result;
    }
}

/// <summary>A browser page of a test: its script errors are collected, and it can save a screenshot for the README.</summary>
public sealed class Page : IAsyncDisposable
{
    /// <summary>The directory screenshots are written to (<c>DASHBOARD_SCREENSHOTS</c>); none when unset.</summary>
    private static readonly string? Screenshots = Environment.GetEnvironmentVariable("DASHBOARD_SCREENSHOTS");

    private readonly List<string> errors = [];

    public Page(IPage inner)
    {
        this.Inner = inner;
        inner.PageError += (_, error) => this.errors.Add(error);
    }

    public IPage Inner { get; }

    /// <summary>The row of one run in the runs list, inside its connection and flow's group.</summary>
    public ILocator Row(string connection, string flow, string runId)
        => this.Inner.Locator($".run-group[data-connection='{connection}'][data-flow='{flow}'] tr[data-run='{runId}']");

    /// <summary>Fails when the page's script threw.</summary>
    public void AssertNoScriptErrors() => Assert.True(this.errors.Count == 0, "script errors: " + string.Join("\n", this.errors));

    /// <summary>Saves a full-page screenshot as <c>{name}.png</c> when <c>DASHBOARD_SCREENSHOTS</c> names a directory.</summary>
    public async Task ShotAsync(string name)
    {
        if (Screenshots is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
            await this.Inner.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name + ".png"), FullPage = true });
        }
    }

    public async ValueTask DisposeAsync() => await this.Inner.CloseAsync();
}
