using System.Text.Json;
using System.Text.Json.Serialization;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Storage;
using Connector.Orchestrations.Telemetry;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Connector.Orchestrations.Flows;

/// <summary>Input of <see cref="BeginRunActivity"/>.</summary>
public sealed record BeginRunInput(RunRef Run, string Flow, string Trigger, DateTime StartedAt);

/// <summary>Input of <see cref="CompleteRunActivity"/>: the run's final status and its summary (JSON) for the audit.</summary>
public sealed record CompleteRunInput(RunRef Run, string Flow, string Trigger, string Status, DateTime StartedAt, DateTime FinishedAt, string SummaryJson);

/// <summary>Input of <see cref="RecordDatasetActivity"/>.</summary>
public sealed record RecordDatasetInput(RunRef Run, string Dataset, string Status, IReadOnlyDictionary<string, long> Counts, IReadOnlyDictionary<string, string> Details);

/// <summary>Input of <see cref="CommitWatermarkActivity"/>.</summary>
public sealed record CommitWatermarkInput(RunRef Run, string Dataset, string Value, DateTime At, string? SentRowsBlob = null);

/// <summary>
/// Opens a run: writes its audit row and returns the connection's settings as they are now. The orchestration works
/// from this snapshot (recorded in its history), so a configuration change never alters a run half-way.
/// </summary>
public sealed class BeginRunActivity(ConnectionClients clients, ConnectorStorage storage, AuditStore audit) : TaskActivity<BeginRunInput, ConnectionOptions>
{
    public override async Task<ConnectionOptions> RunAsync(TaskActivityContext context, BeginRunInput input)
    {
        ConnectionOptions connection = clients.Connection(input.Run.ConnectionId);
        await storage.EnsureCreatedOnceAsync();
        await audit.UpsertRunAsync(new RunAudit(
            input.Run.ConnectionId, input.Run.RunId, input.Flow, input.Trigger, RunStatuses.Running, new DateTimeOffset(input.StartedAt, TimeSpan.Zero), null, null, null));
        return connection;
    }
}

/// <summary>Closes a run's audit row with its status and summary, and reports the run's end (the alerts' signal).</summary>
public sealed class CompleteRunActivity(AuditStore audit, ILogger<CompleteRunActivity> logger) : TaskActivity<CompleteRunInput, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, CompleteRunInput input)
    {
        await audit.UpsertRunAsync(new RunAudit(
            input.Run.ConnectionId,
            input.Run.RunId,
            input.Flow,
            input.Trigger,
            input.Status,
            new DateTimeOffset(input.StartedAt, TimeSpan.Zero),
            new DateTimeOffset(input.FinishedAt, TimeSpan.Zero),
            input.SummaryJson,
            null));
        ConnectorTelemetry.RunEnded(logger, input.Flow, input.Run.ConnectionId, input.Run.RunId, input.Status);
        return true;
    }
}

/// <summary>Writes one dataset's audit row (counts and details).</summary>
public sealed class RecordDatasetActivity(AuditStore audit) : TaskActivity<RecordDatasetInput, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, RecordDatasetInput input)
    {
        await audit.UpsertDatasetAsync(new DatasetAudit(input.Run.ConnectionId, input.Run.RunId, input.Dataset, input.Status, input.Counts, input.Details));
        ConnectorTelemetry.DatasetRecorded(input.Run.ConnectionId, input.Dataset, input.Counts);
        return true;
    }
}

/// <summary>Advances an incremental dataset's watermark, once its import has completed.</summary>
public sealed class CommitWatermarkActivity(WatermarkStore watermarks) : TaskActivity<CommitWatermarkInput, bool>
{
    public override Task<bool> RunAsync(TaskActivityContext context, CommitWatermarkInput input)
        => watermarks.CommitAsync(input.Run.ConnectionId, input.Dataset, input.Value, input.Run.RunId, new DateTimeOffset(input.At, TimeSpan.Zero), input.SentRowsBlob);
}

/// <summary>Run statuses shown in the audit and the run summary.</summary>
public static class RunStatuses
{
    public const string Running = "Running";
    public const string Completed = "Completed";
    public const string CompletedWithRejections = "CompletedWithRejections";
    public const string CompletedWithFailures = "CompletedWithFailures";
    public const string Failed = "Failed";
    public const string DryRun = "DryRun";
}

/// <summary>JSON settings for summaries stored in the audit.</summary>
public static class SummaryJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}

/// <summary>Anaplan period codes from Sage fiscal periods.</summary>
public static class PeriodCodes
{
    /// <summary>Formats a period with the connection's <c>PeriodFormat</c> ("FY{year}-P{period}" → "FY2026-P03").</summary>
    public static string Format(string format, string fiscalYear, int period)
        => format.Replace("{year}", fiscalYear, StringComparison.Ordinal)
            .Replace("{period}", period.ToString("D2", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
