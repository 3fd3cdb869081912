using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Connector.Orchestrations.Credentials;

namespace Connector.Orchestrations.Anaplan;

/// <summary>Logs in to Anaplan's auth service with basic or certificate credentials taken from the credential store.</summary>
internal sealed class AnaplanAuthenticator(AnaplanClientOptions options, ICredentialStore credentials, AnaplanTransport transport) : IAnaplanAuthenticator
{
    private const int RandomByteCount = 150;

    public string CacheKey { get; } = options.AuthBaseUri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "|" + options.Credential.CacheKey;

    public string Description { get; } = options.Credential.Kind == AnaplanCredentialKind.Basic
        ? $"{options.AuthBaseUri.Host}, basic, user {options.Credential.UserName}, password stored under '{options.Credential.PasswordReference}'"
        : $"{options.AuthBaseUri.Host}, certificate {options.Credential.CertificateReference}";

    public async Task<AnaplanToken> AuthenticateAsync(CancellationToken cancellationToken)
    {
        AnaplanCredentialOptions credential = options.Credential;
        var request = new AnaplanRequest(HttpMethod.Post, new Uri(options.AuthBaseUri, "token/authenticate"));
        Func<HttpRequestMessage, ValueTask> decorate;
        if (credential.Kind == AnaplanCredentialKind.Basic)
        {
            Secret password = await credentials.GetAsync(credential.PasswordReference!, cancellationToken);
            string basic = Convert.ToBase64String(Encoding.UTF8.GetBytes(credential.UserName + ":" + password.Reveal()));
            decorate = message =>
            {
                message.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
                return ValueTask.CompletedTask;
            };
        }
        else
        {
            Secret certificatePem = await credentials.GetAsync(credential.CertificateReference!, cancellationToken);
            Secret keyPem = await credentials.GetAsync(credential.PrivateKeyReference!, cancellationToken);
            (string header, byte[] body) = SignedChallenge(certificatePem, keyPem, credential.CertificateReference!);
            decorate = message =>
            {
                message.Headers.TryAddWithoutValidation("Authorization", "CACertificate " + header);
                return ValueTask.CompletedTask;
            };
            request = request with { Content = () => Json(body) };
        }

        using HttpResponseMessage response = await transport.SendAnonymousAsync(request, decorate, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            throw new AnaplanAuthenticationException(
                $"Anaplan refused the credentials ({this.Description}) with 401 at {request.Path}.", 401, request.Path);
        }

        if (!response.IsSuccessStatusCode)
        {
            AnaplanException error = await AnaplanTransport.ErrorAsync(request, response, cancellationToken);
            throw new AnaplanAuthenticationException($"Authentication failed ({this.Description}): {error.Message}", error.StatusCode, request.Path, error);
        }

        return await ReadTokenAsync(request, response, cancellationToken);
    }

    public async Task<AnaplanToken?> RefreshAsync(string token, CancellationToken cancellationToken)
    {
        var request = new AnaplanRequest(HttpMethod.Post, new Uri(options.AuthBaseUri, "token/refresh"));
        using HttpResponseMessage response = await transport.SendAnonymousAsync(request, message =>
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("AnaplanAuthToken", token);
            return ValueTask.CompletedTask;
        }, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw await AnaplanTransport.ErrorAsync(request, response, cancellationToken);
        }

        return await ReadTokenAsync(request, response, cancellationToken);
    }

    /// <summary>The CACertificate header value and the JSON body: random bytes and their SHA512withRSA signature.</summary>
    private static (string Header, byte[] Body) SignedChallenge(Secret certificatePem, Secret keyPem, string reference)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(certificatePem.Reveal(), keyPem.Reveal());
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            // The inner exception is left out: its text could quote the PEM.
            throw new AnaplanAuthenticationException(
                $"The certificate or private key stored for '{reference}' is not a PEM certificate with a matching RSA private key ({ex.GetType().Name}).");
        }

        using (certificate)
        {
            using RSA key = certificate.GetRSAPrivateKey()
                ?? throw new AnaplanAuthenticationException($"The certificate stored for '{reference}' has no RSA private key.");
            byte[] data = RandomNumberGenerator.GetBytes(RandomByteCount);
            byte[] signature = key.SignData(data, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1);
            string header = Convert.ToBase64String(Encoding.ASCII.GetBytes(certificate.ExportCertificatePem()));
            byte[] body = JsonSerializer.SerializeToUtf8Bytes(new
            {
                encodedData = Convert.ToBase64String(data),
                encodedSignedData = Convert.ToBase64String(signature),
            });
            return (header, body);
        }
    }

    private static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static async Task<AnaplanToken> ReadTokenAsync(AnaplanRequest request, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken));
            JsonElement info = json.RootElement.GetProperty("tokenInfo");
            string value = info.GetProperty("tokenValue").GetString() ?? throw new FormatException("tokenValue is null");
            long expiresAt = info.GetProperty("expiresAt").GetInt64();
            return new AnaplanToken(value, DateTimeOffset.FromUnixTimeMilliseconds(expiresAt));
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            throw new AnaplanException(
                $"Anaplan's answer to {request.Method} {request.Path} has no usable tokenInfo.", (int)response.StatusCode, AnaplanErrorCodes.InvalidResponse, request.Path);
        }
    }
}
