using System.Data.Common;
using Azure.Data.Tables;
using Connector.Local.Demo;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Storage;
using Connector.Orchestrations.Tests.Flows;
using Connector.Testing;
using Connector.Tests.Shared;
using DurableTask.Core.History;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Connector.Orchestrations.Tests.Recovery;

/// <summary>
/// What a run keeps for the next ones only as a hint (<see cref="ConnectionStateStore"/>: what the last alignment refused;
/// <see cref="TaskDurationStore"/>: how long each Anaplan action's tasks take) must not fail a run when its table cannot
/// be reached. The two stores reach Table storage through a <see cref="TcpGate"/> (every other table and blob directly):
/// with the gate down their calls fail as on a network outage, after the storage client's own retries. The run completes,
/// the warnings (3200, 3109) are logged without any secret, nothing is recorded; with the gate up again the next run does
/// what a run does without a predecessor's hint (GL staged before the alignment, then discarded), records it, and the run
/// after that uses it.
/// </summary>
[StartEarly(1)]
public sealed class StateStorageFaultTests(StateStorageFaultTests.Fixture fixture) : IClassFixture<StateStorageFaultTests.Fixture>
{
    private const string Connection = "state-outage";

    [Fact]
    public async Task StateTablesUnreachable_RunCompletes_WarnsWithoutSecrets_NextRunsRecordAndUseTheState()
    {
        (string refused, var expected) = fixture.PrepareModel();
        int rejectedCells = expected.Count(c => c.Key.Account == refused);

        // Both stores' table unreachable for a whole run: its start cannot read the last alignment's refusals, its
        // alignment cannot record its own, and no Anaplan task's length can be read or learned.
        fixture.TableGate.Down = true;
        ActualsRunSummary outage;
        try
        {
            outage = await fixture.RunActualsAsync(Connection, timeout: TimeSpan.FromMinutes(8));
        }
        finally
        {
            fixture.TableGate.Down = false;
        }

        Assert.True(fixture.TableGate.Refused > 0, "no call reached the gate while it was down");
        await this.AssertLoadedAsync(outage, refused, expected);
        await this.AssertSpeculatedAndDiscardedAsync(outage.RunId);
        string[] warnings = [.. fixture.Logs.Lines.Where(l => l.Contains("[3200]", StringComparison.Ordinal) || l.Contains("[3109]", StringComparison.Ordinal))];
        Assert.Contains(warnings, l => l.Contains("[3200]", StringComparison.Ordinal) && l.Contains($"connection {Connection}'s last alignment", StringComparison.Ordinal));
        Assert.True(warnings.Count(l => l.Contains("[3200]", StringComparison.Ordinal)) >= 2, "the read at the run's start and the write after its alignment each warn");
        Assert.Contains(warnings, l => l.Contains("[3109]", StringComparison.Ordinal) && l.Contains("keeps the default timing", StringComparison.Ordinal));
        string[] secrets = await fixture.SecretsAsync();
        var leaks = warnings.SelectMany((line, i) => secrets.Where(s => line.Contains(s, StringComparison.Ordinal)).Select(_ => i)).ToList();
        Assert.True(leaks.Count == 0, $"{leaks.Count} warning line(s) carry a secret");
        Assert.Null(await fixture.RefusedRowAsync());
        Assert.Equal(0, await fixture.LearnedTaskDurationsAsync());

        // The table reachable again: the next run finds nothing recorded, so it does what a connection's first run does
        // (GL staged before the alignment, discarded once the alignment refuses the account), and records what it refused.
        int warned = warnings.Length;
        ActualsRunSummary next = await fixture.RunActualsAsync(Connection, timeout: TimeSpan.FromMinutes(6));

        await this.AssertLoadedAsync(next, refused, expected);
        await this.AssertSpeculatedAndDiscardedAsync(next.RunId);
        TableEntity row = (await fixture.RefusedRowAsync())!;
        Assert.Equal(next.RunId, row.GetString("RunId"));
        Assert.True(row.GetInt32("RefusedByAnaplan") > 0);
        Assert.True(await fixture.LearnedTaskDurationsAsync() > 0, "the run learned no Anaplan task's length");

        // And the run after it reads the refusals: GL is staged once, after the alignment, nothing discarded.
        ActualsRunSummary third = await fixture.RunActualsAsync(Connection, timeout: TimeSpan.FromMinutes(6));

        await this.AssertLoadedAsync(third, refused, expected);
        Assert.Null(new RecordedSteps(await fixture.Steps.GetAsync(third.RunId)).Get<GlSpeculation>(StepKeys.GlSpeculation));
        Assert.DoesNotContain(await fixture.HistoryAsync(third.RunId), e => e.Name == nameof(DiscardProvisionalGlActivity));
        Assert.Equal(warned, fixture.Logs.Lines.Count(l => l.Contains("[3200]", StringComparison.Ordinal) || l.Contains("[3109]", StringComparison.Ordinal)));
        Assert.Equal(rejectedCells, third.Datasets.Single(d => d.Dataset == Datasets.GlActuals).Rejected);
    }

