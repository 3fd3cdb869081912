using System.Text.Json;
using Connector.Emulators.Anaplan.Model;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Flows.Anaplan;
using Connector.Orchestrations.Storage;
using Connector.Testing;
using Microsoft.Extensions.DependencyInjection;
using TaskStatus = Connector.Orchestrations.Flows.Anaplan.TaskStatus;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>
/// The first status check of a task, learned per action on the real flow (durable host and emulator): a run whose imports
/// were found done at their first check makes the next run check the same imports sooner; an import that runs longer than
/// learned is found running, polled to completion on the cadence, and makes the next run check it later. Read from the
/// tasks each run recorded, the emulator's request log and the learned lengths in Table storage.
/// </summary>
public sealed class FirstCheckLearningTests(FirstCheckLearningTests.Fixture fixture) : IClassFixture<FirstCheckLearningTests.Fixture>
{
    [Fact]
    public async Task SecondRun_ImportsFoundDoneAtTheirFirstCheck_AreCheckedSooner()
    {
        ActualsRunSummary first = await fixture.RunActualsAsync("abc");
        ActualsRunSummary second = await fixture.RunActualsAsync("abc");
        Dictionary<string, (TaskStatus Task, long Rows)> before = await this.ImportsAsync(first.RunId);
        Dictionary<string, (TaskStatus Task, long Rows)> after = await this.ImportsAsync(second.RunId);
        Dictionary<string, List<EmulatorRequest>> checks = this.StatusChecks();

        int compared = 0;
        foreach ((string step, (TaskStatus task, long rows)) in before)
        {
            // Found done at its first check (one status request), then loaded again with as many rows.
            if (checks[task.TaskId].Count != 1 || !after.TryGetValue(step, out var again) || again.Rows != rows
                || task.FirstCheck is not { } wait || wait <= FirstCheckEstimator.ShortestWait)
            {
                continue;
            }

            compared++;
            Assert.NotNull(again.Task.FirstCheck);
            Assert.True(again.Task.FirstCheck < wait, $"{step}: first checked after {wait} in the first run, after {again.Task.FirstCheck} in the second");
            Assert.Single(checks[again.Task.TaskId]);
        }

        Assert.True(compared >= 2, $"{compared} imports found done at their first check and loaded again with the same rows");
    }

    [Fact]
    public async Task ImportSlowerThanLearned_FoundRunning_PolledToCompletionOnTheCadence_NextRunChecksItLater()
    {
        EmulatedModel model = fixture.Environment.Anaplan.DefaultModel;
        await fixture.RunActualsAsync("abc"); // something learned about every import
        ActualsRunSummary held;
        using (IDisposable hold = model.HoldTasks(fixture.GlImport))
        {
            Task<ActualsRunSummary> running = fixture.RunActualsAsync("abc");
            DateTime until = DateTime.UtcNow.AddMinutes(2);
            while (this.HeldTask(model) is not { } task || this.StatusChecks()[task.TaskId].Count < 2)
            {
                Assert.True(DateTime.UtcNow < until, "the held GL import was not checked twice within 2 minutes");
                Assert.False(running.IsCompleted, "the run ended while its GL import was held");
                await Task.Delay(100);
            }

            hold.Dispose();
            held = await running;
        }

        Dictionary<string, (TaskStatus Task, long Rows)> imports = await this.ImportsAsync(held.RunId);
        (TaskStatus gl, long rows) = imports.Single(i => i.Key.StartsWith(Datasets.GlActuals, StringComparison.Ordinal)).Value;
        LoadDatasetResult load = (await this.LoadsAsync(held.RunId)).Single(l => l.Dataset == Datasets.GlActuals);
        Assert.Equal("COMPLETE", load.State);
        Assert.True(load.Successful);

        // The first check found it running; the next checks came on the cadence, the last found it done.
        List<EmulatorRequest> own = this.StatusChecks()[gl.TaskId];
        Assert.True(own.Count >= 3, $"{own.Count} checks of the held import");
        Assert.All(own.Zip(own.Skip(1)), pair => Assert.True(
            pair.Second.ReceivedAt - pair.First.CompletedAt >= fixture.Interval, $"checked again {pair.Second.ReceivedAt - pair.First.CompletedAt} after the previous check"));
        LearnedTaskDuration? learned = await fixture.Services.GetRequiredService<TaskDurationStore>()
            .GetAsync(model.WorkspaceId, model.Id, AnaplanNames.Import, gl.ActionId);
        Assert.NotNull(learned);
        Assert.True(learned.Misses >= 1, "the first check that found the held import running was not learned");

        // The next run gives the same import longer before its first check.
        ActualsRunSummary next = await fixture.RunActualsAsync("abc");
        (TaskStatus glNext, long rowsNext) = (await this.ImportsAsync(next.RunId)).Single(i => i.Key.StartsWith(Datasets.GlActuals, StringComparison.Ordinal)).Value;
        Assert.Equal(rows, rowsNext);
        Assert.True(glNext.FirstCheck > gl.FirstCheck, $"first checked after {gl.FirstCheck} when held, after {glNext.FirstCheck} in the next run");

        // The end state, after the held run and after the next: what Anaplan holds equals what Sage sent, read back.
        foreach (ActualsRunSummary run in new[] { held, next })
        {
            Reconciliation? readBack = run.Datasets.Single(d => d.Dataset == Datasets.GlActuals).Reconciliation;
            Assert.Equal(ReconciliationStatuses.Reconciled, readBack?.Status);
            Assert.Equal(0, readBack!.Differences);
        }
    }

