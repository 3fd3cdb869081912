using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace Connector.Emulators.Anaplan.Tests;

public sealed class AuthEndpointsTests
{
    [Fact]
    public async Task Authenticate_GoodBasicCredentials_201WithDocumentedEnvelope()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync(o => o.TimeProvider = time);

        JsonElement body = await anaplan.LoginAsync();

        Assert.Equal("SUCCESS", body.GetProperty("status").GetString());
        Assert.Equal("Login successful", body.GetProperty("statusMessage").GetString());
        Assert.True(body.GetProperty("meta").TryGetProperty("validationUrl", out _));
        JsonElement info = body.GetProperty("tokenInfo");
        Assert.True(Guid.TryParse(info.GetProperty("tokenId").GetString(), out _));
        Assert.True(Guid.TryParse(info.GetProperty("refreshTokenId").GetString(), out _));
        Assert.Equal((time.GetUtcNow() + TimeSpan.FromMinutes(35)).ToUnixTimeMilliseconds(), info.GetProperty("expiresAt").GetInt64());
    }

    [Theory]
    [InlineData("Basic cGxhbm5lckBleGFtcGxlLmNvbTp3cm9uZw==", 401)] // planner@example.com:wrong
    [InlineData("Basic !!not-base64!!", 400)]
    [InlineData("Bearer abc", 400)]
    public async Task Authenticate_BadOrMalformedCredentials_Refused(string header, int status)
    {
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "token/authenticate");
        request.Headers.TryAddWithoutValidation("Authorization", header);

        using HttpResponseMessage response = await anaplan.Http.SendAsync(request);

        Assert.Equal(status, (int)response.StatusCode);
        if (status == 401)
        {
            Assert.Equal("FAILURE_BAD_CREDENTIAL", (await EmulatorHarness.JsonAsync(response)).GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task ApiCall_AfterLifetime_401UntilRefreshedBeforeExpiry()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync(o => o.TimeProvider = time);
        await anaplan.LoginAsync();
        string first = anaplan.Token!;

        time.Advance(TimeSpan.FromMinutes(34));
        using HttpResponseMessage refresh = await anaplan.SendAsync(HttpMethod.Post, "token/refresh");
        string second = (await EmulatorHarness.JsonAsync(refresh)).GetProperty("tokenInfo").GetProperty("tokenValue").GetString()!;
        time.Advance(TimeSpan.FromMinutes(34)); // 68 minutes after login, 34 after refresh

        using HttpResponseMessage withOld = await anaplan.SendAsync(HttpMethod.Get, "/2/0/workspaces", token: first);
        using HttpResponseMessage withNew = await anaplan.SendAsync(HttpMethod.Get, "/2/0/workspaces", token: second);
        time.Advance(TimeSpan.FromMinutes(2));
        using HttpResponseMessage expired = await anaplan.SendAsync(HttpMethod.Get, "/2/0/workspaces", token: second);

        Assert.Equal(200, (int)refresh.StatusCode);
        Assert.NotEqual(first, second);
        Assert.Equal(401, (int)withOld.StatusCode);
        Assert.Equal(200, (int)withNew.StatusCode);
        Assert.Equal(401, (int)expired.StatusCode);
    }

    [Fact]
    public async Task Logout_Token_DeadAfterwards()
    {
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync();
        await anaplan.LoginAsync();

        using HttpResponseMessage validate = await anaplan.SendAsync(HttpMethod.Get, "token/validate");
        using HttpResponseMessage logout = await anaplan.SendAsync(HttpMethod.Post, "token/logout");
        using HttpResponseMessage after = await anaplan.SendAsync(HttpMethod.Get, "/2/0/workspaces");

        Assert.Equal(200, (int)validate.StatusCode);
        Assert.Equal(204, (int)logout.StatusCode);
        Assert.Equal(401, (int)after.StatusCode);
    }

    [Fact]
    public async Task Authenticate_CertificateWithTooFewRandomBytes_400()
    {
        await using EmulatorHarness anaplan = await EmulatorHarness.StartAsync();
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var csr = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=x", key, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var cert = csr.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        byte[] data = new byte[50];
        byte[] signature = key.SignData(data, System.Security.Cryptography.HashAlgorithmName.SHA512, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var request = new HttpRequestMessage(HttpMethod.Post, "token/authenticate")
        {
            Content = EmulatorHarness.Json(JsonSerializer.Serialize(new { encodedData = Convert.ToBase64String(data), encodedSignedData = Convert.ToBase64String(signature) })),
        };
        request.Headers.TryAddWithoutValidation("Authorization", "CACertificate " + Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(cert.ExportCertificatePem())));

        using HttpResponseMessage response = await anaplan.Http.SendAsync(request);

        Assert.Equal(400, (int)response.StatusCode);
    }
}
