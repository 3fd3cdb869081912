using Connector.Orchestrations.Anaplan;
using Microsoft.Extensions.Logging;

namespace Connector.Orchestrations;

/// <summary>The assembly's log messages. This part: the Anaplan client (event ids 3100–3199). Never a token, password, key or body.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "Authenticating to Anaplan ({Credential})")]
    public static partial void AnaplanAuthenticating(ILogger logger, string credential);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Debug, Message = "Refreshing the Anaplan token ({Credential})")]
    public static partial void AnaplanTokenRefreshing(ILogger logger, string credential);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Anaplan answered 401; authenticating again ({Credential})")]
    public static partial void AnaplanReauthenticating(ILogger logger, string credential);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "Anaplan call {Method} {Path} failed (status {StatusCode}); retry {Attempt} in {Delay}")]
    public static partial void AnaplanRetrying(ILogger logger, string method, string path, int? statusCode, int attempt, TimeSpan delay, Exception? exception);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Debug, Message = "Anaplan call {Method} {Path} answered {StatusCode}")]
    public static partial void AnaplanCall(ILogger logger, string method, string path, int statusCode);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Information, Message = "Uploaded chunk {ChunkIndex} of file {FileId}: {UncompressedBytes} bytes, {CompressedBytes} compressed")]
    public static partial void AnaplanChunkUploaded(ILogger logger, string fileId, int chunkIndex, long uncompressedBytes, long compressedBytes);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Information, Message = "Started {ActionType} {ActionId}: task {TaskId}")]
    public static partial void AnaplanTaskStarted(ILogger logger, AnaplanActionType actionType, string actionId, string taskId);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Warning, Message = "Anaplan task {TaskId} reports a state this client does not know: {State}")]
    public static partial void AnaplanUnknownTaskState(ILogger logger, string taskId, string state);

    [LoggerMessage(EventId = 3108, Level = LogLevel.Information, Message = "Cancelling Anaplan task {TaskId} of {ActionType} {ActionId}")]
    public static partial void AnaplanTaskCancelling(ILogger logger, AnaplanActionType actionType, string actionId, string taskId);

    [LoggerMessage(EventId = 3109, Level = LogLevel.Warning, Message = "The learned length of Anaplan {ActionType} {ActionId} could not be read or written (storage status {Status}); its first status check keeps the default timing")]
    public static partial void TaskDurationUnavailable(ILogger logger, Exception exception, string actionType, string actionId, int status);
}
