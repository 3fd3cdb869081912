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
/// A small run at the production poll interval (5 s) checks each Anaplan task soon after starting it instead of waiting
/// a full interval first: read from the run's durable history (timers and status checks) and the emulator's request log.
/// </summary>
public sealed class PollingCadenceTests(PollingCadenceTests.Fixture fixture) : IClassFixture<PollingCadenceTests.Fixture>
{
    private static readonly TimeSpan ProductionInterval = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task SmallRun_FirstStatusCheckOfEveryTask_ComesBeforeOneInterval()
    {
        ActualsRunSummary run = await fixture.RunActualsAsync("abc");
        IReadOnlyList<RunHistoryEvent> history = await RunHistory.ReadAsync(fixture.Services.GetRequiredService<AzureStorageOrchestrationService>(), fixture.Client, run.RunId);

        int tasks = 0, checks = 0;
        foreach (IGrouping<string, RunHistoryEvent> instance in history.GroupBy(e => e.InstanceId))
        {
            List<RunHistoryEvent> events = [.. instance];
            int start = events.FindIndex(e => e.Type == EventType.TaskScheduled && e.Name == nameof(StartAnaplanTaskActivity));
            if (start < 0)
            {
                continue;
            }

            tasks++;
            int timer = events.FindIndex(start, e => e.Type == EventType.TimerCreated);
            Assert.True(timer > start, $"{instance.Key}: no timer after the task started");
            DateTime episode = events.Take(timer).Last(e => e.Type == EventType.OrchestratorStarted).Timestamp;
            TimeSpan firstWait = events[timer].FireAt!.Value - episode;
            Assert.True(firstWait < ProductionInterval, $"{instance.Key}: the first status check waited for a {firstWait} timer");
            Assert.Equal(AnaplanPolling.TimerBeforeCheck(0, TimeSpan.Zero, ProductionInterval), firstWait);

            // Every status check follows one timer, none comes without.
            int statusChecks = events.Count(e => e.Type == EventType.TaskScheduled && e.Name == nameof(GetAnaplanTaskStatusActivity));
            Assert.Equal(events.Count(e => e.Type == EventType.TimerCreated), statusChecks);
            checks += statusChecks;
        }

        // Accounts and cost centres (imports and the exports that read them back), vendors, GL, AP.
        Assert.True(tasks >= 5, $"{tasks} Anaplan tasks in the run");

        // The emulator saw exactly those checks: one GET of a task's status per check in the history.
        IEnumerable<string> taskIds = fixture.Environment.Anaplan.DefaultModel.GetTasks().Select(t => t.TaskId);
        int statusGets = fixture.Environment.Anaplan.State.Requests.Snapshot()
            .Count(r => r.Method == "GET" && taskIds.Any(id => r.Path.EndsWith("/tasks/" + id, StringComparison.Ordinal)));
        Assert.Equal(checks, statusGets);
    }

    public sealed class Fixture : ConnectorFlowFixture
    {
        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
        {
            ConnectionOptions abc = environment.Connection("abc", "ABC", "Department");
            abc.Anaplan.PollInterval = ProductionInterval;
            return [abc];
        }
    }
}
