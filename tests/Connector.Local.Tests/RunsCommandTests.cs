using System.Text.Json;
using System.Text.RegularExpressions;
using Connector.Agent.CommandLine;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Storage;
using Connector.Testing;
using Connector.Tests.Shared;
using Microsoft.DurableTask.Client;

namespace Connector.Local.Tests;

/// <summary>
/// <c>connector runs list|show|audit</c> as an operator runs them (the program as its own process) against a task hub
/// holding real runs: an actuals run on ABC whose model lacks a cost centre (rows rejected by the connector) and has no
/// vendors (AP rows failed by Anaplan), and a run of a connection whose Accounts import does not exist (failed at its
/// start, when the run reads the imports' layouts: before Sage is read or anything is loaded).
/// </summary>
public sealed partial class RunsCommandTests(RunsCommandTests.Fixture fixture) : IClassFixture<RunsCommandTests.Fixture>
{
    [Fact]
    public async Task List_NewestFirst_WithAHeader_TopLevelRunsOnly()
    {
        Fixture.Scenario s = await fixture.ScenarioAsync();

        (int exit, string output, string errors) = await fixture.ConnectorAsync("runs", "list");

        Assert.True(exit == ExitCodes.Ok, errors);
        string[] lines = Lines(output);
        Assert.Matches(@"^CREATED \(UTC\)\s+STATUS\s+FLOW\s+CONNECTION\s+DURATION\s+RUN\s+STEP OR FAILURE", lines[0]);
        Assert.DoesNotContain(lines, l => l.Contains('|', StringComparison.Ordinal));
        List<string> ids = [.. lines.Skip(1).Select(RunIdOf)];
        Assert.Equal([s.Failed, s.Good], ids); // the failed run was started last
        Assert.Matches($@"{Regex.Escape(s.Failed)}\s+Import 'Accounts from Nowhere' \(accounts list, Actuals:Imports:Accounts\) does not exist", lines[1]);

        (_, string all, _) = await fixture.ConnectorAsync("runs", "list", "--all", "--max", "100");
        Assert.Contains(Lines(all), l => l.Contains($"{s.Good}|dimensions|accounts", StringComparison.Ordinal));
    }

    [Fact]
    public async Task List_Filters_ByConnectionFlowStatusAndTime()
    {
        Fixture.Scenario s = await fixture.ScenarioAsync();

        (_, string byConnection, _) = await fixture.ConnectorAsync("runs", "list", "--connection", "abc");
        (_, string byStatus, _) = await fixture.ConnectorAsync("runs", "list", "--status", "Failed");
        (_, string byFlow, _) = await fixture.ConnectorAsync("runs", "list", "--flow", "budgets");
        (_, string future, _) = await fixture.ConnectorAsync("runs", "list", "--from", DateTimeOffset.UtcNow.AddHours(1).ToString("O"));
        (_, string recent, _) = await fixture.ConnectorAsync("runs", "list", "--from", "2h", "--max", "1");

        Assert.Equal([s.Good], Lines(byConnection).Skip(1).Select(RunIdOf));
        Assert.Equal([s.Failed], Lines(byStatus).Skip(1).Select(RunIdOf));
        Assert.Equal("No runs match.", byFlow.Trim());
        Assert.Equal("No runs match.", future.Trim());
        Assert.Equal([s.Failed], Lines(recent).Skip(1).Select(RunIdOf));
    }

    [Fact]
    public async Task List_Json_IsAnArrayOfRunsWithReadableFields()
    {
        Fixture.Scenario s = await fixture.ScenarioAsync();

        (int exit, string output, _) = await fixture.ConnectorAsync("runs", "list", "--json");

        Assert.Equal(ExitCodes.Ok, exit);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement[] runs = [.. json.RootElement.EnumerateArray()];
        Assert.Equal([s.Failed, s.Good], runs.Select(r => r.GetProperty("instanceId").GetString()));
        Assert.Equal("Failed", runs[0].GetProperty("status").GetString());
        Assert.Equal("actuals", runs[0].GetProperty("flow").GetString());
        Assert.Equal("bad", runs[0].GetProperty("connectionId").GetString());
    }

