using System.Text.Json;
using System.Text.Json.Serialization;
using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Flows;
using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Connector.Orchestrations.Operations;

/// <summary>The outcome of <see cref="RunOperations.StartAsync"/>.</summary>
public sealed record StartRunResult(string InstanceId, bool Started, OrchestrationRuntimeStatus Status);

/// <summary>A filter for listing runs.</summary>
public sealed record RunQuery
{
    /// <summary>Gets the earliest creation time (inclusive).</summary>
    public DateTimeOffset? CreatedFrom { get; init; }

    /// <summary>Gets the latest creation time.</summary>
    public DateTimeOffset? CreatedTo { get; init; }

    /// <summary>Gets the statuses to keep (all when null).</summary>
    public IReadOnlyCollection<OrchestrationRuntimeStatus>? Statuses { get; init; }

    /// <summary>Gets the instance id prefix.</summary>
    public string? InstanceIdPrefix { get; init; }

    /// <summary>Gets the connection whose runs to keep (run ids start with <c>{connection}:</c>).</summary>
    public string? ConnectionId { get; init; }

    /// <summary>Gets the flow to keep (<see cref="RunIds.Flows"/>).</summary>
    public string? Flow { get; init; }

    /// <summary>Gets a value indicating whether sub-runs are listed too (by default only top-level runs are).</summary>
    public bool IncludeSubRuns { get; init; }

    /// <summary>Gets the page size used to read the store.</summary>
    public int PageSize { get; init; } = 100;

    /// <summary>Gets the most runs to return (the newest).</summary>
    public int? Max { get; init; }
}

/// <summary>One run in a listing.</summary>
public sealed record RunSummary(
    string InstanceId, string Name, OrchestrationRuntimeStatus Status, DateTimeOffset CreatedAt, DateTimeOffset LastUpdatedAt)
{
    /// <summary>Gets the flow (<c>actuals</c>, <c>budgets</c>, <c>selftest</c>, or a sub-run's kind).</summary>
    public string Flow { get; init; } = string.Empty;

    /// <summary>Gets the connection the run id names, when it names one.</summary>
    public string? ConnectionId { get; init; }

    /// <summary>Gets the parent run of a sub-run.</summary>
    public string? ParentInstanceId { get; init; }

    /// <summary>Gets the step the run shows as its progress (while it runs, or where it stopped).</summary>
    public string? Step { get; init; }

    /// <summary>Gets the failure message of a failed run.</summary>
    public string? FailureMessage { get; init; }

    /// <summary>Gets the innermost failure the message reports (what failed first, inside the sub-runs and activities).</summary>
    public string? FailureCause => FailureText.Cause(this.FailureMessage);

    /// <summary>Gets what started the run (<c>schedule</c>, <c>http</c>, <c>cli</c>...) as its audit row records it, when asked for.</summary>
    public string? Trigger { get; init; }

    /// <summary>Gets the run's outcome as its audit row records it once the run completed (<c>CompletedWithRejections</c>...), when asked for.</summary>
    public string? Outcome { get; init; }

    internal static RunSummary From(OrchestrationMetadata m)
        => new(m.InstanceId, m.Name, m.RuntimeStatus, m.CreatedAt, m.LastUpdatedAt)
        {
            Flow = RunIds.Flow(m.Name),
            ConnectionId = RunIds.Connection(m.InstanceId),
            ParentInstanceId = RunIds.Parent(m.InstanceId),
            Step = ReadableJson.Progress(m.SerializedCustomStatus),
            FailureMessage = m.RuntimeStatus == OrchestrationRuntimeStatus.Failed ? m.FailureDetails?.ErrorMessage : null,
        };
}

