using Microsoft.Extensions.Logging;

namespace Connector.Orchestrations;

/// <summary>The assembly's log messages. This part: the operator API's edge (event ids 210–219, as when it lived in the Functions app).</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "Operator action {Action} on {InstanceId}")]
    public static partial void OperatorAction(ILogger logger, string action, string instanceId);

    [LoggerMessage(EventId = 211, Level = LogLevel.Error, Message = "Request {Action} on {Target} failed")]
    public static partial void OperatorRequestFailed(ILogger logger, Exception exception, string action, string target);
}
