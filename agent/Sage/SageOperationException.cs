namespace Connector.Agent.Sage;

/// <summary>The stable error codes of the agent's API.</summary>
public enum SageErrorKind
{
    /// <summary>A record lock blocked a write; retryable.</summary>
    Locked,

    /// <summary>Sage (or the agent on Sage's rules) rejected the data; never retried.</summary>
    Validation,

    /// <summary>No Sage session: licence exhausted, external access off, BOI down; retryable.</summary>
    Unavailable,

    /// <summary>Unknown company or record.</summary>
    NotFound,

    /// <summary>A malformed request: a bad cursor, a missing parameter.</summary>
    BadRequest,

    /// <summary>The external id is already used by different content.</summary>
    Conflict,
}

/// <summary>
/// A failure of a Sage operation with a stable kind, the agent's explanation and Sage's raw message.
/// </summary>
public sealed class SageOperationException : Exception
{
    public SageOperationException(SageErrorKind kind, string message, string? sageMessage = null, string? record = null, string? field = null, int? line = null)
        : base(message)
    {
        this.Kind = kind;
        this.SageMessage = sageMessage;
        this.Record = record;
        this.Field = field;
        this.Line = line;
    }

    public SageOperationException()
        : this(SageErrorKind.Unavailable, "Sage operation failed.")
    {
    }

    public SageOperationException(string message)
        : this(SageErrorKind.Unavailable, message)
    {
    }

    public SageOperationException(string message, Exception innerException)
        : base(message, innerException)
    {
        this.Kind = SageErrorKind.Unavailable;
    }

    /// <summary>Gets the stable kind.</summary>
    public SageErrorKind Kind { get; }

    /// <summary>Gets Sage's raw message (<c>sLastErrorMsg</c>), verbatim.</summary>
    public string? SageMessage { get; }

    /// <summary>Gets the record concerned, e.g. <c>journal entry EXT-1</c>.</summary>
    public string? Record { get; }

    /// <summary>Gets the field concerned, e.g. <c>lines[2].account</c>.</summary>
    public string? Field { get; }

    /// <summary>Gets the 1-based journal line concerned.</summary>
    public int? Line { get; }
}

/// <summary>
/// Classifies Sage's raw messages. Exact texts vary by version, so classification is by words: lock words are
/// retryable, validation words are not.
/// </summary>
public static class SageMessageClassifier
{
    private static readonly string[] LockWords = ["in use", "busy", "lock", "exclusive"];
    private static readonly string[] UnavailableWords = ["licen", "external access", "session", "logon", "log on"];

    /// <summary>Maps a failed call's message to a kind: lock words first, then availability, else validation.</summary>
    public static SageErrorKind Classify(string? sageMessage)
    {
        string text = sageMessage ?? string.Empty;
        if (LockWords.Any(w => text.Contains(w, StringComparison.OrdinalIgnoreCase)))
        {
            return SageErrorKind.Locked;
        }

        if (UnavailableWords.Any(w => text.Contains(w, StringComparison.OrdinalIgnoreCase)))
        {
            return SageErrorKind.Unavailable;
        }

        return SageErrorKind.Validation;
    }
}
