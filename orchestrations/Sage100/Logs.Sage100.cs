using Microsoft.Extensions.Logging;

namespace Connector.Orchestrations;

/// <summary>Log messages of Connector.Orchestrations. Event ids 4000-4099 belong to the Sage 100 agent client.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Warning, Message = "TLS certificate validation is OFF for the Sage agent at {BaseAddress} (InsecureSkipVerify). Use TlsMode Pinned with the agent's SHA-256 fingerprint")]
    public static partial void SageTlsValidationDisabled(ILogger logger, Uri baseAddress);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Sage agent call {Operation} for company {Company} failed ({Failure}); retry {Attempt} in {DelayMs} ms")]
    public static partial void SageRetrying(ILogger logger, string operation, string company, string failure, int attempt, long delayMs);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Error, Message = "Rejected the Sage agent's TLS certificate at {Host}: {Reason}")]
    public static partial void SageCertificateRejected(ILogger logger, string host, string reason);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Sage agent call {Operation} for company {Company} failed with {Code}: {Message}")]
    public static partial void SageCallFailed(ILogger logger, string operation, string company, Sage100.SageAgentErrorCode code, string message);
}
