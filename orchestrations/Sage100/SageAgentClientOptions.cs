namespace Connector.Orchestrations.Sage100;

/// <summary>How the client checks the agent's TLS certificate.</summary>
public enum SageTlsMode
{
    /// <summary>The machine's normal certificate validation (a certificate from a trusted CA, matching host name).</summary>
    System,

    /// <summary>Accept only certificates whose SHA-256 fingerprint is in <see cref="SageAgentClientOptions.PinnedSha256Fingerprints"/>. Recommended for self-signed agents.</summary>
    Pinned,

    /// <summary>Accept any certificate. Explicit opt-in; a warning is logged every time a client starts.</summary>
    InsecureSkipVerify,
}

/// <summary>Settings of <see cref="SageAgentClient"/>.</summary>
public sealed class SageAgentClientOptions
{
    /// <summary>Gets or sets the agent's base address, e.g. <c>https://sage-server:5443/</c>.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>Gets or sets the Sage company code sent with every request, e.g. <c>ABC</c>.</summary>
    public string CompanyCode { get; set; } = string.Empty;

    /// <summary>Gets or sets the credential-store reference of the agent's API key (never the key itself).</summary>
    public string ApiKeyReference { get; set; } = string.Empty;

    /// <summary>Gets or sets the TLS mode; <see cref="SageTlsMode.System"/> by default.</summary>
    public SageTlsMode TlsMode { get; set; } = SageTlsMode.System;

    /// <summary>Gets the accepted SHA-256 certificate fingerprints in <see cref="SageTlsMode.Pinned"/> mode (hex; colons and case ignored).</summary>
    public IList<string> PinnedSha256Fingerprints { get; } = [];

    /// <summary>Gets or sets the timeout of one HTTP attempt.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>Gets or sets the TCP/TLS connect timeout.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Gets or sets how many times a retryable failure (locked, unavailable, dropped connection, attempt timeout) is retried.</summary>
    public int MaxRetryAttempts { get; set; } = 6;

    /// <summary>Gets or sets the first backoff delay; later ones grow exponentially with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the longest single wait, including one asked for by Retry-After.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the overall budget of one call including all retries.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets the page size requested from paged endpoints (1-5000).</summary>
    public int PageSize { get; set; } = 1000;

    internal void Validate()
    {
        if (this.BaseAddress is null || this.BaseAddress.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException("SageAgentClientOptions.BaseAddress must be an https:// address of the Sage agent.", nameof(this.BaseAddress));
        }

        if (this.CompanyCode.Length == 0)
        {
            throw new ArgumentException("SageAgentClientOptions.CompanyCode is required (e.g. ABC).", nameof(this.CompanyCode));
        }

        if (this.ApiKeyReference.Length == 0)
        {
            throw new ArgumentException("SageAgentClientOptions.ApiKeyReference is required (a credential-store reference).", nameof(this.ApiKeyReference));
        }

        if (this.TlsMode == SageTlsMode.Pinned && this.PinnedSha256Fingerprints.Count == 0)
        {
            throw new ArgumentException("TlsMode Pinned needs at least one SHA-256 fingerprint in PinnedSha256Fingerprints (the agent prints its fingerprint at start).", nameof(this.PinnedSha256Fingerprints));
        }

        if (this.PageSize is < 1 or > 5000)
        {
            throw new ArgumentException("PageSize must be between 1 and 5000.", nameof(this.PageSize));
        }
    }
}