/// <summary>
/// One run in detail. Input, output and custom status are the JSON the orchestration recorded, as JSON (not as text
/// holding JSON); a value that is not JSON comes back as a JSON string.
/// </summary>
public sealed record RunDetails(
    string InstanceId,
    string Name,
    OrchestrationRuntimeStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt,
    JsonElement? Input,
    JsonElement? Output,
    JsonElement? CustomStatus,
    string? FailureType,
    string? FailureMessage)
{
    /// <summary>Gets the flow.</summary>
    public string Flow { get; init; } = string.Empty;

    /// <summary>Gets the parent run of a sub-run.</summary>
    public string? ParentInstanceId { get; init; }

    /// <summary>Gets the current step, from the run's progress (custom status).</summary>
    public string? Step { get; init; }

    /// <summary>Gets the failure with its causes (innermost last).</summary>
    public RunFailure? Failure { get; init; }

    internal static RunDetails From(OrchestrationMetadata m)
        => new(
            m.InstanceId,
            m.Name,
            m.RuntimeStatus,
            m.CreatedAt,
            m.LastUpdatedAt,
            ReadableJson.Parse(m.SerializedInput),
            ReadableJson.Parse(m.SerializedOutput),
            ReadableJson.Parse(m.SerializedCustomStatus),
            m.FailureDetails?.ErrorType,
            m.FailureDetails?.ErrorMessage)
        {
            Flow = RunIds.Flow(m.Name),
            ParentInstanceId = RunIds.Parent(m.InstanceId),
            Step = ReadableJson.Progress(m.SerializedCustomStatus),
            Failure = RunFailure.From(m.FailureDetails),
        };
}

/// <summary>A failure and what caused it.</summary>
public sealed record RunFailure(string Type, string Message, RunFailure? Cause)
{
    /// <summary>Gets the innermost cause.</summary>
    [JsonIgnore]
    public RunFailure Root => this.Cause?.Root ?? this;

    internal static RunFailure? From(TaskFailureDetails? details)
        => details is null ? null : new RunFailure(details.ErrorType, details.ErrorMessage, From(details.InnerFailure));

    internal static RunFailure? From(DurableTask.Core.FailureDetails? details)
        => details is null ? null : new RunFailure(details.ErrorType, details.ErrorMessage, From(details.InnerFailure));
}

/// <summary>A run in depth: its details, its steps from the orchestration history and its sub-runs.</summary>
/// <param name="Run">The run.</param>
/// <param name="Steps">The steps in the order they started; null when the backend does not give history.</param>
/// <param name="StepsUnavailable">Why there are no steps.</param>
/// <param name="SubRuns">The sub-runs, each with its own.</param>
public sealed record RunInspection(RunDetails Run, IReadOnlyList<RunStep>? Steps, string? StepsUnavailable, IReadOnlyList<RunNode> SubRuns)
{
    /// <summary>
    /// Gets the way down to what failed, read from the histories: the run's failed step, then (while that is a sub-run)
    /// the sub-run's failed step, down to the step that failed first. Empty when nothing failed.
    /// </summary>
    public IReadOnlyList<FailedStep> FailurePath { get; init; } = [];

    /// <summary>
    /// Gets every journal entry of a budgets run with its result, read from the results blob its output names (the
    /// output itself carries only counts and the first problems); null for other runs or when not read.
    /// </summary>
    public IReadOnlyList<Flows.Budgets.EntryResult>? Journal { get; init; }
}

/// <summary>A failed step of a run on the way down to the cause of a failure.</summary>
public sealed record FailedStep(string InstanceId, RunStep Step);

/// <summary>
/// One step of a run: an activity, a sub-run, a timer, an event received or an operator action, with when it started
/// and ended (times as the orchestration history recorded them, UTC).
/// </summary>
public sealed record RunStep(string Kind, string Name, DateTimeOffset Started, DateTimeOffset? Ended, string Status)
{
    /// <summary>Gets the sub-run's id (sub-runs only).</summary>
    public string? InstanceId { get; init; }

    /// <summary>Gets the failure of a failed step.</summary>
    public RunFailure? Failure { get; init; }

    /// <summary>Gets how long the step took (null while it has not ended).</summary>
    public TimeSpan? Duration => this.Ended - this.Started;

