using Microsoft.Extensions.Logging;

namespace Connector.Functions;

/// <summary>Log messages of the Functions app. Event ids 200–299 (210–219: the operator API's edge, now in Connector.Orchestrations).</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Scheduled run {InstanceId}: started {Started}")]
    public static partial void ScheduledRun(ILogger logger, string instanceId, bool started);
}