    private TaskSnapshot? HeldTask(EmulatedModel model)
        => model.GetTasks().LastOrDefault(t => t.State is "IN_PROGRESS" && t.ActionType.StartsWith("import", StringComparison.OrdinalIgnoreCase));

    /// <summary>The import tasks a run started (step → the task as the start recorded it, and the rows its load read).</summary>
    private async Task<Dictionary<string, (TaskStatus Task, long Rows)>> ImportsAsync(string runId)
    {
        IReadOnlyDictionary<string, RecordedStep> steps = await fixture.Steps.GetAsync(runId);
        var imports = new Dictionary<string, (TaskStatus, long)>(StringComparer.Ordinal);
        foreach ((string key, RecordedStep step) in steps)
        {
            if (key.StartsWith("task:", StringComparison.Ordinal) && !key.StartsWith("task:export:", StringComparison.Ordinal)
                && steps.TryGetValue("load:" + key["task:".Length..], out RecordedStep? load))
            {
                imports[key["task:".Length..]] = (
                    JsonSerializer.Deserialize<TaskStatus>(step.Json, StepResultStore.Json)!,
                    JsonSerializer.Deserialize<LoadDatasetResult>(load.Json, StepResultStore.Json)!.Total);
            }
        }

        return imports;
    }

    private async Task<List<LoadDatasetResult>> LoadsAsync(string runId)
        => [.. (await fixture.Steps.GetAsync(runId)).Where(s => s.Key.StartsWith("load:", StringComparison.Ordinal))
            .Select(s => JsonSerializer.Deserialize<LoadDatasetResult>(s.Value.Json, StepResultStore.Json)!)];

    private Dictionary<string, List<EmulatorRequest>> StatusChecks()
    {
        List<string> taskIds = [.. fixture.Environment.Anaplan.DefaultModel.GetTasks().Select(t => t.TaskId)];
        IReadOnlyList<EmulatorRequest> requests = fixture.Environment.Anaplan.State.Requests.Snapshot();
        return taskIds.ToDictionary(id => id, id => requests.Where(r => r.Method == "GET" && r.Path.EndsWith("/tasks/" + id, StringComparison.Ordinal)).OrderBy(r => r.Sequence).ToList());
    }

    public sealed class Fixture : ConnectorFlowFixture
    {
        /// <summary>Gets the GL import's name in the connection's settings.</summary>
        public string GlImport { get; private set; } = string.Empty;

        /// <summary>Gets the connection's first-minute poll interval.</summary>
        public TimeSpan Interval { get; private set; }

        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
        {
            ConnectionOptions abc = environment.Connection("abc", "ABC", "Department");
            this.GlImport = abc.Actuals.Imports.GlActuals;
            this.Interval = abc.Anaplan.PollInterval;
            return [abc];
        }
    }
}
