using System.Net.Sockets;
using Azure;

namespace Connector.Orchestrations.Storage;

/// <summary>
/// How a call to Azure Storage fails, for the callers that go on without what it reads or writes (a hint kept for the
/// next run): Storage answered with an error (<see cref="RequestFailedException"/>), or it could not be reached. The
/// storage client retries a request that got no answer (connection refused or reset, timeout) and, when every try
/// failed that way, throws an <see cref="AggregateException"/> of the tries' exceptions, not a
/// <see cref="RequestFailedException"/>; and a connection reset while a response is read can surface as the socket's or
/// the stream's own exception (seen in CI: "Transport endpoint is not connected", with the table behind a gate that
/// resets connections). All of these are storage failures; anything else (a bug) is not.
/// </summary>
internal static class StorageFailure
{
    /// <summary>Whether <paramref name="exception"/> is a storage failure (an error answer, or storage unreachable after the client's retries).</summary>
    public static bool Is(Exception exception)
        => exception switch
        {
            RequestFailedException or IOException or SocketException or HttpRequestException or TimeoutException => true,
            AggregateException { InnerExceptions: { Count: > 0 } tries } => tries.All(t => t is OperationCanceledException || Is(t)),
            _ => false,
        };

    /// <summary>The HTTP status of the failure (0 when storage gave no answer).</summary>
    public static int Status(Exception exception)
        => exception switch
        {
            RequestFailedException failed => failed.Status,
            AggregateException tries => tries.InnerExceptions.OfType<RequestFailedException>().LastOrDefault()?.Status ?? 0,
            _ => 0,
        };
}
