using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Scheduling;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace Connector.Orchestrations.Operations;

/// <summary>An on-demand request for an actuals run.</summary>
public sealed record ActualsRunRequest(string? FiscalYear = null, int? FromPeriod = null, int? ToPeriod = null, string? RequestKey = null, bool FullResync = false);

/// <summary>An on-demand request for a budgets run (Anaplan → Sage).</summary>
public sealed record BudgetRunRequest(string? Version = null, string? FiscalYear = null, int? FromPeriod = null, int? ToPeriod = null, bool DryRun = false, string? RequestKey = null);

/// <summary>
/// Starts the connector's flows: on demand (HTTP, CLI) and from the schedule tick. Instance ids are deterministic per
/// connection and schedule slot (or per request key), so a duplicated trigger finds the existing run.
/// </summary>
public class FlowStarter(DurableTaskClient client, IOptionsMonitor<ConnectorOptions> options, TimeProvider time)
{
    /// <summary>How far back a missed schedule slot still runs.</summary>
    public static readonly TimeSpan CatchUp = TimeSpan.FromHours(2);

    private RunOperations Runs => new(client, time);

    /// <summary>Starts an actuals run now.</summary>
    /// <exception cref="ConnectionNotFoundException">No such connection.</exception>
    /// <exception cref="FlowDisabledException">The flow is disabled for the connection.</exception>
    /// <exception cref="ConnectorValidationException">The period range or request key is malformed.</exception>
    public virtual Task<StartRunResult> StartActualsAsync(string connectionId, string trigger, ActualsRunRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ConnectionOptions connection = options.CurrentValue.Get(connectionId);
        if (!connection.Actuals.Enabled)
        {
            throw new FlowDisabledException(connection.Id, ScheduleEvaluator.Flows.Actuals, "Actuals:Enabled");
        }

        ValidateRange(request.FiscalYear, request.FromPeriod, request.ToPeriod);

        string id = ScheduleEvaluator.OnDemandRunId(connection.Id, ScheduleEvaluator.Flows.Actuals, request.RequestKey, time.GetUtcNow());
        return this.Runs.StartAsync(
            nameof(ActualsSyncOrchestrator),
            id,
            new ActualsRunInput(connection.Id, trigger, request.FiscalYear, request.FromPeriod, request.ToPeriod, request.FullResync),
            cancellationToken);
    }

    /// <summary>Starts a budgets run now (or a dry run that only proposes the entries).</summary>
    /// <exception cref="ConnectionNotFoundException">No such connection.</exception>
    /// <exception cref="FlowDisabledException">The flow is disabled for the connection.</exception>
    /// <exception cref="ConnectorValidationException">The period range or request key is malformed.</exception>
    public virtual Task<StartRunResult> StartBudgetsAsync(string connectionId, string trigger, BudgetRunRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ConnectionOptions connection = options.CurrentValue.Get(connectionId);
        if (!connection.Budgets.Enabled)
        {
            throw new FlowDisabledException(connection.Id, ScheduleEvaluator.Flows.Budgets, "Budgets:Enabled");
        }

        ValidateRange(request.FiscalYear, request.FromPeriod, request.ToPeriod);
        string flow = request.DryRun ? $"{ScheduleEvaluator.Flows.Budgets}-dryrun" : ScheduleEvaluator.Flows.Budgets;
        string id = ScheduleEvaluator.OnDemandRunId(connection.Id, flow, request.RequestKey, time.GetUtcNow());
        return this.Runs.StartAsync(
            nameof(BudgetSyncOrchestrator),
            id,
            new BudgetRunInput(connection.Id, trigger, request.Version, request.FiscalYear, request.FromPeriod, request.ToPeriod, request.DryRun),
            cancellationToken);
    }

    /// <summary>Starts every scheduled run that is due (a no-op for slots already started).</summary>
    public virtual async Task<IReadOnlyList<StartRunResult>> StartDueAsync(CancellationToken cancellationToken = default)
    {
        var started = new List<StartRunResult>();
        foreach (DueRun due in ScheduleEvaluator.DueRuns(options.CurrentValue, time.GetUtcNow(), CatchUp))
        {
            (string orchestrator, object input) = due.Flow switch
            {
                ScheduleEvaluator.Flows.Actuals => (nameof(ActualsSyncOrchestrator), (object)new ActualsRunInput(due.ConnectionId, "schedule")),
                ScheduleEvaluator.Flows.Budgets => (nameof(BudgetSyncOrchestrator), new BudgetRunInput(due.ConnectionId, "schedule")),
                _ => throw new NotSupportedException($"Flow '{due.Flow}' cannot be scheduled."),
            };
            started.Add(await this.Runs.StartAsync(orchestrator, due.RunId, input, cancellationToken));
        }

        return started;
    }

    private static void ValidateRange(string? fiscalYear, int? fromPeriod, int? toPeriod)
    {
        if (fiscalYear is null && (fromPeriod is not null || toPeriod is not null))
        {
            throw new ConnectorValidationException("fiscalYear", "A period range needs its fiscal year.");
        }

        if (fromPeriod is < 1 or > 13 || toPeriod is < 1 or > 13 || fromPeriod > toPeriod)
        {
            throw new ConnectorValidationException(
                fromPeriod is < 1 or > 13 || fromPeriod > toPeriod ? "fromPeriod" : "toPeriod",
                $"Periods {fromPeriod}–{toPeriod} are not a valid range (1–13, from ≤ to).");
        }
    }
}
