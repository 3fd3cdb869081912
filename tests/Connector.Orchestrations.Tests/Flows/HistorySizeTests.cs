using Connector.Agent.Backends.Simulated;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Operations;
using Connector.Local.Hosting;
using Connector.Testing;
using DurableTask.AzureStorage;
using DurableTask.Core.History;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Connector.Orchestrations.Tests.Flows;

/// <summary>
/// Orchestration history carries references, never rows: a run moving a hundred times more GL rows writes the same
/// amount of history (measured over the run and all its sub-orchestrations).
/// </summary>
[StartEarly(1)]
public sealed class HistorySizeTests(HistorySizeTests.Fixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<HistorySizeTests.Fixture>
{
    [Fact]
    public async Task HistorySize_DoesNotGrowWithRowCount()
    {
        // LNG: an 8-character main account leaves room for a large chart; its fiscal year 2026 runs July 2025 – June 2026.
        var fiscal2026 = new ActualsRunRequest("2026", 1, 12);
        Task<ActualsRunSummary> small = fixture.Small.RunActualsAsync("lng", fiscal2026);
        Task<ActualsRunSummary> large = fixture.Large.RunActualsAsync("lng", fiscal2026, TimeSpan.FromMinutes(8));
        ActualsRunSummary[] runs = await Task.WhenAll(small, large);

        long smallRows = runs[0].Datasets.Single(d => d.Dataset == Datasets.GlActuals).Staged;
        long largeRows = runs[1].Datasets.Single(d => d.Dataset == Datasets.GlActuals).Staged;
        Assert.InRange(smallRows, 500, 2_000);
        Assert.True(largeRows >= 60 * smallRows, $"the large run staged {largeRows} GL rows, the small one {smallRows}");

        long smallHistory = await HistoryBytesAsync(fixture.Small, runs[0].RunId);
        long largeHistory = await HistoryBytesAsync(fixture.Large, runs[1].RunId);
        output.WriteLine($"history: {smallHistory} bytes for {smallRows} GL rows; {largeHistory} bytes for {largeRows} GL rows");
        Assert.True(
            largeHistory <= smallHistory * 1.05,
            $"history: {smallHistory} bytes for {smallRows} GL rows, {largeHistory} bytes for {largeRows} GL rows");
    }

    /// <summary>
    /// Bytes of history that carry data, over the run and all its sub-orchestrations. Polling a task to its end adds
    /// timer and status events in proportion to how long the task took (time, not rows), and every episode adds
    /// fixed-size engine markers; both are left out so the measure answers one question: do rows reach the history?
    /// </summary>
    private static async Task<long> HistoryBytesAsync(ConnectorFlowFixture fixture, string runId)
    {
        IReadOnlyList<RunHistoryEvent> history = await RunHistory.ReadAsync(fixture.Services.GetRequiredService<AzureStorageOrchestrationService>(), fixture.Client, runId);
        // The run, alignment and its two list loads, and the three dataset loads (the lists' members are read by an activity).
        string[] expected = [runId, .. SubRuns.Select(s => $"{runId}|{s}")];
        Assert.Subset(history.Select(e => e.InstanceId).ToHashSet(StringComparer.Ordinal), expected.ToHashSet(StringComparer.Ordinal));
        var polls = history.Where(e => e.Type == EventType.TaskScheduled && e.Name == nameof(Connector.Orchestrations.Flows.Anaplan.GetAnaplanTaskStatusActivity))
            .Select(e => (e.InstanceId, e.EventId)).ToHashSet();
        return history
            .Where(e => e.Type is not (EventType.TimerCreated or EventType.TimerFired or EventType.OrchestratorStarted or EventType.OrchestratorCompleted))
            .Where(e => !polls.Contains((e.InstanceId, e.Type == EventType.TaskCompleted ? e.ScheduledId ?? -1 : e.EventId)))
            .Sum(e => (long)e.Bytes);
    }

    private static readonly string[] SubRuns = ["dimensions", "dimensions|accounts", "dimensions|cost-centers", "vendors", "gl-actuals", "ap-actuals"];

    public sealed class Fixture : IAsyncLifetime
    {
        public Company Small { get; } = new(Scale(2_000));

        public Company Large { get; } = new(Scale(240_000));

        private static SimulatedScale Scale(int periodBalanceRows)
            => SimulatedScale.ForRows(Lng, periodBalanceRows, apInvoices: 600, LocalEnvironment.SageToday.UtcDateTime);

        public Task InitializeAsync() => Task.WhenAll(this.Small.InitializeAsync(), this.Large.InitializeAsync());

        public Task DisposeAsync() => Task.WhenAll(this.Small.DisposeAsync(), this.Large.DisposeAsync());
    }

    public sealed class Company(SimulatedScale scale) : ConnectorFlowFixture
    {
        protected override LocalEnvironmentOptions EnvironmentOptions(string storage)
            => new() { StorageConnectionString = storage, Scale = scale, Companies = [Lng] };

        protected override IReadOnlyList<ConnectionOptions> Connections(LocalEnvironment environment)
            => [environment.Connection("lng", "LNG", "Location")];
    }

    private static CompanyProfile Lng => CompanyProfile.BuiltIn.Single(p => p.Code == "LNG");
}
