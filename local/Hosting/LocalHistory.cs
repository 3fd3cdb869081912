using DurableTask.Core;
using DurableTask.Core.History;
using Newtonsoft.Json.Linq;

namespace Connector.Local.Hosting;

/// <summary>
/// Reads the history JSON of the Azure Storage backend (<c>JsonConvert.SerializeObject</c> of the events, without
/// type names) back into <see cref="HistoryEvent"/> objects, by each event's <c>EventType</c>.
/// </summary>
internal static class LocalHistory
{
    public static IList<HistoryEvent> Parse(string json)
    {
        var events = new List<HistoryEvent>();
        if (string.IsNullOrWhiteSpace(json))
        {
            return events;
        }

        foreach (JObject e in JArray.Parse(json).OfType<JObject>())
        {
            HistoryEvent? parsed = ToEvent(e);
            if (parsed is null)
            {
                continue;
            }

            if (e.Value<DateTime?>("Timestamp") is { } timestamp)
            {
                parsed.Timestamp = DateTime.SpecifyKind(timestamp, DateTimeKind.Utc);
            }

            events.Add(parsed);
        }

        return events;
    }

    private static HistoryEvent? ToEvent(JObject e)
    {
        int id = e.Value<int?>("EventId") ?? -1;
        string? S(string name) => e.Value<string?>(name);
        int I(string name) => e.Value<int?>(name) ?? -1;
        return e["EventType"]?.ToObject<EventType>() switch
        {
            EventType.ExecutionStarted => new ExecutionStartedEvent(id, S("Input")) { Name = S("Name") },
            EventType.ExecutionCompleted => new ExecutionCompletedEvent(
                id, S("Result"), e["OrchestrationStatus"]?.ToObject<OrchestrationStatus>() ?? OrchestrationStatus.Completed, Failure(e["FailureDetails"])),
            EventType.ExecutionTerminated => new ExecutionTerminatedEvent(id, S("Input")),
            EventType.TaskScheduled => new TaskScheduledEvent(id, S("Name") ?? "activity", S("Version"), input: null),
            EventType.TaskCompleted => new TaskCompletedEvent(id, I("TaskScheduledId"), result: null),
            EventType.TaskFailed => new TaskFailedEvent(id, I("TaskScheduledId"), S("Reason"), S("Details"), Failure(e["FailureDetails"])),
            EventType.SubOrchestrationInstanceCreated => new SubOrchestrationInstanceCreatedEvent(id) { Name = S("Name"), InstanceId = S("InstanceId") },
            EventType.SubOrchestrationInstanceCompleted => new SubOrchestrationInstanceCompletedEvent(id, I("TaskScheduledId"), result: null),
            EventType.SubOrchestrationInstanceFailed => new SubOrchestrationInstanceFailedEvent(
                id, I("TaskScheduledId"), S("Reason"), S("Details"), Failure(e["FailureDetails"])),
            EventType.TimerCreated => new TimerCreatedEvent(id, e.Value<DateTime?>("FireAt") ?? default),
            EventType.TimerFired => new TimerFiredEvent(id, e.Value<DateTime?>("FireAt") ?? default) { TimerId = I("TimerId") },
            EventType.EventRaised => new EventRaisedEvent(id, input: null) { Name = S("Name") },
            EventType.EventSent => new EventSentEvent(id) { Name = S("Name"), InstanceId = S("InstanceId"), Input = S("Input") },
            EventType.ExecutionSuspended => new ExecutionSuspendedEvent(id, S("Reason")),
            EventType.ExecutionResumed => new ExecutionResumedEvent(id, S("Reason")),
            EventType.ExecutionRewound => new ExecutionRewoundEvent(id, S("Reason")),
            EventType.GenericEvent => new GenericEvent(id, S("Data")),
            EventType.OrchestratorStarted => new OrchestratorStartedEvent(id),
            EventType.OrchestratorCompleted => new OrchestratorCompletedEvent(id),
            _ => null,
        };
    }

    private static FailureDetails? Failure(JToken? token)
        => token is JObject f
            ? new FailureDetails(
                f.Value<string?>("ErrorType") ?? "Error",
                f.Value<string?>("ErrorMessage") ?? string.Empty,
                stackTrace: null,
                Failure(f["InnerFailure"]),
                f.Value<bool?>("IsNonRetriable") ?? false)
            : null;
}
