using Microsoft.Extensions.Logging;

namespace Connector.Orchestrations;

/// <summary>The assembly's log messages. This part: the flows' own state (event ids 3200–3299). Never a secret or a row's data.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 3200, Level = LogLevel.Warning, Message = "What connection {ConnectionId}'s last alignment refused could not be read or written (storage status {Status}); its next run stages GL before the alignment is built, as by default")]
    public static partial void ConnectionStateUnavailable(ILogger logger, Exception exception, string connectionId, int status);
}
