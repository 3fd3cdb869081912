namespace Connector.Orchestrations.Anaplan;

/// <summary>
/// Anaplan answered with an error, or could not be reached after the retries. The message names the HTTP method and
/// the request path (ids only), never a token, password or body.
/// </summary>
public class AnaplanException : Exception
{
    public AnaplanException()
    {
        this.ErrorCode = AnaplanErrorCodes.Unknown;
    }

    public AnaplanException(string message)
        : base(message)
    {
        this.ErrorCode = AnaplanErrorCodes.Unknown;
    }

    public AnaplanException(string message, Exception innerException)
        : base(message, innerException)
    {
        this.ErrorCode = AnaplanErrorCodes.Unknown;
    }

    public AnaplanException(string message, int? statusCode, string errorCode, string? requestPath, Exception? innerException = null)
        : base(message, innerException)
    {
        this.StatusCode = statusCode;
        this.ErrorCode = errorCode;
        this.RequestPath = requestPath;
    }

    /// <summary>The HTTP status Anaplan answered; null when no answer came (lost connection, timeout).</summary>
    public int? StatusCode { get; }

    /// <summary>A stable code (see <see cref="AnaplanErrorCodes"/>) to branch on.</summary>
    public string ErrorCode { get; }

    /// <summary>The request path, e.g. <c>/2/0/workspaces/{ws}/models/{m}/files/113000000001</c>. No query, no secrets.</summary>
    public string? RequestPath { get; }
}

/// <summary>Authentication failed: bad credentials, or a token that stayed invalid after re-authenticating.</summary>
public sealed class AnaplanAuthenticationException : AnaplanException
{
    public AnaplanAuthenticationException()
    {
    }

    public AnaplanAuthenticationException(string message)
        : base(message)
    {
    }

    public AnaplanAuthenticationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AnaplanAuthenticationException(string message, int? statusCode, string? requestPath, Exception? innerException = null)
        : base(message, statusCode, AnaplanErrorCodes.AuthenticationFailed, requestPath, innerException)
    {
    }
}

/// <summary>The object does not exist or the user has no access to it (Anaplan shows both as 404).</summary>
public sealed class AnaplanNotFoundException : AnaplanException
{
    public AnaplanNotFoundException()
    {
    }

    public AnaplanNotFoundException(string message)
        : base(message)
    {
    }

    public AnaplanNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AnaplanNotFoundException(string message, string? requestPath, int? statusCode = 404, string errorCode = AnaplanErrorCodes.NotFound)
        : base(message, statusCode, errorCode, requestPath)
    {
    }
}

/// <summary>The model's state blocks the call (422 archived, 423 locked, 424 offline, 425 deployed): fix the state, then retry.</summary>
public sealed class AnaplanModelStateException : AnaplanException
{
    public AnaplanModelStateException()
    {
    }

    public AnaplanModelStateException(string message)
        : base(message)
    {
    }

    public AnaplanModelStateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AnaplanModelStateException(string message, int statusCode, AnaplanModelState state, string? requestPath)
        : base(message, statusCode, AnaplanErrorCodes.ModelState, requestPath)
    {
        this.State = state;
    }

    /// <summary>The state that blocked the call.</summary>
    public AnaplanModelState State { get; }

    /// <summary>Maps 422–425 to a state; null for other codes.</summary>
    public static AnaplanModelState? StateOf(int statusCode) => statusCode switch
    {
        422 => AnaplanModelState.Archived,
        423 => AnaplanModelState.Locked,
        424 => AnaplanModelState.Offline,
        425 => AnaplanModelState.Deployed,
        _ => null,
    };
}

/// <summary>A model state that blocks integration calls.</summary>
public enum AnaplanModelState
{
    /// <summary>422: the model is archived.</summary>
    Archived,

    /// <summary>423: the model is locked.</summary>
    Locked,

    /// <summary>424: the model is offline (maintenance).</summary>
    Offline,

    /// <summary>425: the model is deployed (production; structural changes refused).</summary>
    Deployed,
}

/// <summary>The CSV header does not match the import's header names. Raised before anything is uploaded.</summary>
public sealed class AnaplanHeaderMismatchException : AnaplanException
{
    public AnaplanHeaderMismatchException()
    {
    }

    public AnaplanHeaderMismatchException(string message)
        : base(message)
    {
    }

    public AnaplanHeaderMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AnaplanHeaderMismatchException(string importId, IReadOnlyList<string> expected, IReadOnlyList<string> actual)
        : base(Describe(importId, expected, actual), null, AnaplanErrorCodes.HeaderMismatch, null)
    {
        this.ImportId = importId;
        this.Expected = expected;
        this.Actual = actual;
    }

    public string? ImportId { get; }

    public IReadOnlyList<string> Expected { get; } = [];

    public IReadOnlyList<string> Actual { get; } = [];

    private static string Describe(string importId, IReadOnlyList<string> expected, IReadOnlyList<string> actual)
    {
        IEnumerable<string> missing = expected.Except(actual, StringComparer.Ordinal);
        IEnumerable<string> extra = actual.Except(expected, StringComparer.Ordinal);
        return $"The CSV header does not match import {importId}: expected [{string.Join(",", expected)}], got [{string.Join(",", actual)}]"
            + $" (missing: [{string.Join(",", missing)}], unexpected: [{string.Join(",", extra)}]). Nothing was uploaded.";
    }
}

/// <summary>Stable values of <see cref="AnaplanException.ErrorCode"/>.</summary>
public static class AnaplanErrorCodes
{
    public const string Unknown = "unknown";
    public const string AuthenticationFailed = "authentication_failed";
    public const string NotFound = "not_found";
    public const string FileNotFound = "file_not_found";
    public const string ModelState = "model_state";
    public const string HeaderMismatch = "header_mismatch";
    public const string BadRequest = "bad_request";
    public const string Forbidden = "forbidden";
    public const string Conflict = "conflict";
    public const string RateLimited = "rate_limited";
    public const string Unavailable = "unavailable";
    public const string ServerError = "server_error";
    public const string Transport = "transport";
    public const string Timeout = "timeout";
    public const string InvalidResponse = "invalid_response";
    public const string TooManyChunks = "too_many_chunks";

    /// <summary>The code for an HTTP status.</summary>
    public static string ForStatus(int status) => status switch
    {
        400 or 405 or 406 or 415 => BadRequest,
        401 => AuthenticationFailed,
        403 => Forbidden,
        404 => NotFound,
        409 => Conflict,
        >= 422 and <= 425 => ModelState,
        429 => RateLimited,
        410 or 502 or 503 or 504 => Unavailable,
        >= 500 => ServerError,
        _ => Unknown,
    };
}
