using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Connector.Agent.Security;
using Connector.Tests.Shared;

namespace Connector.Agent.Tests;

/// <summary>API keys and certificates.</summary>
public sealed class SecurityTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    [InlineData("test-api-key-7f3c9a1e5")]
    public async Task Request_WithoutValidKey_401WithoutDetailAndKeyNeverLogged(string? key)
    {
        await using TestAgent agent = await TestAgent.StartAsync();
        using HttpClient http = agent.CreateHttpClient(key);

        HttpResponseMessage response = await http.GetAsync("v1/companies/ABC/gl/accounts");
        JsonNode body = (await response.Content.ReadFromJsonAsync<JsonNode>())!;

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("{\"code\":\"unauthorized\",\"message\":\"Unauthorized.\",\"sageMessage\":null,\"record\":null,\"field\":null,\"line\":null,\"retryAfterSeconds\":null}", body.ToJsonString());
        Assert.DoesNotContain(agent.Logs.Lines, l => (key is not null && l.Contains(key, StringComparison.Ordinal)) || l.Contains(TestAgent.ApiKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Request_UnknownCompany_404NamingIt()
    {
        await using TestAgent agent = await TestAgent.StartAsync();
        using HttpClient http = agent.CreateHttpClient();
        HttpResponseMessage response = await http.GetAsync("v1/companies/ZZZ/gl/fiscal-calendar");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("'ZZZ'", (await response.Content.ReadFromJsonAsync<JsonNode>()).Str("message"), StringComparison.Ordinal);
    }

    [Fact]
    public void ApiKeyValidator_AcceptsOnlyConfiguredKeys_RejectsMalformedHashes()
    {
        string key = ApiKeyHasher.Generate();
        var validator = new ApiKeyValidator([ApiKeyHasher.Hash("other"), ApiKeyHasher.Hash(key)]);
        Assert.True(validator.IsValid(key));
        Assert.False(validator.IsValid(key + "x"));
        Assert.False(validator.IsValid(string.Empty));
        Assert.Throws<FormatException>(() => new ApiKeyValidator([key]));
        Assert.Matches("^sha256:[0-9a-f]{64}$", ApiKeyHasher.Hash(key));
    }

    [Fact]
    public async Task Certificate_SelfSignedCreatedOnceAndReusedOnNextStart()
    {
        string dir = Path.Combine(Path.GetTempPath(), "sage-agent-tests", Guid.NewGuid().ToString("N"));
        string first;
        await using (TestAgent agent = await TestAgent.StartAsync(o => o.CertificateDirectory = Path.Combine(dir, "shared-certs")))
        {
            first = agent.Handle.CertificateSha256;
            Assert.Contains(agent.Logs.Lines, l => l.Contains("[101]", StringComparison.Ordinal) && l.Contains(first, StringComparison.Ordinal));
            Assert.Contains(agent.Logs.Lines, l => l.Contains("[100]", StringComparison.Ordinal) && l.Contains(first, StringComparison.Ordinal));
        }

        await using (TestAgent again = await TestAgent.StartAsync(o => o.CertificateDirectory = Path.Combine(dir, "shared-certs")))
        {
            Assert.Equal(first, again.Handle.CertificateSha256);
            Assert.DoesNotContain(again.Logs.Lines, l => l.Contains("[101]", StringComparison.Ordinal));
        }

        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task Certificate_ConfiguredPemIsServed()
    {
        string dir = Path.Combine(Path.GetTempPath(), "sage-agent-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=agent.example.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using X509Certificate2 cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        await File.WriteAllTextAsync(Path.Combine(dir, "agent.crt"), cert.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(dir, "agent.key"), key.ExportPkcs8PrivateKeyPem());

        await using TestAgent agent = await TestAgent.StartAsync(o =>
        {
            o.CertificatePath = Path.Combine(dir, "agent.crt");
            o.CertificateKeyPath = Path.Combine(dir, "agent.key");
        });
        using HttpClient http = agent.CreateHttpClient();

        Assert.Equal(cert.GetCertHashString(HashAlgorithmName.SHA256), agent.Handle.CertificateSha256);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("v1/health")).StatusCode);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task Start_PlainHttpAddress_Refused()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => TestAgent.StartAsync(o => o.Urls = ["http://127.0.0.1:0"]));
        Assert.Contains("HTTPS only", error.Message, StringComparison.Ordinal);
    }
}
