using System.Text.Json;
using Connector.Agent.CommandLine;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Connector.Testing;
using Connector.Tests.Shared;

namespace Connector.Local.Tests;

/// <summary>
/// A budgets run's output carries counts and the first problems only; <c>connector runs show</c> and <c>runs audit
/// --json</c> (the program as its own process) read every entry's result from the blob the output names, so the whole
/// run is readable whatever its size. The run posts 40 entries in batches of 10.
/// </summary>
public sealed class BudgetRunsShowTests(BudgetRunsShowTests.Fixture fixture) : IClassFixture<BudgetRunsShowTests.Fixture>
{
    private const int Entries = 40;

    [Fact]
    public async Task RunsShowAndAudit_ListEveryEntryWithItsResult_FromTheResultsBlob()
    {
        BudgetRunSummary run = await fixture.RunAsync();
        Assert.Equal(RunStatuses.Completed, run.Status);
        Assert.Equal(Entries, run.Posted);
        Assert.Empty(run.FirstProblems);
        IReadOnlyList<EntryResult> results = await fixture.ResultsAsync(run);
        Assert.Equal(Entries, results.Count);
        var inSage = fixture.Environment.Sage.Company("ABC").ListJournalEntries().ToDictionary(e => e.ExternalId, e => e.EntryNo);

        (int exit, string output, string errors) = await fixture.ConnectorAsync("runs", "show", run.RunId);
        Assert.True(exit == ExitCodes.Ok, errors);
        Assert.Contains($"Journal entries ({Entries}, every entry's result from the blob the output names)", output, StringComparison.Ordinal);
        string[] lines = output.Split('\n');
        Assert.All(results, r => Assert.Single(lines, l => l.Contains(r.ExternalId, StringComparison.Ordinal) && l.Contains("posted", StringComparison.Ordinal) && l.Contains(inSage[r.ExternalId], StringComparison.Ordinal)));

        (int jsonExit, string json, string jsonErrors) = await fixture.ConnectorAsync("runs", "show", run.RunId, "--json");
        Assert.True(jsonExit == ExitCodes.Ok, jsonErrors);
        using (JsonDocument doc = JsonDocument.Parse(json))
        {
            JsonElement[] journal = [.. doc.RootElement.GetProperty("journal").EnumerateArray()];
            Assert.Equal(results.Select(r => (r.ExternalId, r.EntryNo)), journal.Select(j => (j.GetProperty("externalId").GetString()!, j.GetProperty("entryNo").GetString())));
            Assert.All(journal, j => Assert.Equal(JournalStatuses.Posted, j.GetProperty("status").GetString()));
        }

        (int auditExit, string audit, string auditErrors) = await fixture.ConnectorAsync("runs", "audit", run.RunId, "--connection", "abc", "--json");
        Assert.True(auditExit == ExitCodes.Ok, auditErrors);
        using JsonDocument auditDoc = JsonDocument.Parse(audit);
        Assert.Equal(results.Select(r => r.ExternalId), auditDoc.RootElement.GetProperty("journal").EnumerateArray().Select(j => j.GetProperty("externalId").GetString()));
    }

    public sealed class Fixture : ConnectorFlowFixture
    {
        private Task<BudgetRunSummary>? run;

        public Task<BudgetRunSummary> RunAsync() => this.run ??= this.PostAsync();

        /// <summary>Runs the <c>connector</c> program against this fixture's task hub, tables and staging.</summary>
        public async Task<(int Exit, string Output, string Errors)> ConnectorAsync(params string[] args)
            => await CommandProcess.RunAsync(
                "connector.dll",
                [.. args, "--storage", this.Environment.StorageConnectionString, "--taskhub", this.TaskHub,
                 "--Connector:Storage:TablePrefix", this.TablePrefix, "--Connector:Storage:StagingContainer", this.StagingContainer]);

        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
        {
            ConnectionOptions abc = environment.Connection("abc", "ABC", "Department");
            abc.Budgets = new BudgetsFlowOptions { Enabled = true, OffsetAccount = "300-00-00", Grouping = "VersionPeriodAccount", PostBatchSize = 10 };
            return [abc];
        }

        private async Task<BudgetRunSummary> PostAsync()
        {
            // One entry per (period, Anaplan account): the first accounts of the chart over the open periods.
            var model = this.Environment.Anaplan.DefaultModel;
            string[] periods = [.. Enumerable.Range(1, 12).Select(p => $"FY2027-P{p:D2}")];
            var pairs = this.Environment.Sage.Company("ABC").GetAccounts(null, int.MaxValue)
                .Where(a => a.Status == "A" && !a.Account.StartsWith("300-", StringComparison.Ordinal))
                .Select(a => a.Account.Trim().Split('-'))
                .GroupBy(s => $"{s[0]}-{s[1]}")
                .Select(g => (Item: g.Key, CostCenter: g.First()[2]))
                .ToList();
            foreach (var (cell, i) in periods.SelectMany(p => pairs.Select(a => (a.Item, a.CostCenter, Period: p))).Take(Entries).Select((c, i) => (c, i)))
            {
                if (model.GetListItems("Accounts").All(x => x.Code != cell.Item))
                {
                    model.AddListItem("Accounts", cell.Item, cell.Item);
                }

                if (model.GetListItems("Cost Centers").All(x => x.Code != cell.CostCenter))
                {
                    model.AddListItem("Cost Centers", cell.CostCenter, cell.CostCenter);
                }

                model.SetCell("Budget", [cell.Item, cell.CostCenter, cell.Period, "Budget"], "Amount", 100d + i);
            }

            model.SetVersionApproved("Budget");
            return await this.RunBudgetsAsync("abc", new BudgetRunRequest());
        }
    }
}
