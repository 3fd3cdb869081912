using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Connector.Tests.Shared;
using Microsoft.Extensions.Logging;

namespace Connector.Agent.Tests;

/// <summary>
/// The agent's transport rules, however it is configured: every endpoint HTTPS (Kestrel endpoints from configuration
/// included: the agent refuses to start otherwise), and nothing that can carry a secret (query strings, headers) in
/// its log, whatever the log levels say.
/// </summary>
public sealed class HostingSecurityTests
{
    private const string KeyInUrl = "a5f0c9e1d7b3-key-in-the-url";

    [Fact]
    public async Task Request_KeyInTheQueryString_NeverReachesTheLog_EvenAtTraceLevel()
    {
        await using TestAgent agent = await TestAgent.StartAsync(o =>
        {
            Action<ILoggingBuilder>? configured = o.ConfigureLogging;
            o.ConfigureLogging = b =>
            {
                configured?.Invoke(b);
                b.SetMinimumLevel(LogLevel.Trace);
                b.AddFilter("Microsoft.AspNetCore", LogLevel.Trace); // an operator turning everything up
            };
        });
        using HttpClient http = agent.CreateHttpClient();
        http.DefaultRequestHeaders.Add("X-Debug-Token", "header-" + KeyInUrl);

        HttpResponseMessage ok = await http.GetAsync($"v1/companies/ABC/gl/accounts?limit=2&apiKey={KeyInUrl}");
        using HttpClient noKey = agent.CreateHttpClient(apiKey: null);
        HttpResponseMessage refused = await noKey.GetAsync($"v1/health?api_key={KeyInUrl}");

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains(agent.Logs.Lines, l => l.Contains("GET /v1/companies/ABC/gl/accounts answered 200", StringComparison.Ordinal)); // requests are logged, paths only
        Assert.DoesNotContain(agent.Logs.Lines, l => l.Contains(KeyInUrl, StringComparison.Ordinal) || l.Contains(TestAgent.ApiKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_PlainHttpKestrelEndpointFromConfiguration_Refused_NothingServed()
    {
        int port = FreePort();
        string[] args = [$"--Kestrel:Endpoints:Secure:Url=https://127.0.0.1:0", $"--Kestrel:Endpoints:Plain:Url=http://127.0.0.1:{port}"];
        string directory = Path.Combine(Path.GetTempPath(), "sage-agent-tests", Guid.NewGuid().ToString("N"));

        var error = await Assert.ThrowsAsync<ArgumentException>(() => SageAgentHost.StartAsync(Options(directory), args));

        Assert.Contains("HTTPS only", error.Message, StringComparison.Ordinal);
        Assert.Contains("Kestrel:Endpoints:Plain:Url", error.Message, StringComparison.Ordinal);
        Assert.False(await AcceptsAsync(port), "something listens on the plain HTTP port");
    }

    [Fact]
    public async Task Process_PlainHttpKestrelEndpointFromEnvironment_RefusesToStart_AndTheKeyNeverTravelsInClear()
    {
        int port = FreePort();
        string directory = Path.Combine(Path.GetTempPath(), "sage-agent-tests", Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Connector.Agent.dll"));
        foreach (string arg in new[]
        {
            "--backend", "simulated", "--urls", "https://127.0.0.1:0", "--Agent:ApiKeys:0", TestAgent.ApiKey,
            "--Agent:CertificateDirectory", Path.Combine(directory, "certs"), "--Agent:LedgerPath", Path.Combine(directory, "ledger.db"),
            "--Agent:Simulated:DataDirectory", Path.Combine(directory, "sim"),
        })
        {
            start.ArgumentList.Add(arg);
        }

        // As an operator's environment would have it: one https endpoint, and a plain one next to it.
        start.Environment["Kestrel__Endpoints__Secure__Url"] = "https://127.0.0.1:0";
        start.Environment["Kestrel__Endpoints__Plain__Url"] = $"http://127.0.0.1:{port}";
        using Process agent = Process.Start(start)!;
        var output = new StringBuilder();
        agent.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        agent.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        agent.BeginOutputReadLine();
        agent.BeginErrorReadLine();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            bool served = false;
            while (!agent.HasExited && !timeout.IsCancellationRequested)
            {
                // While the process lives, the plain port must never answer a request carrying the key.
                served |= await ServesPlainHttpAsync(port);
                await Task.WhenAny(agent.WaitForExitAsync(timeout.Token), Task.Delay(200, timeout.Token));
            }

            if (agent.HasExited)
            {
                // Exited is not yet all read: the last lines may still be on their way to the handlers above (a clean-clone
                // CI saw an empty output here once). WaitForExitAsync also waits for both redirected streams to end.
                using var drained = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await agent.WaitForExitAsync(drained.Token);
            }

            Assert.False(served, $"the agent served plain HTTP on port {port}:\n{output}");
            Assert.True(agent.HasExited, $"the agent kept running with a plain HTTP endpoint:\n{output}");
            Assert.NotEqual(0, agent.ExitCode);
            lock (output)
            {
                Assert.Contains("HTTPS only", output.ToString(), StringComparison.Ordinal);
                Assert.Contains("Kestrel:Endpoints:Plain:Url", output.ToString(), StringComparison.Ordinal);
            }
        }
        finally
        {
            if (!agent.HasExited)
            {
                agent.Kill(entireProcessTree: true);
            }
        }
    }

    private static AgentHostOptions Options(string directory)
    {
        var options = new AgentHostOptions
        {
            Backend = "simulated",
            ApiKeys = [TestAgent.ApiKey],
            CertificateDirectory = Path.Combine(directory, "certs"),
            LedgerPath = Path.Combine(directory, "ledger.db"),
            ConfigureLogging = b => b.ClearProviders(),
        };
        options.Simulated.DataDirectory = Path.Combine(directory, "sim");
        return options;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(2));
            return true;
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException)
        {
            return false;
        }
    }

    private static async Task<bool> ServesPlainHttpAsync(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        http.DefaultRequestHeaders.Add("X-Api-Key", TestAgent.ApiKey);
        try
        {
            HttpResponseMessage response = await http.GetAsync($"http://127.0.0.1:{port}/v1/health");
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }
}
