using Microsoft.Extensions.Logging;

namespace Connector.Functions;

/// <summary>Log messages of the Functions app. Event ids 200–299.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Scheduled run {InstanceId}: started {Started}")]
    public static partial void ScheduledRun(ILogger logger, string instanceId, bool started);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information,
        Message = "Retention purged {Runs} run(s), {Instances} instance(s), {AuditRows} audit row(s) and {Blobs} staging blob(s) older than {Days} day(s)")]
    public static partial void RetentionPurged(ILogger logger, int runs, int instances, int auditRows, int blobs, int days);

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "Operator action {Action} on {InstanceId}")]
    public static partial void OperatorAction(ILogger logger, string action, string instanceId);

    [LoggerMessage(EventId = 211, Level = LogLevel.Error, Message = "Request {Action} on {Target} failed")]
    public static partial void RequestFailed(ILogger logger, Exception exception, string action, string target);
}
