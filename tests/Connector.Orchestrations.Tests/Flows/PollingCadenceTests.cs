using Connector.Emulators.Anaplan.Model;
using Connector.Local.Demo;
using Connector.Local.Hosting;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Flows.Anaplan;
using Connector.Testing;
using DurableTask.AzureStorage;
using DurableTask.Core.History;
using Microsoft.Extensions.DependencyInjection;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>
/// A run at the production poll interval (5 s) checks each Anaplan task soon after starting it (one second before anything
/// is learned about the action, then what the action's earlier tasks taught, never sooner than 0.2 s), with no durable
/// timer in between (a timer that short fires at once, and a longer one up to a second late), and a task that runs on is
/// checked at the documented cadence, never sooner: read from the run's durable history and the emulator's request log.
/// </summary>
public sealed class PollingCadenceTests(PollingCadenceTests.Fixture fixture) : IClassFixture<PollingCadenceTests.Fixture>
{
    private static readonly TimeSpan ProductionInterval = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Run_FirstCheckSoonAfterTheStartWithoutATimer_LongTaskCheckedNoSoonerThanTheInterval()
    {
        EmulatedModel model = fixture.Environment.Anaplan.DefaultModel;
        IDisposable hold = model.HoldTasks(fixture.GlImport);
        Task<ActualsRunSummary> running = fixture.RunActualsAsync("abc");
        try
        {
            // The GL import is held running until it has been checked three times (the first check and two at the cadence).
            DateTime until = DateTime.UtcNow.AddMinutes(3);
            while (this.StatusChecks(model).Values.All(c => c.Count < 3))
            {
                Assert.True(DateTime.UtcNow < until, "the held GL import was not checked three times within 3 minutes");
                Assert.False(running.IsCompleted, "the run ended while its GL import was held");
                await Task.Delay(100);
            }
        }
        finally
        {
            hold.Dispose();
        }

        ActualsRunSummary run = await running;
        IReadOnlyList<RunHistoryEvent> history = await RunHistory.ReadAsync(fixture.Services.GetRequiredService<AzureStorageOrchestrationService>(), fixture.Client, run.RunId);

        // In the history: no timer between a task's start and its first status check; every later timer whole seconds, at
        // least the interval (the status activity waits out what an early timer left).
        int tasks = 0;
        foreach (IGrouping<string, RunHistoryEvent> instance in history.GroupBy(e => e.InstanceId))
        {
            List<RunHistoryEvent> events = [.. instance];
            int start = events.FindIndex(e => e.Type == EventType.TaskScheduled && e.Name == nameof(StartAnaplanTaskActivity));
            if (start < 0)
            {
                continue;
            }

            tasks++;
            int firstCheck = events.FindIndex(start, e => e.Type == EventType.TaskScheduled && e.Name == nameof(GetAnaplanTaskStatusActivity));
            Assert.True(firstCheck > start, $"{instance.Key}: no status check after the task started");
            Assert.DoesNotContain(events[start..firstCheck], e => e.Type == EventType.TimerCreated);
            foreach (int timer in Enumerable.Range(0, events.Count).Where(i => events[i].Type == EventType.TimerCreated))
            {
                DateTime episode = events.Take(timer).Last(e => e.Type == EventType.OrchestratorStarted).Timestamp;
                TimeSpan length = events[timer].FireAt!.Value - episode;
                Assert.True(length >= ProductionInterval && length.Ticks % TimeSpan.TicksPerSecond == 0, $"{instance.Key}: a {length} timer");
            }
        }

        // Accounts and cost centres (imports and the exports that read them back), vendors, GL, AP.
        Assert.True(tasks >= 5, $"{tasks} Anaplan tasks in the run");

        // At the emulator: each task's first check a second or more after its start, and before one interval had passed
        // since; each next check of a task the interval or more after the answer to the previous one.
        Dictionary<string, List<EmulatorRequest>> checks = this.StatusChecks(model);
        Assert.Contains(checks.Values, c => c.Count >= 3);
        foreach (TaskSnapshot task in model.GetTasks())
        {
            List<EmulatorRequest> own = checks.GetValueOrDefault(task.TaskId) ?? [];
            Assert.NotEmpty(own);
            Assert.True(own[0].ReceivedAt - task.CreatedAt >= FirstCheckEstimator.ShortestWait, $"task {task.TaskId} first checked {own[0].ReceivedAt - task.CreatedAt} after its start");
            Assert.All(own.Zip(own.Skip(1)), pair => Assert.True(
                pair.Second.ReceivedAt - pair.First.CompletedAt >= ProductionInterval, $"task {task.TaskId} checked again {pair.Second.ReceivedAt - pair.First.CompletedAt} after the previous check"));
        }

        // The emulator saw exactly the checks in the history: one GET of a task's status per check.
        Assert.Equal(history.Count(e => e.Type == EventType.TaskScheduled && e.Name == nameof(GetAnaplanTaskStatusActivity)), checks.Values.Sum(c => c.Count));
    }

    private Dictionary<string, List<EmulatorRequest>> StatusChecks(EmulatedModel model)
    {
        List<string> taskIds = [.. model.GetTasks().Select(t => t.TaskId)];
        IReadOnlyList<EmulatorRequest> requests = fixture.Environment.Anaplan.State.Requests.Snapshot();
        return taskIds.ToDictionary(id => id, id => requests.Where(r => r.Method == "GET" && r.Path.EndsWith("/tasks/" + id, StringComparison.Ordinal)).OrderBy(r => r.Sequence).ToList());
    }

    public sealed class Fixture : ConnectorFlowFixture
    {
        /// <summary>Gets the GL import's name in the connection's settings.</summary>
        public string GlImport { get; private set; } = string.Empty;

        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
        {
            ConnectionOptions abc = environment.Connection("abc", "ABC", "Department");
            abc.Anaplan.PollInterval = ProductionInterval;
            this.GlImport = abc.Actuals.Imports.GlActuals;
            return [abc];
        }
    }
}