    /// <summary>Step kinds.</summary>
    public static class Kinds
    {
        public const string Activity = "activity";
        public const string SubRun = "sub-run";
        public const string Timer = "timer";
        public const string Event = "event";
        public const string Operator = "operator";

        /// <summary>Waiting for an entity lock (a model lock): from the request to the grant.</summary>
        public const string LockWait = "lock-wait";

        /// <summary>Holding an entity lock: from the grant to the release (open while the run still holds it).</summary>
        public const string LockHeld = "lock-held";
    }

    /// <summary>Step outcomes.</summary>
    public static class Statuses
    {
        public const string Running = "running";
        public const string Completed = "completed";
        public const string Failed = "failed";
    }
}

/// <summary>A sub-run in the tree of a run.</summary>
public sealed record RunNode(string InstanceId, string Name, OrchestrationRuntimeStatus Status, DateTimeOffset CreatedAt, DateTimeOffset LastUpdatedAt, IReadOnlyList<RunNode> SubRuns)
{
    /// <summary>Gets the sub-run's own steps, when the whole tree was asked for (null otherwise).</summary>
    public IReadOnlyList<RunStep>? Steps { get; init; }

    /// <summary>Builds the tree under <paramref name="rootId"/> from its descendants (ids <c>{parent}|{step}</c>), with their steps when known.</summary>
    internal static IReadOnlyList<RunNode> Tree(string rootId, IReadOnlyList<RunSummary> descendants, IReadOnlyDictionary<string, IReadOnlyList<RunStep>>? steps = null)
    {
        ILookup<string?, RunSummary> byParent = descendants.ToLookup(d => d.ParentInstanceId, StringComparer.Ordinal);
        IReadOnlyList<RunNode> Children(string parent)
            => [.. byParent[parent].OrderBy(c => c.CreatedAt).Select(c => new RunNode(c.InstanceId, c.Name, c.Status, c.CreatedAt, c.LastUpdatedAt, Children(c.InstanceId))
            {
                Steps = steps is not null && steps.TryGetValue(c.InstanceId, out IReadOnlyList<RunStep>? own) ? own : null,
            })];
        return Children(rootId);
    }
}

/// <summary>The state of one model lock.</summary>
public sealed record ModelLockStatus(
    string Key, string? LockedBy, ModelLockHolder? Holder, ModelLockHolder? LastReleased, long Acquisitions)
{
    /// <summary>Gets the status of the run holding the lock (null when none holds it, or that run no longer exists).</summary>
    public OrchestrationRuntimeStatus? HolderStatus { get; init; }

    /// <summary>Gets a value indicating whether the lock is held by a run that no longer runs.</summary>
    public bool HolderIsOrphaned { get; init; }

    /// <summary>Gets the runs waiting for the lock, longest waiting first (from their progress: <see cref="ModelLockProgress"/>).</summary>
    public IReadOnlyList<ModelLockWaiter> Waiting { get; init; } = [];

    /// <summary>Gets how many requests are queued on the lock's entity (lock requests and operations), as the backend reports it.</summary>
    public int? Backlog { get; init; }
}

/// <summary>A run waiting for a model lock: its id (a sub-run: <see cref="RootInstanceId"/> is the run it belongs to), what for, since when (UTC).</summary>
public sealed record ModelLockWaiter(string InstanceId, string RootInstanceId, string Purpose, DateTime Since);

/// <summary>A model lock held by a run that no longer runs.</summary>
public sealed record OrphanedLock(string Key, string Holder, OrchestrationRuntimeStatus? HolderStatus, string? Purpose, DateTime? Since);

/// <summary>Reads the failure messages of the Durable Task SDK.</summary>
public static class FailureText
{
    private const string Nested = "failed with an unhandled exception: ";

