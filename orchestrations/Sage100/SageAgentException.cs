namespace Connector.Orchestrations.Sage100;

/// <summary>The stable failure codes of the Sage agent client.</summary>
public enum SageAgentErrorCode
{
    /// <summary>A Sage record lock blocked a write (retried until the budget ran out).</summary>
    Locked,

    /// <summary>Sage rejected the data (out of balance, inactive account, closed period, unknown account...). Never retried.</summary>
    Validation,

    /// <summary>Sage or the agent cannot be reached: licence, external access, session, dropped connections (retried until the budget ran out).</summary>
    Unavailable,

    /// <summary>Unknown company or record.</summary>
    NotFound,

    /// <summary>The agent rejected the API key.</summary>
    Unauthorized,

    /// <summary>The TLS handshake failed: certificate not trusted or not pinned. Never retried (fails closed).</summary>
    Tls,

    /// <summary>The request was malformed (a bug on this side).</summary>
    BadRequest,

    /// <summary>The external id is already used by a different entry.</summary>
    Conflict,

    /// <summary>Anything else: an unexpected status or body.</summary>
    Protocol,
}

/// <summary>
/// A failed call to the Sage agent: the stable <see cref="Code"/>, Sage's raw message, and the record and field when
/// known. Catch with filters, e.g. <c>catch (SageAgentException ex) when (ex.Code == SageAgentErrorCode.Validation)</c>.
/// Never carries the API key.
/// </summary>
public class SageAgentException : Exception
{
    public SageAgentException(SageAgentErrorCode code, string message, int? status = null, string? sageMessage = null, string? record = null, string? field = null, int? line = null, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, innerException)
    {
        this.Code = code;
        this.Status = status;
        this.SageMessage = sageMessage;
        this.Record = record;
        this.Field = field;
        this.Line = line;
        this.RetryAfter = retryAfter;
    }

    public SageAgentException()
        : this(SageAgentErrorCode.Protocol, "The Sage agent call failed.")
    {
    }

    public SageAgentException(string message)
        : this(SageAgentErrorCode.Protocol, message)
    {
    }

    public SageAgentException(string message, Exception innerException)
        : this(SageAgentErrorCode.Protocol, message, innerException: innerException)
    {
    }

    /// <summary>Gets the stable code.</summary>
    public SageAgentErrorCode Code { get; }

    /// <summary>Gets the HTTP status, when a response was received.</summary>
    public int? Status { get; }

    /// <summary>Gets Sage's raw message, verbatim.</summary>
    public string? SageMessage { get; }

    /// <summary>Gets the record concerned, e.g. <c>journal entry BUD-2027-001</c>.</summary>
    public string? Record { get; }

    /// <summary>Gets the field concerned, e.g. <c>lines[1].account</c>.</summary>
    public string? Field { get; }

    /// <summary>Gets the 1-based journal line concerned.</summary>
    public int? Line { get; }

    /// <summary>Gets the delay the agent asked for (Retry-After).</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>Gets whether the client retries this failure.</summary>
    public bool IsTransient => this.Code is SageAgentErrorCode.Locked or SageAgentErrorCode.Unavailable;
}

/// <summary>
/// A refusal by the Sage agent that waiting will not heal: the API key was rejected, the agent's certificate is not the
/// pinned one, the company is not configured on the agent, or the request was malformed. A run stops at once on it
/// (no durable retries) so the operator sees the setting to fix; other <see cref="SageAgentException"/>s may be retried.
/// </summary>
public sealed class SageAgentRefusedException : SageAgentException
{
    public SageAgentRefusedException(SageAgentErrorCode code, string message, int? status = null, string? sageMessage = null, string? record = null, string? field = null, int? line = null, Exception? innerException = null)
        : base(code, message, status, sageMessage, record, field, line, innerException: innerException)
    {
    }

    public SageAgentRefusedException()
        : this(SageAgentErrorCode.Protocol, "The Sage agent refused the call.")
    {
    }

    public SageAgentRefusedException(string message)
        : this(SageAgentErrorCode.Protocol, message)
    {
    }

    public SageAgentRefusedException(string message, Exception innerException)
        : this(SageAgentErrorCode.Protocol, message, innerException: innerException)
    {
    }

    /// <summary>Whether a failure with this code (and record) is a refusal that retrying cannot change.</summary>
    public static bool IsRefusal(SageAgentErrorCode code, string? record)
        => code is SageAgentErrorCode.Unauthorized or SageAgentErrorCode.Tls or SageAgentErrorCode.BadRequest
            || (code == SageAgentErrorCode.NotFound && record is not null && record.StartsWith("company ", StringComparison.Ordinal));
}
