using System.Globalization;
using System.Text.Json;
using DurableTask.AzureStorage;
using DurableTask.Core.History;
using Microsoft.DurableTask.Client;

namespace Connector.Local.Hosting;

/// <summary>One event of a run's durable history, as the Azure Storage backend stores it (one History table row).</summary>
/// <param name="InstanceId">The run or sub-orchestration the event belongs to.</param>
/// <param name="Type">What happened.</param>
/// <param name="Name">The activity or sub-orchestration scheduled, when the event schedules one.</param>
/// <param name="Timestamp">When the event was recorded.</param>
/// <param name="FireAt">When a created timer is due.</param>
/// <param name="EventId">The event's id (a scheduled task's or timer's sequence number).</param>
/// <param name="ScheduledId">For a completion or a fired timer, the id of the event it answers.</param>
/// <param name="Bytes">The size of the stored event (JSON), a measure of what the history carries.</param>
public sealed record RunHistoryEvent(string InstanceId, EventType Type, string? Name, DateTime Timestamp, DateTime? FireAt, int EventId, int? ScheduledId, int Bytes);

/// <summary>Reads the durable history of a run and of every sub-orchestration it started (ids <c>{runId}|...</c>).</summary>
public static class RunHistory
{
    /// <summary>The events of the run and its sub-orchestrations, each instance's in order, the run's first.</summary>
    public static async Task<IReadOnlyList<RunHistoryEvent>> ReadAsync(AzureStorageOrchestrationService service, DurableTaskClient client, string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(client);
        var ids = new List<string> { runId };
        await foreach (OrchestrationMetadata child in client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = runId + "|" }).WithCancellation(cancellationToken))
        {
            ids.Add(child.InstanceId);
        }

        var events = new List<RunHistoryEvent>();
        foreach (string id in ids)
        {
            var state = (await service.GetOrchestrationStateAsync(id, allExecutions: false)).SingleOrDefault();
            if (state is null)
            {
                continue;
            }

            using JsonDocument history = JsonDocument.Parse(await service.GetOrchestrationHistoryAsync(id, state.OrchestrationInstance.ExecutionId));
            foreach (JsonElement e in history.RootElement.EnumerateArray())
            {
                events.Add(new RunHistoryEvent(
                    id,
                    (EventType)Number(e, "EventType")!.Value,
                    e.TryGetProperty("Name", out JsonElement name) && name.ValueKind == JsonValueKind.String ? name.GetString() : null,
                    Date(e, "Timestamp") ?? DateTime.MinValue,
                    Date(e, "FireAt"),
                    Number(e, "EventId") ?? -1,
                    Number(e, "TaskScheduledId") ?? Number(e, "TimerId"),
                    e.GetRawText().Length));
            }
        }

        return events;
    }

    private static int? Number(JsonElement e, string property)
    {
        if (!e.TryGetProperty(property, out JsonElement value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number => value.GetInt32(),
            JsonValueKind.String when int.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) => n,
            JsonValueKind.String when Enum.TryParse(value.GetString(), out EventType type) => (int)type,
            _ => null,
        };
    }

    private static DateTime? Date(JsonElement e, string property)
        => e.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String && value.TryGetDateTime(out DateTime at)
            ? DateTime.SpecifyKind(at.ToUniversalTime(), DateTimeKind.Utc)
            : null;
}