    /// <summary>
    /// The innermost failure of a message such as <c>Task 'A' (#1) failed with an unhandled exception: Task 'B' (#2)
    /// failed with an unhandled exception: Import 'X' does not exist</c> (here <c>Import 'X' does not exist</c>).
    /// </summary>
    public static string? Cause(string? message)
    {
        if (message is null)
        {
            return null;
        }

        int at = message.LastIndexOf(Nested, StringComparison.Ordinal);
        string cause = at < 0 ? message : message[(at + Nested.Length)..];
        const string Prefix = "Microsoft.DurableTask.TaskFailedException: ";
        return cause.StartsWith(Prefix, StringComparison.Ordinal) ? cause[Prefix.Length..] : cause;
    }
}

/// <summary>Reads the JSON an orchestration recorded so that it can be shown as JSON.</summary>
internal static class ReadableJson
{
    public static JsonElement? Parse(string? serialized)
    {
        if (serialized is null)
        {
            return null;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(serialized);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(serialized);
        }
    }

    /// <summary>The run's progress (<see cref="RunProgress"/>) as one line, or the custom status as it is.</summary>
    public static string? Progress(string? customStatus)
    {
        if (Parse(customStatus) is not { ValueKind: not JsonValueKind.Null } status)
        {
            return null;
        }

        if (status.ValueKind == JsonValueKind.Object && Text(status, "step", "Step") is { } step)
        {
            string? dataset = Text(status, "dataset", "Dataset");
            string? detail = Text(status, "detail", "Detail");
            return $"{step}{(dataset is null ? string.Empty : $" [{dataset}]")}{(detail is null ? string.Empty : $": {detail}")}";
        }

        return status.ValueKind == JsonValueKind.String ? status.GetString() : status.GetRawText();
    }