    /// <summary>The run completed with the refused account's rows rejected and audited once each; every other cell equals Sage.</summary>
    private async Task AssertLoadedAsync(
        ActualsRunSummary run, string refused, Dictionary<(string Account, string CostCenter, string Period), (decimal Debit, decimal Credit, decimal Net)> expected)
    {
        Assert.Equal(RunStatuses.CompletedWithRejections, run.Status);
        var model = SimulatedTruth.ModelGl(fixture.Model, SpeculativeGlTests.RunPeriodCodes);
        SimulatedTruth.AssertSameCells(expected.Where(c => c.Key.Account != refused).ToDictionary(), model);
        SimulatedTruth.AssertSameCells(SimulatedTruth.ApCells(fixture.Environment.Sage.Company("ABC")), SimulatedTruth.ModelAp(fixture.Model));
        DatasetSummary gl = run.Datasets.Single(d => d.Dataset == Datasets.GlActuals);
        Assert.Equal(ReconciliationStatuses.Reconciled, gl.Reconciliation?.Status);
        int rejected = expected.Count(c => c.Key.Account == refused);
        Assert.Equal(rejected, gl.Rejected);
        List<RecordAudit> audited = await fixture.Audit.GetRecordsAsync(run.RunId, Datasets.GlActuals).ToListAsync();
        Assert.Equal(rejected, audited.Count);
        Assert.All(audited, r => Assert.Contains($"account item '{refused}' does not exist in the Anaplan Accounts list", r.Reason, StringComparison.Ordinal));
    }

    /// <summary>The run staged GL before its alignment (as without a predecessor's hint) and discarded it once.</summary>
    private async Task AssertSpeculatedAndDiscardedAsync(string runId)
    {
        Assert.False(new RecordedSteps(await fixture.Steps.GetAsync(runId)).Get<GlSpeculation>(StepKeys.GlSpeculation)?.Confirmed);
        Assert.Single(await fixture.HistoryAsync(runId), e => e.Type == EventType.TaskScheduled && e.Name == nameof(DiscardProvisionalGlActivity));
    }

    public sealed class Fixture : SpeculativeFixture
    {
        private TcpGate? tableGate;

        /// <summary>Gets the gate between the two stores and Table storage.</summary>
        public TcpGate TableGate => this.tableGate ?? throw new InvalidOperationException("The fixture has not started.");

        /// <summary>Gets every line the connector host logged.</summary>
        public CapturingLoggerProvider Logs { get; } = new();

        protected override IEnumerable<string> ConnectionIds => [Connection];

        /// <summary>The connection's alignment row as the stores' table holds it (read directly), or null.</summary>
        public async Task<TableEntity?> RefusedRowAsync()
        {
            Azure.NullableResponse<TableEntity> row = await this.Storage.Table(TableNames.ConnectionState).GetEntityIfExistsAsync<TableEntity>(Connection, "alignment");
            return row.HasValue ? row.Value : null;
        }

        /// <summary>How many actions' task lengths are recorded (read directly).</summary>
        public async Task<int> LearnedTaskDurationsAsync()
            => await this.Storage.Table(TableNames.TaskDurations).QueryAsync<TableEntity>().CountAsync();

        /// <summary>The secrets the host held: the storage account key, the Sage API key, the Anaplan password.</summary>
        public async Task<string[]> SecretsAsync()
        {
            var parts = new DbConnectionStringBuilder { ConnectionString = this.Environment.StorageConnectionString };
            return
            [
                (string)parts["AccountKey"],
                (await this.Environment.Credentials.GetAsync(LocalEnvironment.SageApiKeyReference)).Reveal(),
                (await this.Environment.Credentials.GetAsync(LocalEnvironment.AnaplanPasswordReference)).Reveal(),
            ];
        }

        protected override LocalEnvironmentOptions EnvironmentOptions(string storage)
            => new()
            {
                StorageConnectionString = storage,
                ConfigureAnaplan = ImportsCreatingNoItems("Accounts from Sage"),
            };

        protected override void ConfigureServices(IServiceCollection services)
        {
            // The same storage account, tables and prefix, but the table endpoint reached through the gate.
            string[] parts = this.Environment.StorageConnectionString.Split(';', StringSplitOptions.RemoveEmptyEntries);
            string table = parts.Single(p => p.StartsWith("TableEndpoint=", StringComparison.Ordinal));
            this.tableGate = new TcpGate(new Uri(table["TableEndpoint=".Length..]));
            string through = string.Join(';', parts.Select(p => p == table ? $"TableEndpoint={this.tableGate.Address.ToString().TrimEnd('/')}" : p));
            var gated = new ConnectorStorage(new StorageOptions { ConnectionString = through, StagingContainer = this.StagingContainer, TablePrefix = this.TablePrefix });
            services.AddSingleton(new ConnectionStateStore(gated));
            services.AddSingleton(new TaskDurationStore(gated));
            services.AddLogging(b => b.AddProvider(this.Logs));
        }

        protected override async ValueTask DisposeMoreAsync()
        {
            await base.DisposeMoreAsync();
            if (this.tableGate is not null)
            {
                await this.tableGate.DisposeAsync();
            }
        }
    }
}
