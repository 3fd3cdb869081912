using Microsoft.Extensions.Logging;

namespace Connector.Functions;

/// <summary>Log messages of the Functions app. Event ids 200–299.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Scheduled run {InstanceId}: started {Started}")]
    public static partial void ScheduledRun(ILogger logger, string instanceId, bool started);

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "Operator action {Action} on {InstanceId}")]
    public static partial void OperatorAction(ILogger logger, string action, string instanceId);

    [LoggerMessage(EventId = 211, Level = LogLevel.Error, Message = "Request {Action} on {Target} failed")]
    public static partial void RequestFailed(ILogger logger, Exception exception, string action, string target);
}
