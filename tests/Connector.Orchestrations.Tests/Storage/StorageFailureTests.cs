using System.Net.Sockets;
using Azure;
using Connector.Orchestrations.Storage;

namespace Connector.Orchestrations.Tests.Storage;

/// <summary>
/// Which exceptions the hint stores' callers take as "storage failed" and go on without the hint: every way the storage
/// client reports an unreachable or failing service, never a bug. The socket's own exception is what a run in CI failed
/// on (a table behind a gate that resets connections: "Transport endpoint is not connected").
/// </summary>
public sealed class StorageFailureTests
{
    public static TheoryData<Exception> Failures => new()
    {
        new RequestFailedException(503, "Service Unavailable"),
        new SocketException((int)SocketError.NotConnected),
        new IOException("Unable to read data from the transport connection: Connection reset by peer."),
        new HttpRequestException("Connection refused"),
        new TimeoutException(),
        new AggregateException(new RequestFailedException("reset"), new SocketException((int)SocketError.ConnectionReset), new TaskCanceledException()),
    };

    public static TheoryData<Exception> Bugs => new()
    {
        new InvalidOperationException("a bug"),
        new NullReferenceException(),
        new AggregateException(new RequestFailedException("reset"), new ArgumentException("a bug")),
        new AggregateException(),
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void StorageUnreachableOrFailing_IsAStorageFailure(Exception exception) => Assert.True(StorageFailure.Is(exception), exception.ToString());

    [Theory]
    [MemberData(nameof(Bugs))]
    public void AnythingElse_IsNot(Exception exception) => Assert.False(StorageFailure.Is(exception), exception.ToString());

    [Fact]
    public void Status_IsTheAnswersOrZeroWithoutOne()
    {
        Assert.Equal(503, StorageFailure.Status(new RequestFailedException(503, "Service Unavailable")));
        Assert.Equal(0, StorageFailure.Status(new SocketException((int)SocketError.NotConnected)));
        Assert.Equal(0, StorageFailure.Status(new AggregateException(new IOException("reset"))));
    }
}
