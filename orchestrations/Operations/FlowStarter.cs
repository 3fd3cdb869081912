using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Scheduling;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace Connector.Orchestrations.Operations;

/// <summary>An on-demand request for an actuals run.</summary>
public sealed record ActualsRunRequest(string? FiscalYear = null, int? FromPeriod = null, int? ToPeriod = null, string? RequestKey = null, bool FullResync = false);

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
    /// <exception cref="KeyNotFoundException">No such connection.</exception>
    /// <exception cref="InvalidOperationException">The flow is disabled for the connection.</exception>
    /// <exception cref="ArgumentException">The period range or request key is malformed.</exception>
    public virtual Task<StartRunResult> StartActualsAsync(string connectionId, string trigger, ActualsRunRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ConnectionOptions connection = options.CurrentValue.Get(connectionId);
        if (!connection.Actuals.Enabled)
        {
            throw new InvalidOperationException($"The actuals flow is disabled for connection '{connection.Id}' (Actuals:Enabled).");
        }

        if (request.FiscalYear is null && (request.FromPeriod is not null || request.ToPeriod is not null))
        {
            throw new ArgumentException("A period range needs its fiscal year.");
        }

        if (request.FromPeriod is < 1 or > 13 || request.ToPeriod is < 1 or > 13 || request.FromPeriod > request.ToPeriod)
        {
            throw new ArgumentException($"Periods {request.FromPeriod}–{request.ToPeriod} are not a valid range (1–13, from ≤ to).");
        }

        string id = ScheduleEvaluator.OnDemandRunId(connection.Id, ScheduleEvaluator.Flows.Actuals, request.RequestKey, time.GetUtcNow());
        return this.Runs.StartAsync(
            nameof(ActualsSyncOrchestrator),
            id,
            new ActualsRunInput(connection.Id, trigger, request.FiscalYear, request.FromPeriod, request.ToPeriod, request.FullResync),
            cancellationToken);
    }

    /// <summary>Starts every scheduled run that is due (a no-op for slots already started).</summary>
    public virtual async Task<IReadOnlyList<StartRunResult>> StartDueAsync(CancellationToken cancellationToken = default)
    {
        var started = new List<StartRunResult>();
        foreach (DueRun due in ScheduleEvaluator.DueRuns(options.CurrentValue, time.GetUtcNow(), CatchUp))
        {
            object input = due.Flow switch
            {
                ScheduleEvaluator.Flows.Actuals => new ActualsRunInput(due.ConnectionId, "schedule"),
                _ => this.ScheduledInput(due),
            };
            string orchestrator = due.Flow == ScheduleEvaluator.Flows.Actuals ? nameof(ActualsSyncOrchestrator) : this.ScheduledOrchestrator(due);
            started.Add(await this.Runs.StartAsync(orchestrator, due.RunId, input, cancellationToken));
        }

        return started;
    }

    /// <summary>The orchestrator of a scheduled flow other than actuals.</summary>
    protected virtual string ScheduledOrchestrator(DueRun due) => throw new NotSupportedException($"Flow '{due.Flow}' cannot be scheduled.");

    /// <summary>The input of a scheduled flow other than actuals.</summary>
    protected virtual object ScheduledInput(DueRun due) => throw new NotSupportedException($"Flow '{due.Flow}' cannot be scheduled.");
}