    [Fact]
    public async Task Show_FailedRun_StatusFailureWithCause_InputAsJson_StepsWithTimes_NothingAfterTheFailure_SubRunTreeOfTheGoodRun()
    {
        Fixture.Scenario s = await fixture.ScenarioAsync();

        (int exit, string output, string errors) = await fixture.ConnectorAsync("runs", "show", s.Failed);

        Assert.True(exit == ExitCodes.Ok, errors);
        Assert.Contains($"Run        {s.Failed}", output, StringComparison.Ordinal);
        Assert.Contains("Status     Failed", output, StringComparison.Ordinal);
        // The failure names the import, its dataset and the setting to fix; the run stopped when it read the imports' layouts.
        Assert.Contains("Failure    Import 'Accounts from Nowhere' (accounts list, Actuals:Imports:Accounts) does not exist in model", output, StringComparison.Ordinal);
        string failedAt = output.Split('\n').First(l => l.StartsWith("Failed at", StringComparison.Ordinal));
        Assert.Matches(@"^Failed at  activity CheckAnaplanModelActivity at \d{4}-.*: Import 'Accounts from Nowhere' \(accounts list, Actuals:Imports:Accounts\) does not exist", failedAt);
        Assert.Contains("Output\n  (none: the run failed)", output, StringComparison.Ordinal);
        Assert.Contains("    \"ConnectionId\": \"bad\",", output, StringComparison.Ordinal); // JSON, not JSON in a string
        Assert.DoesNotContain("\\u0027", output, StringComparison.Ordinal);

        string[] steps = [.. Lines(output.Split("\nSteps\n", 2)[1].Split("\nSub-runs", 2)[0])];
        Assert.Matches(@"^\s*#\s+KIND\s+STEP\s+STARTED \(UTC\)\s+ENDED \(UTC\)\s+DURATION\s+RESULT", steps[0]);
        Assert.Matches(@"^\s*1\s+activity\s+BeginRunActivity\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+[\d.]+ (ms|s)\s+completed", steps[1]);
        Assert.Contains(steps, l => Regex.IsMatch(l, @"activity\s+CheckAnaplanModelActivity .*failed: .*Accounts from Nowhere"));

        // Nothing was read from Sage or loaded into Anaplan: no step after the failed one, no sub-run.
        Assert.DoesNotContain(steps, l => l.Contains("DimensionAlignmentOrchestrator", StringComparison.Ordinal) || l.Contains("Extract", StringComparison.Ordinal));
        Assert.Contains("Sub-runs: none", output, StringComparison.Ordinal);

        // The good run's sub-runs, as a tree: alignment, and the list loads inside it.
        (int goodExit, string good, string goodErrors) = await fixture.ConnectorAsync("runs", "show", s.Good);
        Assert.True(goodExit == ExitCodes.Ok, goodErrors);
        string tree = good.Split("\nSub-runs\n", 2)[1];
        Assert.Contains($"{s.Good}|dimensions  Completed (dimensionalignment", tree, StringComparison.Ordinal);
        Assert.Contains($"{s.Good}|dimensions|accounts  Completed (loaddataset", tree, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_Json_InputOutputStepsAndSubRunsAreJson()
    {
        Fixture.Scenario s = await fixture.ScenarioAsync();

        (int exit, string output, _) = await fixture.ConnectorAsync("runs", "show", s.Good, "--json");

        Assert.Equal(ExitCodes.Ok, exit);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement run = json.RootElement.GetProperty("run");
        Assert.Equal("Completed", run.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Object, run.GetProperty("input").ValueKind);
        Assert.Equal("abc", run.GetProperty("output").GetProperty("ConnectionId").GetString());
        JsonElement[] steps = [.. json.RootElement.GetProperty("steps").EnumerateArray()];
        Assert.All(steps, step =>
        {
            Assert.True(step.GetProperty("ended").GetDateTimeOffset() >= step.GetProperty("started").GetDateTimeOffset());
            Assert.Equal("completed", step.GetProperty("status").GetString());
        });
        Assert.Contains(steps, step => step.GetProperty("kind").GetString() == "sub-run" && step.GetProperty("instanceId").GetString() == $"{s.Good}|gl-actuals");
        JsonElement dimensions = json.RootElement.GetProperty("subRuns").EnumerateArray().Single(n => n.GetProperty("instanceId").GetString() == $"{s.Good}|dimensions");
        // The two list loads; Anaplan's members are read from the lists (an activity), so no export sub-run.
        Assert.Equal(
            [$"{s.Good}|dimensions|accounts", $"{s.Good}|dimensions|cost-centers"],
            dimensions.GetProperty("subRuns").EnumerateArray().Select(n => n.GetProperty("instanceId").GetString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Audit_Table_DatasetCountsControlTotalsReconciliationAndRecordsWithFieldAndReason()
    {
        Fixture.Scenario s = await fixture.ScenarioAsync();
        RunAudit audit = (await fixture.Audit.GetRunAsync("abc", s.Good))!;
        var records = await fixture.Audit.GetRecordsAsync(s.Good).ToListAsync();
        Assert.Contains(records, r => r.Kind == RecordKinds.Rejected);
        Assert.Contains(records, r => r.Kind == RecordKinds.Failed);

        (int exit, string output, string errors) = await fixture.ConnectorAsync("runs", "audit", s.Good);

        Assert.True(exit == ExitCodes.Ok, errors);
        Assert.Contains($"Status     {audit.Status}", output, StringComparison.Ordinal);
        Assert.Matches(@"DATASET\s+STATUS\s+read\s+rejected\s+unchanged\s+staged\s+uploadedParts\s+uploadedBytes\s+accepted\s+failed\s+ignored", output);
        DatasetAudit gl = (await fixture.Audit.GetDatasetsAsync(s.Good)).Single(d => d.Dataset == Datasets.GlActuals);
        Assert.Matches($@"gl-actuals\s+{gl.Status}\s+{gl.Counts["read"]}\s+{gl.Counts["rejected"]}\s", output);

        // Control totals as Sage gave them.
        PeriodTotals sage = JsonSerializer.Deserialize<List<PeriodTotals>>(gl.Details["SageTotals"], SummaryJson.Options)!.Single(t => t.Period == "FY2026-P10");
        Assert.Contains("Control totals (read from Sage)", output, StringComparison.Ordinal);
        AssertLine($@"(?m)^gl-actuals\s+FY2026-P10\s+{sage.Rows:#,##0}\s+{Money(sage.Debit)}\s+{Money(sage.Credit)}\s+{Money(sage.Amount)}\s*$", output);

        // The reconciliation result: Sage's totals of the cells sent next to what the read-back export showed, which is
        // what the model holds (the emulator's cells, summed here).
        Reconciliation reconciliation = JsonSerializer.Deserialize<Reconciliation>(gl.Details["Reconciliation"], SummaryJson.Options)!;
        Assert.Contains("Reconciliation (read back from Anaplan after the load, compared with Sage to the cent)", output, StringComparison.Ordinal);
        AssertLine($@"(?m)^gl-actuals\s+{reconciliation.Status}\s+{Regex.Escape(reconciliation.Export!)}\s+{reconciliation.CellsCompared:#,##0}\s+{reconciliation.Differences}\b", output);
        decimal modelDebit = fixture.Environment.Anaplan.DefaultModel.GetCells("GL Actuals")
            .Where(c => c.Members[2] == "FY2026-P10" && c.LineItem == "Debit")
            .Sum(c => Convert.ToDecimal(c.Value, System.Globalization.CultureInfo.InvariantCulture));
        PeriodReconciliation p10 = reconciliation.Periods.Single(p => p.Period == "FY2026-P10");
        AssertLine($@"(?m)^gl-actuals\s+FY2026-P10\s+Sage, cells sent\s+{p10.Sage.Rows:#,##0}\s+{Money(p10.Sage.Debit)}\s+{Money(p10.Sage.Credit)}\s+{Money(p10.Sage.Amount)}\s*$", output);
        AssertLine($@"(?m)^gl-actuals\s+FY2026-P10\s+Anaplan, read back\s+\d[\d,]*\s+{Money(modelDebit)}\s+[\d,.-]+\s+[\d,.-]+\s+{(p10.Matches ? "matches" : "DIFFERS")}\s*$", output);
        Assert.Contains("Dataset details (other fields the run recorded)", output, StringComparison.Ordinal);
        Assert.Matches(@"gl-actuals\s+ImportTaskId\s+[0-9A-F]{32}", output);

        RecordAudit rejected = records.First(r => r.Kind == RecordKinds.Rejected);
        RecordAudit failed = records.First(r => r.Kind == RecordKinds.Failed);
        Assert.Matches(@"KIND\s+DATASET\s+LINE\s+RECORD\s+FIELD\s+REASON", output);
        Assert.Contains(Lines(output), l => l.StartsWith("rejected", StringComparison.Ordinal) && l.Contains(rejected.Record, StringComparison.Ordinal) && l.Contains("Cost Center", StringComparison.Ordinal));
        Assert.Contains(Lines(output), l => l.StartsWith("failed", StringComparison.Ordinal) && l.Contains("Item not located in Vendors list", StringComparison.Ordinal));
        Assert.Contains($"Records ({records.Count(r => r.Kind == "rejected")} rejected, {records.Count(r => r.Kind == "failed")} failed, {records.Count(r => r.Kind == RecordKinds.Difference)} reconciliation differences)", output, StringComparison.Ordinal);
        Assert.Contains(Lines(output), l => l.StartsWith("failed", StringComparison.Ordinal) && l.Contains(failed.Record, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Audit_Csv_EveryRecordWithFieldAndReason_Json_TheWholeAudit()
    {
        Fixture.Scenario s = await fixture.ScenarioAsync();
        var records = await fixture.Audit.GetRecordsAsync(s.Good).ToListAsync();

        (int csvExit, string csv, _) = await fixture.ConnectorAsync("runs", "audit", s.Good, "--csv");
        (int jsonExit, string json, _) = await fixture.ConnectorAsync("runs", "audit", s.Good, "--json", "--kind", "failed");

        Assert.Equal(ExitCodes.Ok, csvExit);
        string[] rows = Lines(csv);
        Assert.Equal("kind,dataset,sequence,line,record,field,reason", rows[0]);
        Assert.Equal(records.Count, rows.Length - 1);
        Assert.Contains(rows, r => r.StartsWith("rejected,gl-actuals,", StringComparison.Ordinal) && r.Contains(",Cost Center,", StringComparison.Ordinal));

        Assert.Equal(ExitCodes.Ok, jsonExit);
        using JsonDocument doc = JsonDocument.Parse(json);
        Assert.Equal(s.Good, doc.RootElement.GetProperty("run").GetProperty("runId").GetString());
        Assert.True(doc.RootElement.GetProperty("datasets").GetArrayLength() >= 3);
        Assert.All(doc.RootElement.GetProperty("records").EnumerateArray(), r => Assert.Equal("failed", r.GetProperty("kind").GetString()));
        Assert.Equal(records.Count(r => r.Kind == RecordKinds.Failed), doc.RootElement.GetProperty("records").GetArrayLength());
    }

    [Theory]
    [InlineData("runs show no-such-run", ExitCodes.NotFound, "No run with id 'no-such-run' exists.")]
    [InlineData("runs audit abc:actuals:req-none", ExitCodes.NotFound, "Connection 'abc' has no audited run 'abc:actuals:req-none'.")]
    [InlineData("runs rewind no-such-run", ExitCodes.NotFound, "No run with id 'no-such-run' exists.")]
    [InlineData("run actuals --connection nope", ExitCodes.NotFound, "No connection 'nope' is configured")]
    public async Task UnknownRunOrConnection_NotFoundExitCode_MessageOnly(string commandLine, int code, string message)
    {
        (int exit, string output, string errors) = await fixture.ConnectorAsync(commandLine.Split(' '));

        Assert.True(exit == code, $"exit {exit}\n{output}\n{errors}");
        Assert.Contains(message, errors, StringComparison.Ordinal);
        CommandLineTests.AssertNoStackTrace(output + errors);
    }

    private static void AssertLine(string pattern, string output)
        => Assert.True(Regex.IsMatch(output, pattern), $"No line matches {pattern} in:\n{output}");

    private static string Money(decimal value) => Regex.Escape(value.ToString("#,##0.00", System.Globalization.CultureInfo.InvariantCulture));

    private static string[] Lines(string text) => [.. text.Split('\n').Select(l => l.TrimEnd('\r', ' ')).Where(l => l.Length > 0)];

    private static string RunIdOf(string line) => RunId().Match(line).Value;

    [GeneratedRegex(@"\S+:actuals:\S+")]
    private static partial Regex RunId();

    public sealed class Fixture : ConnectorFlowFixture
    {
        private Task<Scenario>? scenario;

        /// <summary>Runs the scenario once for the class: the ABC run with rejections and failures, then the failing run.</summary>
        public Task<Scenario> ScenarioAsync() => this.scenario ??= this.RunScenarioAsync();

        /// <summary>Runs the <c>connector</c> program against this fixture's task hub and tables.</summary>
        public async Task<(int Exit, string Output, string Errors)> ConnectorAsync(params string[] args)
            => await CommandProcess.RunAsync("connector.dll", [.. args, .. this.HubArguments()]);

        public IEnumerable<string> HubArguments()
        {
            yield return "--storage";
            yield return this.Environment.StorageConnectionString;
            yield return "--taskhub";
            yield return this.TaskHub;
            yield return "--Connector:Storage:TablePrefix";
            yield return this.TablePrefix;
            yield return "--Connector:Storage:StagingContainer";
            yield return this.StagingContainer;
        }

        protected override LocalEnvironmentOptions EnvironmentOptions(string storage)
            => WithoutNewCostCentersOrVendors(storage);

        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
        {
            ConnectionOptions bad = environment.Connection("bad", "ABC", "Department");
            bad.Actuals.Imports.Accounts = "Accounts from Nowhere";
            return [environment.Connection("abc", "ABC", "Department"), bad];
        }

        private async Task<Scenario> RunScenarioAsync()
        {
            // The model knows every department but the last, so rows on it are rejected before upload.
            var abc = this.Environment.Sage.Company("ABC");
            string[] departments = [.. abc.GetSubAccounts(3, null, int.MaxValue).Select(d => d.Code.Trim()).Distinct()];
            foreach (string department in departments[..^1])
            {
                this.Environment.Anaplan.DefaultModel.AddListItem("Cost Centers", department, $"Department {department}");
            }

            ActualsRunSummary good = await this.RunActualsAsync("abc");
            OrchestrationMetadata failed = await this.RunActualsToEndAsync("bad");
            Assert.Equal(OrchestrationRuntimeStatus.Failed, failed.RuntimeStatus);
            return new Scenario(good.RunId, failed.InstanceId);
        }

        public sealed record Scenario(string Good, string Failed);
    }
}
