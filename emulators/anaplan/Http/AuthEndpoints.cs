using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Connector.Emulators.Anaplan.Model;

namespace Connector.Emulators.Anaplan.Http;

/// <summary>Anaplan's authentication service: <c>/token/authenticate|refresh|validate|logout</c>.</summary>
internal static class AuthEndpoints
{
    private const int MinimumRandomBytes = 100;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/token/authenticate", AuthenticateAsync);
        app.MapPost("/token/refresh", Refresh);
        app.MapGet("/token/validate", Validate);
        app.MapPost("/token/logout", Logout);
    }

    private static async Task<IResult> AuthenticateAsync(HttpContext context, EmulatorState state)
    {
        string? header = context.Request.Headers.Authorization;
        if (header is null)
        {
            return BadRequest("Authorization header missing");
        }

        if (header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            }
            catch (FormatException)
            {
                return BadRequest("Malformed Basic credentials");
            }

            int colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return BadRequest("Malformed Basic credentials");
            }

            string user = decoded[..colon];
            if (!state.Identity.CheckPassword(user, decoded[(colon + 1)..]))
            {
                return BadCredential(state);
            }

            state.Counters.BasicAuthentication();
            return TokenResponse(context, state.Identity.Issue(user, state.Time.GetUtcNow()), "Login successful", 201);
        }

        if (header.StartsWith("CACertificate ", StringComparison.Ordinal))
        {
            return await CertificateAsync(context, state, header[14..].Trim());
        }

        return BadRequest("Unsupported authorization scheme");
    }

    private static async Task<IResult> CertificateAsync(HttpContext context, EmulatorState state, string encodedCertificate)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(Convert.FromBase64String(encodedCertificate)));
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException or ArgumentException)
        {
            return BadRequest("Malformed certificate");
        }

        byte[] data;
        byte[] signature;
        try
        {
            JsonNode? body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            data = Convert.FromBase64String(body?["encodedData"]?.GetValue<string>() ?? string.Empty);
            signature = Convert.FromBase64String(body?["encodedSignedData"]?.GetValue<string>() ?? string.Empty);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return BadRequest("Body must be JSON with base64 encodedData and encodedSignedData");
        }

        if (data.Length < MinimumRandomBytes || signature.Length == 0)
        {
            return BadRequest("encodedData must hold at least 100 random bytes and encodedSignedData their signature");
        }

        using RSA? key = certificate.GetRSAPublicKey();
        bool signed = key is not null && key.VerifyData(data, signature, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1);
        string? user = signed ? state.Identity.UserForCertificate(certificate, state.Time.GetUtcNow()) : null;
        if (user is null)
        {
            return BadCredential(state);
        }

        state.Counters.CertificateAuthentication();
        return TokenResponse(context, state.Identity.Issue(user, state.Time.GetUtcNow()), "Login successful", 201);
    }

    private static IResult Refresh(HttpContext context, EmulatorState state)
        => WithToken(context, state, (value, now) => state.Identity.Refresh(value, now), state.Counters.Refresh, "Token refreshed");

    private static IResult Validate(HttpContext context, EmulatorState state)
        => WithToken(context, state, (value, now) => state.Identity.Find(value, now), state.Counters.Validation, "Token validated");

    private static IResult WithToken(
        HttpContext context, EmulatorState state, Func<string, DateTimeOffset, IssuedToken?> operation, Action count, string message)
    {
        string? value = TokenOf(context);
        IssuedToken? token = value is null ? null : operation(value, state.Time.GetUtcNow());
        if (token is null)
        {
            return InvalidToken();
        }

        count();
        return TokenResponse(context, token, message, 200);
    }

    private static IResult Logout(HttpContext context, EmulatorState state)
    {
        string? value = TokenOf(context);
        if (value is null || !state.Identity.Revoke(value))
        {
            return InvalidToken();
        }

        state.Counters.Logout();
        return Results.StatusCode(204);
    }

    private static IResult TokenResponse(HttpContext context, IssuedToken token, string message, int status)
    {
        HttpRequest request = context.Request;
        var body = new JsonObject
        {
            ["meta"] = new JsonObject { ["validationUrl"] = $"{request.Scheme}://{request.Host}/token/validate" },
            ["status"] = "SUCCESS",
            ["statusMessage"] = message,
            ["tokenInfo"] = new JsonObject
            {
                ["expiresAt"] = Envelope.EpochMs(token.ExpiresAt),
                ["tokenId"] = token.TokenId,
                ["tokenValue"] = token.Value,
                ["refreshTokenId"] = token.RefreshTokenId,
            },
        };
        return Envelope.Json(body, status);
    }

    private static string? TokenOf(HttpContext context)
    {
        string? header = context.Request.Headers.Authorization;
        const string scheme = "AnaplanAuthToken ";
        return header is not null && header.StartsWith(scheme, StringComparison.Ordinal) ? header[scheme.Length..].Trim() : null;
    }

    private static IResult BadCredential(EmulatorState state)
    {
        state.Counters.FailedAuthentication();
        return Envelope.Json(new JsonObject { ["status"] = "FAILURE_BAD_CREDENTIAL", ["statusMessage"] = "Bad credentials" }, 401);
    }

    private static IResult InvalidToken()
        => Envelope.Json(new JsonObject { ["status"] = "FAILURE_BAD_TOKEN", ["statusMessage"] = "Token is invalid or has expired" }, 401);

    private static IResult BadRequest(string message)
        => Envelope.Json(new JsonObject { ["status"] = "FAILURE_BAD_REQUEST", ["statusMessage"] = message }, 400);
}