    private static string? Text(JsonElement e, string camel, string pascal)
        => (e.TryGetProperty(camel, out JsonElement v) || e.TryGetProperty(pascal, out v)) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>Turns an orchestration history into the steps an operator reads.</summary>
internal static class RunSteps
{
    public static IReadOnlyList<RunStep> From(IEnumerable<HistoryEvent> history)
    {
        var steps = new List<RunStep>();
        var tasks = new Dictionary<int, int>();
        var subRuns = new Dictionary<int, int>();
        var timers = new Dictionary<int, int>();
        var lockWaits = new Dictionary<string, int>(StringComparer.Ordinal);
        var locksHeld = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (HistoryEvent e in history)
        {
            DateTimeOffset at = new(DateTime.SpecifyKind(e.Timestamp, DateTimeKind.Utc));
            switch (e)
            {
                case TaskScheduledEvent scheduled:
                    tasks[scheduled.EventId] = steps.Count;
                    steps.Add(new RunStep(RunStep.Kinds.Activity, scheduled.Name ?? "activity", at, null, RunStep.Statuses.Running));
                    break;
                case TaskCompletedEvent completed:
                    End(tasks, completed.TaskScheduledId, at, null);
                    break;
                case TaskFailedEvent failed:
                    End(tasks, failed.TaskScheduledId, at, RunFailure.From(failed.FailureDetails) ?? new RunFailure("TaskFailed", failed.Reason ?? "failed", null));
                    break;
                case SubOrchestrationInstanceCreatedEvent created:
                    subRuns[created.EventId] = steps.Count;
                    steps.Add(new RunStep(RunStep.Kinds.SubRun, created.Name ?? "sub-run", at, null, RunStep.Statuses.Running) { InstanceId = created.InstanceId });
                    break;
                case SubOrchestrationInstanceCompletedEvent completed:
                    End(subRuns, completed.TaskScheduledId, at, null);
                    break;
                case SubOrchestrationInstanceFailedEvent failed:
                    End(subRuns, failed.TaskScheduledId, at, RunFailure.From(failed.FailureDetails) ?? new RunFailure("SubOrchestrationFailed", failed.Reason ?? "failed", null));
                    break;
                case TimerCreatedEvent timer:
                    timers[timer.EventId] = steps.Count;
                    steps.Add(new RunStep(RunStep.Kinds.Timer, "wait", at, null, RunStep.Statuses.Running));
                    break;
                case TimerFiredEvent fired:
                    End(timers, fired.TimerId, at, null);
                    break;
                case EventSentEvent sent when sent.Name == "op" && LockRequest(sent) is { } request:
                    lockWaits[request.Id] = steps.Count;
                    steps.Add(new RunStep(RunStep.Kinds.LockWait, request.Entity, at, null, RunStep.Statuses.Running));
                    break;
                case EventRaisedEvent granted when granted.Name is { } name && lockWaits.Remove(name, out int wait):
                    steps[wait] = steps[wait] with { Ended = at, Status = RunStep.Statuses.Completed };
                    locksHeld[name] = steps.Count;
                    steps.Add(new RunStep(RunStep.Kinds.LockHeld, steps[wait].Name, at, null, RunStep.Statuses.Running));
                    break;
                case EventSentEvent released when released.Name == "release" && JsonText(released.Input, "id") is { } id && locksHeld.Remove(id, out int held):
                    steps[held] = steps[held] with { Ended = at, Status = RunStep.Statuses.Completed };
                    break;
                case EventRaisedEvent raised when !Guid.TryParse(raised.Name, out _):
                    // Entity responses arrive as events named by their request id; those are plumbing, not steps.
                    steps.Add(new RunStep(RunStep.Kinds.Event, raised.Name ?? "event", at, at, RunStep.Statuses.Completed));
                    break;
                case ExecutionSuspendedEvent suspended:
                    steps.Add(new RunStep(RunStep.Kinds.Operator, Operator("suspended", suspended.Reason), at, at, RunStep.Statuses.Completed));
                    break;
                case ExecutionResumedEvent resumed:
                    steps.Add(new RunStep(RunStep.Kinds.Operator, Operator("resumed", resumed.Reason), at, at, RunStep.Statuses.Completed));
                    break;
                case ExecutionTerminatedEvent terminated:
                    steps.Add(new RunStep(RunStep.Kinds.Operator, Operator("terminated", terminated.Input), at, at, RunStep.Statuses.Completed));
                    break;
                case ExecutionRewoundEvent rewound:
                    steps.Add(new RunStep(RunStep.Kinds.Operator, Operator("rewound", rewound.Reason), at, at, RunStep.Statuses.Completed));
                    break;
                case GenericEvent rewind when rewind.Data is { } reason && !reason.StartsWith("Rewound: ", StringComparison.Ordinal):
                    // The Azure Storage backend rewinds by rewriting the failed events as "Rewound: ..." generic events and
                    // sending the run a generic event carrying the operator's reason.
                    steps.Add(new RunStep(RunStep.Kinds.Operator, Operator("rewound", reason), at, at, RunStep.Statuses.Completed));
                    break;
            }
        }

        return steps;

        void End(Dictionary<int, int> open, int scheduledId, DateTimeOffset at, RunFailure? failure)
        {
            if (open.Remove(scheduledId, out int index))
            {
                steps[index] = steps[index] with
                {
                    Ended = at,
                    Status = failure is null ? RunStep.Statuses.Completed : RunStep.Statuses.Failed,
                    Failure = failure,
                };
            }
        }
    }

    /// <summary>
    /// An entity lock request in the history: an event named <c>op</c> sent to an entity (<c>@name@key</c>) whose message
    /// is a lock request (<c>IsLockRequest</c>, with its <c>id</c>, which the grant event is named by).
    /// </summary>
    private static (string Id, string Entity)? LockRequest(EventSentEvent sent)
    {
        if (sent.InstanceId is not ['@', ..] entity || sent.Input is null || !sent.Input.Contains("\"IsLockRequest\":true", StringComparison.Ordinal))
        {
            return null;
        }

        string[] parts = entity.Split('@', 3);
        return JsonText(sent.Input, "id") is { } id ? (id, parts.Length == 3 ? $"{parts[1]} {parts[2]}" : entity) : null;
    }

    private static string? JsonText(string? json, string name)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Operator(string action, string? reason)
        => string.IsNullOrWhiteSpace(reason) ? action : $"{action}: {reason.Trim('"')}";
}
