using Connector.Emulators.Anaplan.Model;

namespace Connector.Emulators.Anaplan;

/// <summary>The emulator's log messages (event ids 9100–9199). Never a token, password or body.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 9100, Level = LogLevel.Information, Message = "Anaplan emulator listening: auth {AuthBase}, API {ApiBase}")]
    public static partial void Listening(ILogger logger, Uri authBase, Uri apiBase);

    [LoggerMessage(EventId = 9101, Level = LogLevel.Debug, Message = "{Method} {Path} answered {StatusCode}")]
    public static partial void RequestAnswered(ILogger logger, string method, string path, int statusCode);

    [LoggerMessage(EventId = 9102, Level = LogLevel.Information, Message = "Injected fault {Kind} on {Method} {Path}")]
    public static partial void FaultInjected(ILogger logger, string method, string path, FaultKind kind);

    [LoggerMessage(EventId = 9103, Level = LogLevel.Warning, Message = "Violation on model {ModelId}: action {ActionId} started while {BusyWithActionId} was running or waiting")]
    public static partial void ParallelActionViolation(ILogger logger, string modelId, string actionId, string busyWithActionId);

    [LoggerMessage(EventId = 9104, Level = LogLevel.Error, Message = "Task {TaskId} failed inside the emulator")]
    public static partial void TaskFailed(ILogger logger, Exception exception, string taskId);
}
