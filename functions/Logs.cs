using Microsoft.Extensions.Logging;

namespace Connector.Functions;

/// <summary>Log messages of the Functions app. Event ids 200–299 (210–219: the operator API's edge, now in Connector.Orchestrations).</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Scheduled run {InstanceId}: started {Started}")]
    public static partial void ScheduledRun(ILogger logger, string instanceId, bool started);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information,
        Message = "Retention purged {Runs} run(s), {Instances} instance(s), {AuditRows} audit row(s) and {Blobs} staging blob(s) older than {Days} day(s)")]
    public static partial void RetentionPurged(ILogger logger, int runs, int instances, int auditRows, int blobs, int days);
}
