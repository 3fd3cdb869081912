using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Scheduling;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Connector.Orchestrations.Telemetry;

/// <summary>
/// The connector's own telemetry, the same on Azure Functions and on the local host: one <see cref="Meter"/> and one
/// <see cref="ActivitySource"/> named <see cref="Name"/>, and the <c>RunEnded</c> log line the deployment's alerts read
/// (infra/alerts). Hosts export it with OpenTelemetry (<c>AddMeter(Name)</c>, <c>AddSource(Name)</c>). Tags never carry
/// a secret or a row's content, only ids, names and counts.
/// </summary>
public static partial class ConnectorTelemetry
{
    /// <summary>Name of the meter and of the activity source.</summary>
    public const string Name = "Connector";

    /// <summary>Tag names.</summary>
    public static class Tags
    {
        public const string Connection = "connector.connection";
        public const string Flow = "connector.flow";
        public const string Outcome = "connector.outcome";
        public const string RunId = "connector.run_id";
        public const string Dataset = "connector.dataset";
        public const string Stage = "connector.stage";
        public const string Target = "connector.target";
        public const string Model = "connector.anaplan.model";
        public const string Method = "http.request.method";
        public const string StatusCode = "http.response.status_code";
    }

    private static readonly string? Version = typeof(ConnectorTelemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    private static readonly Meter Meter = new(Name, Version);

    private static readonly Counter<long> Runs = Meter.CreateCounter<long>(
        "connector.runs", "{run}", "Runs that ended, by connection, flow and outcome (the run status).");

    private static readonly Counter<long> DatasetRows = Meter.CreateCounter<long>(
        "connector.dataset.rows", "{row}", "Rows of a dataset by stage (read, staged, accepted, failed, rejected, unchanged, ...).");

    private static readonly Counter<long> Rejections = Meter.CreateCounter<long>(
        "connector.rejections", "{row}", "Records refused before they were sent (an account, cost centre or field the other side cannot take).");

    private static readonly Counter<long> AnaplanRequests = Meter.CreateCounter<long>(
        "connector.anaplan.requests", "{request}", "Calls to the Anaplan API, by method and status code.");

    private static readonly Counter<long> AnaplanThrottled = Meter.CreateCounter<long>(
        "connector.anaplan.throttled", "{response}", "Anaplan answers 429 (tenant limit reached).");

    private static readonly Counter<long> Retries = Meter.CreateCounter<long>(
        "connector.retries", "{retry}", "Calls retried, by target (anaplan, sage) and cause.");

    private static readonly Histogram<double> ModelLockWait = Meter.CreateHistogram<double>(
        "connector.model_lock.wait", "s", "How long a run waited for an Anaplan model's lock.");

    private static readonly ConcurrentDictionary<Type, PropertyInfo?> RunProperties = new();

    /// <summary>Gets the activity source of the connector's spans.</summary>
    public static ActivitySource Source { get; } = new(Name, Version);

    /// <summary>Reports a run that ended: the <c>RunEnded</c> log line (the alerts' signal) and <c>connector.runs</c>.</summary>
    public static void RunEnded(ILogger logger, string flow, string connectionId, string runId, string status)
    {
        RunEndedLog(logger, runId, flow, connectionId, status);
        Runs.Add(1, new(Tags.Connection, connectionId), new(Tags.Flow, flow), new(Tags.Outcome, status));
    }

    /// <summary>Counts a dataset's rows by stage (its audit counts).</summary>
    public static void DatasetRecorded(string connectionId, string dataset, IReadOnlyDictionary<string, long> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        foreach ((string stage, long count) in counts)
        {
            DatasetRows.Add(count, new(Tags.Connection, connectionId), new(Tags.Dataset, dataset), new(Tags.Stage, stage));
        }
    }

    /// <summary>Counts a refused record.</summary>
    public static void Rejected(string connectionId, string dataset)
        => Rejections.Add(1, new KeyValuePair<string, object?>(Tags.Connection, connectionId), new(Tags.Dataset, dataset));

    /// <summary>Counts an answer of the Anaplan API (429s also as <c>connector.anaplan.throttled</c>).</summary>
    public static void AnaplanAnswered(string method, int statusCode)
    {
        AnaplanRequests.Add(1, new KeyValuePair<string, object?>(Tags.Method, method), new(Tags.StatusCode, statusCode));
        if (statusCode == 429)
        {
            AnaplanThrottled.Add(1);
        }
    }

    /// <summary>Counts a retry of a call to <paramref name="target"/> (anaplan or sage).</summary>
    public static void Retried(string target, string cause)
        => Retries.Add(1, new KeyValuePair<string, object?>(Tags.Target, target), new("error.type", cause));

    /// <summary>
    /// Records how long an orchestration waited for a model's lock. Called from orchestrator code: only when the lock
    /// was granted in this execution (<paramref name="replaying"/> false), so a replay never counts it twice.
    /// </summary>
    public static void ModelLockWaited(bool replaying, string modelId, TimeSpan waited)
    {
        if (!replaying)
        {
            ModelLockWait.Record(Math.Max(0, waited.TotalSeconds), new KeyValuePair<string, object?>(Tags.Model, modelId));
        }
    }

    /// <summary>Runs an activity inside a span of <see cref="Source"/> named after it and tagged with its run.</summary>
    public static async Task<T> TraceActivityAsync<T>(string activity, object? input, Func<Task<T>> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        using Activity? span = Source.StartActivity(activity);
        if (span is not null && ActivityRunOf(input) is { } runRef)
        {
            span.SetTag(Tags.Connection, runRef.ConnectionId);
            span.SetTag(Tags.RunId, runRef.RunId);
        }

        try
        {
            return await run().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            span?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            throw;
        }
    }

    /// <summary>
    /// Runs an orchestrator. When a flow's run fails (its orchestrator throws), the failure is recorded before the
    /// exception ends the run: <see cref="FailRunActivity"/> writes the audit row as <see cref="RunStatuses.Failed"/> with
    /// the cause and reports <see cref="RunEnded"/> once; should that activity fail too, the end is reported here (through
    /// the replay-safe logger) so the signal is never lost. The run still ends with the original exception. A failed run is
    /// resumed by a rewind (a new execution of the run id), never by the backend's rewind of this history, so the activity
    /// recorded after the failure costs nothing.
    /// </summary>
    public static async Task<T> ObserveRunAsync<T>(TaskOrchestrationContext context, Type orchestrator, object? input, Func<Task<T>> run)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(run);
        try
        {
            return await run().ConfigureAwait(true);
        }
        catch (Exception ex) when (FlowOf(orchestrator) is not null && ex is not OperationCanceledException)
        {
            await RecordFailureAsync(context, FlowOf(orchestrator)!, input, ex).ConfigureAwait(true);
            throw;
        }
    }

