using System.Net;
using System.Net.Sockets;

namespace Connector.Testing;

/// <summary>
/// A TCP forwarder on loopback in front of a server (the Sage agent), so a test can take the server "down" the way the
/// network does: while <see cref="Down"/> is true, open connections are cut and new ones are reset at once (the client
/// sees a refused or dropped connection); TLS passes through untouched (the client still pins the server's certificate).
/// </summary>
public sealed class TcpGate : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly DnsEndPoint target;
    private readonly CancellationTokenSource stop = new();
    private readonly List<TcpClient> open = [];
    private readonly Task accepting;
    private volatile bool down;

    public TcpGate(Uri target)
    {
        ArgumentNullException.ThrowIfNull(target);
        this.target = new DnsEndPoint(target.Host, target.Port);
        this.listener.Start();
        int port = ((IPEndPoint)this.listener.LocalEndpoint).Port;
        this.Address = new UriBuilder(target) { Host = "localhost", Port = port }.Uri;
        this.accepting = Task.Run(this.AcceptAsync);
    }

    /// <summary>Gets the address clients use instead of the server's.</summary>
    public Uri Address { get; }

    /// <summary>Gets how many connections were refused while down.</summary>
    public int Refused { get; private set; }

    /// <summary>Gets or sets a value indicating whether the server is unreachable through the gate.</summary>
    public bool Down
    {
        get => this.down;
        set
        {
            this.down = value;
            if (value)
            {
                lock (this.open)
                {
                    foreach (TcpClient client in this.open)
                    {
                        client.Client.LingerState = new LingerOption(true, 0);
                        client.Dispose();
                    }

                    this.open.Clear();
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await this.stop.CancelAsync();
        this.listener.Stop();
        try
        {
            await this.accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }

        this.Down = true;
        this.stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!this.stop.IsCancellationRequested)
        {
            TcpClient incoming = await this.listener.AcceptTcpClientAsync(this.stop.Token);
            if (this.down)
            {
                this.Refused++;
                incoming.Client.LingerState = new LingerOption(true, 0);
                incoming.Dispose();
                continue;
            }

            _ = Task.Run(() => this.ForwardAsync(incoming));
        }
    }

    private async Task ForwardAsync(TcpClient incoming)
    {
        using var outgoing = new TcpClient();
        lock (this.open)
        {
            this.open.Add(incoming);
            this.open.Add(outgoing);
        }

        try
        {
            await outgoing.ConnectAsync(this.target.Host, this.target.Port, this.stop.Token);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(this.stop.Token);
            NetworkStream a = incoming.GetStream(), b = outgoing.GetStream();
            Task up = a.CopyToAsync(b, linked.Token), downstream = b.CopyToAsync(a, linked.Token);
            await Task.WhenAny(up, downstream);
            await linked.CancelAsync();
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The gate went down, or one side closed: the connection ends here.
        }
        finally
        {
            lock (this.open)
            {
                this.open.Remove(incoming);
                this.open.Remove(outgoing);
            }

            incoming.Dispose();
        }
    }
}
