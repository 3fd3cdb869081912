using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Connector.Tests.Shared;

namespace Connector.Agent.Tests;

/// <summary>
/// The agent as a service manager runs it: <c>Connector.Agent</c> as its own process, stopped with SIGTERM. It must be
/// gone within 10 s (a correctness bound for shutdown), finish the request it was serving, and leave nothing behind:
/// the port closed, and the next start on the same folder serves with the same certificate. Plus its command line's answers to bad input.
/// </summary>
public sealed class AgentProcessTests : IDisposable
{
    private static readonly TimeSpan StopBound = TimeSpan.FromSeconds(10);
    private readonly string directory = Path.Combine(Path.GetTempPath(), "sage-agent-process", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Sigterm_FinishesTheRequestInFlight_ExitsWithin10s_LeavesPortAndLedgerFree()
    {
        await using CommandProcess agent = CommandProcess.Start("Connector.Agent.dll", this.AgentArguments());
        string listening = await agent.WaitForLineAsync(l => l.StartsWith("Sage agent (simulated) listening on ", StringComparison.Ordinal), TimeSpan.FromSeconds(90));
        var address = new Uri(listening["Sage agent (simulated) listening on ".Length..].Trim());
        using HttpClient http = Client(address);

        // A page that takes 3 s (the simulated backend's slow-page fault) is in flight when the signal comes.
        using (HttpResponseMessage armed = await http.PutAsync("_sim/companies/ABC/faults", Json("""{"slowPageMilliseconds":3000}""")))
        {
            armed.EnsureSuccessStatusCode();
        }

        Task<HttpResponseMessage> inFlight = http.GetAsync("v1/companies/ABC/gl/accounts?limit=5");
        await agent.WaitForLineAsync(l => l.Contains("GET /v1/companies/ABC/gl/accounts started", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        var stopping = Stopwatch.StartNew();
        agent.Terminate();

        using HttpResponseMessage answer = await inFlight;
        int exit = await agent.WaitForExitAsync(StopBound);
        Assert.True(exit == 0, $"exit {exit} after {stopping.Elapsed}\n{agent.Output}\n{agent.Errors}");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Contains("\"items\"", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("Sage agent stopping", agent.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", agent.Output + agent.Errors, StringComparison.Ordinal);

        // Nothing left behind: the port no longer answers, and the agent starts again on the same folder with the same
        // certificate (the one the connector pinned) and data, and stops again as cleanly.
        using (var probe = new TcpClient())
        {
            await Assert.ThrowsAsync<SocketException>(() => probe.ConnectAsync(address.Host, address.Port));
        }

        string fingerprint = Fingerprint(agent.Output);
        await using CommandProcess again = CommandProcess.Start("Connector.Agent.dll", this.AgentArguments());
        string relisten = await again.WaitForLineAsync(l => l.StartsWith("Sage agent (simulated) listening on ", StringComparison.Ordinal), TimeSpan.FromSeconds(90));
        await again.WaitForLineAsync(l => l.StartsWith("Certificate SHA-256 fingerprint", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.Equal(fingerprint, Fingerprint(again.Output));
        using (HttpClient http2 = Client(new Uri(relisten["Sage agent (simulated) listening on ".Length..].Trim())))
        using (HttpResponseMessage health = await http2.GetAsync("v1/health"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        again.Terminate();
        Assert.Equal(0, await again.WaitForExitAsync(StopBound));
    }

    [Theory]
    [InlineData("--backend sage", "Argument 'sage' not recognized. Must be one of:")]
    [InlineData("generate --invoices lots", "--invoices must be a whole number of at least 1, not 'lots'.")]
    [InlineData("generate --company XYZ", "'XYZ'")]
    [InlineData("frobnicate", "'frobnicate'")]
    public async Task BadCommandLine_UsageExitCode_MessageOnly(string commandLine, string message)
    {
        (int exit, string output, string errors) = await CommandProcess.RunAsync("Connector.Agent.dll", commandLine.Split(' '));

        Assert.True(exit == 2, $"exit {exit}\n{output}\n{errors}");
        Assert.Contains(message, errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlainHttpAddress_RefusedAtStart_MessageOnly()
    {
        (int exit, string output, string errors) = await CommandProcess.RunAsync(
            "Connector.Agent.dll", [.. this.AgentArguments().Select(a => a == "https://127.0.0.1:0" ? "http://127.0.0.1:0" : a)]);

        Assert.Equal(1, exit);
        Assert.Contains("The agent cannot start: The agent listens on HTTPS only; 'http://127.0.0.1:0' is not an https:// address.", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_DescribesTheServiceAndEveryCommand()
    {
        (int exit, string output, _) = await CommandProcess.RunAsync("Connector.Agent.dll", ["--help"]);

        Assert.Equal(0, exit);
        Assert.Contains("Runs until Ctrl+C, SIGTERM or the Windows service stops.", output, StringComparison.Ordinal);
        Assert.Contains("--backend <boi|simulated>", output, StringComparison.Ordinal);
        foreach (string command in new[] { "hash-key", "generate-key", "generate" })
        {
            Assert.Contains(command, output, StringComparison.Ordinal);
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(this.directory))
        {
            Directory.Delete(this.directory, recursive: true);
        }
    }

    private string[] AgentArguments() =>
    [
        "--backend", "simulated", "--urls", "https://127.0.0.1:0",
        "--Agent:ApiKeys:0", TestKey,
        "--Agent:CertificateDirectory", Path.Combine(this.directory, "certs"),
        "--Agent:LedgerPath", Path.Combine(this.directory, "ledger.db"),
        "--Agent:Simulated:DataDirectory", Path.Combine(this.directory, "sim"),
        "--Logging:LogLevel:Connector.Agent", "Debug", // the agent's own "started" line shows what is in flight
    ];

    private const string TestKey = "process-test-key-0123456789";

    private static HttpClient Client(Uri address)
    {
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
        var http = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("X-Api-Key", TestKey);
        return http;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Fingerprint(string output)
        => output.Split('\n').Single(l => l.StartsWith("Certificate SHA-256 fingerprint", StringComparison.Ordinal)).Split(':')[^1].Trim();
}