    /// <summary>The run a flow's input names (its connection, this instance and the attempt).</summary>
    public static RunRef RunOf(TaskOrchestrationContext context, object? input)
    {
        ArgumentNullException.ThrowIfNull(context);
        return input switch
        {
            ActualsRunInput actuals => new RunRef(actuals.ConnectionId, context.InstanceId, actuals.Attempt),
            BudgetRunInput budgets => new RunRef(budgets.ConnectionId, context.InstanceId, budgets.Attempt),
            Flows.Recovery.DatasetRecoveryInput recovery => new RunRef(recovery.ConnectionId, context.InstanceId, recovery.Attempt),
            _ => new RunRef(string.Empty, context.InstanceId),
        };
    }

    private static async Task RecordFailureAsync(TaskOrchestrationContext context, string flow, object? input, Exception failure)
    {
        RunRef run = RunOf(context, input);
        string cause = failure is TaskFailedException failed ? failed.FailureDetails.ErrorMessage : failure.Message;
        try
        {
            await context.CallActivityAsync<bool>(
                nameof(FailRunActivity), new FailRunInput(run, flow, context.CurrentUtcDateTime, cause), Flows.Anaplan.AnaplanPolling.Retry).ConfigureAwait(true);
        }
        catch (TaskFailedException)
        {
            if (!context.IsReplaying)
            {
                RunEnded(context.CreateReplaySafeLogger(typeof(ConnectorTelemetry).FullName!), flow, run.ConnectionId, run.RunId, RunStatuses.Failed);
            }
        }
    }

    /// <summary>Wraps an activity for a Durable Task registry: <see cref="TraceActivityAsync{T}"/> around it.</summary>
    public static ITaskActivity Traced(string name, ITaskActivity activity) => new TracedActivity(name, activity);

    /// <summary>Wraps an orchestrator for a Durable Task registry: <see cref="ObserveRunAsync{T}"/> around it.</summary>
    public static ITaskOrchestrator Observed(ITaskOrchestrator orchestrator) => new ObservedOrchestrator(orchestrator);

    /// <summary>The flow a top-level orchestrator runs, or null for the others (sub-orchestrations, the self-test).</summary>
    private static string? FlowOf(Type orchestrator)
        => orchestrator == typeof(ActualsSyncOrchestrator) ? ScheduleEvaluator.Flows.Actuals
            : orchestrator == typeof(BudgetSyncOrchestrator) ? ScheduleEvaluator.Flows.Budgets
            : orchestrator == typeof(Flows.Recovery.DatasetRecoveryOrchestrator) ? Flows.Recovery.DatasetRecoveryOrchestrator.Flow
            : null;

    /// <summary>The run an activity input belongs to: a <see cref="RunRef"/>, or a record with a <c>Run</c> property.</summary>
    private static RunRef? ActivityRunOf(object? input)
        => input switch
        {
            null => null,
            RunRef run => run,
            _ => RunProperties.GetOrAdd(input.GetType(), t => t.GetProperty("Run", typeof(RunRef)))?.GetValue(input) as RunRef,
        };

    [LoggerMessage(EventId = 5000, EventName = "RunEnded", Level = LogLevel.Information,
        Message = "Run {RunId} ({Flow}, connection {ConnectionId}) ended {RunStatus}")]
    private static partial void RunEndedLog(ILogger logger, string runId, string flow, string connectionId, string runStatus);

    private sealed class TracedActivity(string name, ITaskActivity inner) : ITaskActivity
    {
        public Type InputType => inner.InputType;

        public Type OutputType => inner.OutputType;

        public Task<object?> RunAsync(TaskActivityContext context, object? input)
            => TraceActivityAsync(name, input, () => inner.RunAsync(context, input));
    }

    private sealed class ObservedOrchestrator(ITaskOrchestrator inner) : ITaskOrchestrator
    {
        public Type InputType => inner.InputType;

        public Type OutputType => inner.OutputType;

        public Task<object?> RunAsync(TaskOrchestrationContext context, object? input)
            => ObserveRunAsync(context, inner.GetType(), input, () => inner.RunAsync(context, input));
    }
}
