using Microsoft.Extensions.Logging;

namespace Connector.Local;

/// <summary>Log messages of the local host. Event ids 100–199.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Durable Task worker started on task hub {TaskHub}")]
    public static partial void WorkerStarted(ILogger logger, string taskHub);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Durable Task worker stopped on task hub {TaskHub}")]
    public static partial void WorkerStopped(ILogger logger, string taskHub);

    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "Azurite started (blob {BlobPort}, queue {QueuePort}, table {TablePort}, pid {ProcessId})")]
    public static partial void AzuriteStarted(ILogger logger, int blobPort, int queuePort, int tablePort, int processId);

    [LoggerMessage(EventId = 111, Level = LogLevel.Information, Message = "Azurite stopped (pid {ProcessId})")]
    public static partial void AzuriteStopped(ILogger logger, int processId);
}
