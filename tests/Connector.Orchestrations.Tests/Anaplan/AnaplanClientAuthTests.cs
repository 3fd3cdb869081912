using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Connector.Orchestrations.Anaplan;
using Microsoft.Extensions.Time.Testing;

namespace Connector.Orchestrations.Tests.Anaplan;

public sealed class AnaplanClientAuthTests
{
    [Fact]
    public async Task Calls_LongSessionWithinTokenLifetime_AuthenticateOnceAndNeverRefresh()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync(time: time);
        AnaplanClient client = host.Client();

        for (int minute = 0; minute < 29; minute++)
        {
            Assert.NotEmpty(await client.ListImportsAsync());
            time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal(1, host.State.Counters.Authentications);
        Assert.Equal(0, host.State.Counters.Refreshes);
    }

    [Fact]
    public async Task Calls_CrossingRefreshWindow_RefreshOnceAndAdoptNewTokenValue()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync(o => o.RefreshIssuesNewTokenValue = true, time);
        AnaplanClient client = host.Client();
        await client.ListImportsAsync();

        time.Advance(TimeSpan.FromMinutes(31)); // 4 minutes left: inside the 5-minute window
        await client.ListImportsAsync();
        await client.ListExportsAsync();

        Assert.Equal(1, host.State.Counters.Authentications);
        Assert.Equal(1, host.State.Counters.Refreshes);
        // The old value died with the refresh: any call that kept it would have been answered 401.
        Assert.Equal(0, host.State.Counters.UnauthorizedApiRequests);
    }

    [Fact]
    public async Task Calls_TwentyConcurrentInRefreshWindow_ShareExactlyOneRefresh()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync(time: time);
        AnaplanClient client = host.Client();
        await client.GetModelAsync();
        time.Advance(TimeSpan.FromMinutes(32));

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => client.ListImportsAsync())));

        Assert.Equal(1, host.State.Counters.Authentications);
        Assert.Equal(1, host.State.Counters.Refreshes);
        Assert.Equal(0, host.State.Counters.UnauthorizedApiRequests);
    }

    [Fact]
    public async Task Calls_AfterTokenExpired_AuthenticateAgainInsteadOfRefreshing()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync(time: time);
        AnaplanClient client = host.Client();
        await client.ListImportsAsync();

        time.Advance(TimeSpan.FromMinutes(36));
        await client.ListImportsAsync();

        Assert.Equal(2, host.State.Counters.Authentications);
        Assert.Equal(0, host.State.Counters.Refreshes);
    }

    [Fact]
    public async Task Call_TokenRevokedServerSide_ReauthenticatesOnceAndReplays()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client();
        await client.ListImportsAsync();
        host.State.RevokeAllTokens();

        IReadOnlyList<AnaplanImport> imports = await client.ListImportsAsync();

        Assert.Equal(5, imports.Count);
        Assert.Equal(2, host.State.Counters.Authentications);
        Assert.Equal(1, host.State.Counters.UnauthorizedApiRequests);
    }

    [Fact]
    public async Task Clients_SameCredential_ShareOneToken()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();

        await host.Client().ListImportsAsync();
        await host.Client().ListExportsAsync();
        await host.Client().ForModel(AnaplanTestHost.WorkspaceId, AnaplanTestHost.ModelId).ListFilesAsync();

        Assert.Equal(1, host.State.Counters.Authentications);
    }

    [Fact]
    public async Task Call_BadPassword_ThrowsAuthenticationErrorWithoutSecretInMessageOrLogs()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        const string wrong = "Wr0ng-but-still-secret";
        host.Credentials.Set("anaplan-password", wrong);
        AnaplanClient client = host.Client();

        AnaplanAuthenticationException error = await Assert.ThrowsAsync<AnaplanAuthenticationException>(() => client.ListImportsAsync());

        Assert.Equal(401, error.StatusCode);
        Assert.Equal(AnaplanErrorCodes.AuthenticationFailed, error.ErrorCode);
        Assert.Contains(AnaplanTestHost.User, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, string.Join('\n', host.Logs.Lines), StringComparison.Ordinal);
        Assert.Equal(1, host.State.Counters.FailedAuthentications); // 401 on login is not retried
    }

    [Fact]
    public async Task Calls_Succeed_NeitherPasswordNorTokenIsLoggedOrPutInUrls()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        var seenUrls = new System.Collections.Concurrent.ConcurrentBag<string>();
        var seenTokens = new System.Collections.Concurrent.ConcurrentBag<string>();
        host.Handler.OnSend = r =>
        {
            seenUrls.Add(r.RequestUri!.ToString());
            if (r.Headers.Authorization is { Scheme: "AnaplanAuthToken" } auth)
            {
                seenTokens.Add(auth.Parameter!);
            }
        };
        AnaplanClient client = host.Client();
        host.State.RevokeAllTokens();

        await client.ListImportsAsync();
        host.State.RevokeAllTokens();
        await client.ListExportsAsync(); // 401, re-authentication, replay: all logged

        string logs = string.Join('\n', host.Logs.Lines);
        Assert.NotEmpty(seenTokens);
        Assert.DoesNotContain(AnaplanTestHost.Password, logs, StringComparison.Ordinal);
        Assert.All(seenTokens, token =>
        {
            Assert.DoesNotContain(token, logs, StringComparison.Ordinal);
            Assert.All(seenUrls, url => Assert.DoesNotContain(token, url, StringComparison.Ordinal));
        });
    }

    [Fact]
    public async Task Call_CertificateCredential_LogsInWithSignedRandomBytes()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        (string certificatePem, string keyPem) = SelfSigned("CN=integration");
        host.State.AddCertificateUser("integration-cert@example.com", certificatePem);
        host.Credentials.Set("anaplan-cert", certificatePem).Set("anaplan-key", keyPem);
        AnaplanClient client = host.Client(o => o.Credential = new AnaplanCredentialOptions
        {
            Kind = AnaplanCredentialKind.Certificate,
            CertificateReference = "anaplan-cert",
            PrivateKeyReference = "anaplan-key",
        });

        IReadOnlyList<AnaplanWorkspace> workspaces = await client.ListWorkspacesAsync();

        Assert.Single(workspaces);
        Assert.Equal(1, host.State.Counters.CertificateAuthentications);
    }

    [Fact]
    public async Task Call_UntrustedCertificate_ThrowsWithoutKeyMaterialInMessage()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        (string trusted, _) = SelfSigned("CN=trusted");
        (string other, string otherKey) = SelfSigned("CN=stranger");
        host.State.AddCertificateUser("integration-cert@example.com", trusted);
        host.Credentials.Set("anaplan-cert", other).Set("anaplan-key", otherKey);
        AnaplanClient client = host.Client(o => o.Credential = new AnaplanCredentialOptions
        {
            Kind = AnaplanCredentialKind.Certificate,
            CertificateReference = "anaplan-cert",
            PrivateKeyReference = "anaplan-key",
        });

        AnaplanAuthenticationException error = await Assert.ThrowsAsync<AnaplanAuthenticationException>(() => client.ListWorkspacesAsync());

        Assert.Equal(401, error.StatusCode);
        string keyBody = otherKey.Split('\n')[1];
        Assert.DoesNotContain(keyBody, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(keyBody, string.Join('\n', host.Logs.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_MissingCredentialReference_NamesTheReferenceOnly()
    {
        await using AnaplanTestHost host = await AnaplanTestHost.StartAsync();
        AnaplanClient client = host.Client(o => o.Credential.PasswordReference = "no-such-reference");

        Connector.Orchestrations.Credentials.CredentialNotFoundException error =
            await Assert.ThrowsAsync<Connector.Orchestrations.Credentials.CredentialNotFoundException>(() => client.ListImportsAsync());

        Assert.Equal("no-such-reference", error.Reference);
    }

    private static (string CertificatePem, string KeyPem) SelfSigned(string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }
}
