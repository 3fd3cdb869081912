namespace Connector.Orchestrations.Anaplan;

/// <summary>Settings of an <see cref="AnaplanClient"/>. Holds credential references only, never secret values.</summary>
public sealed class AnaplanClientOptions
{
    /// <summary>The largest chunk Anaplan accepts, uncompressed.</summary>
    public const int MaxChunkSizeBytes = 50 * 1024 * 1024;

    /// <summary>The smallest chunk this client makes (except the last).</summary>
    public const int MinChunkSizeBytes = 1024 * 1024;

    /// <summary>The most chunks a file may have.</summary>
    public const int MaxChunkCount = 1000;

    /// <summary>Authentication service base address. Regional hosts exist (e.g. <c>https://us9.auth.anaplan.com/</c>).</summary>
    public Uri AuthBaseUri { get; set; } = new("https://auth.anaplan.com/");

    /// <summary>Integration API v2 base address including <c>/2/0/</c> (e.g. <c>https://eu3.api.anaplan.com/2/0/</c>).</summary>
    public Uri ApiBaseUri { get; set; } = new("https://api.anaplan.com/2/0/");

    /// <summary>The workspace (32 lowercase hex digits) the model lives in.</summary>
    public string WorkspaceId { get; set; } = string.Empty;

    /// <summary>The model (32 uppercase hex digits) the client works on.</summary>
    public string ModelId { get; set; } = string.Empty;

    /// <summary>How the client logs in. References into the credential store, never values.</summary>
    public AnaplanCredentialOptions Credential { get; set; } = new();

    /// <summary>Uncompressed size of an upload chunk: 1–50 MB, default 10 MB.</summary>
    public int ChunkSizeBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>This process's share of the tenant's 600 requests per minute. Default 480.</summary>
    public int RequestsPerMinute { get; set; } = 480;

    /// <summary>A token with less than this left is refreshed before use. Default 5 minutes (as Anaplan's CLI).</summary>
    public TimeSpan TokenRefreshWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one attempt of one HTTP call may take before it counts as lost and is retried.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>Retry behaviour for 410, 429, 502, 503, 504 and lost connections.</summary>
    public AnaplanRetryOptions Retry { get; set; } = new();

    /// <summary>The locale tasks are started with.</summary>
    public string LocaleName { get; set; } = "en_US";

    /// <summary>Page size of list calls (Anaplan's maximum is 5000).</summary>
    public int PageSize { get; set; } = 5000;

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public void Validate()
    {
        CheckAbsolute(this.AuthBaseUri, nameof(this.AuthBaseUri));
        CheckAbsolute(this.ApiBaseUri, nameof(this.ApiBaseUri));
        if (string.IsNullOrWhiteSpace(this.WorkspaceId))
        {
            throw new ArgumentException("AnaplanClientOptions.WorkspaceId is required.", nameof(this.WorkspaceId));
        }

        if (string.IsNullOrWhiteSpace(this.ModelId))
        {
            throw new ArgumentException("AnaplanClientOptions.ModelId is required.", nameof(this.ModelId));
        }

        if (this.ChunkSizeBytes is < MinChunkSizeBytes or > MaxChunkSizeBytes)
        {
            throw new ArgumentException(
                $"AnaplanClientOptions.ChunkSizeBytes is {this.ChunkSizeBytes}; it must be between {MinChunkSizeBytes} and {MaxChunkSizeBytes} (1–50 MB).",
                nameof(this.ChunkSizeBytes));
        }

        if (this.RequestsPerMinute is < 1 or > 600)
        {
            throw new ArgumentException($"AnaplanClientOptions.RequestsPerMinute is {this.RequestsPerMinute}; it must be 1–600.", nameof(this.RequestsPerMinute));
        }

        if (this.PageSize is < 1 or > 5000)
        {
            throw new ArgumentException($"AnaplanClientOptions.PageSize is {this.PageSize}; it must be 1–5000.", nameof(this.PageSize));
        }

        if (this.AttemptTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("AnaplanClientOptions.AttemptTimeout must be positive.", nameof(this.AttemptTimeout));
        }

        this.Credential.Validate();
        this.Retry.Validate();
    }

    internal AnaplanClientOptions WithModel(string workspaceId, string modelId)
    {
        var copy = (AnaplanClientOptions)this.MemberwiseClone();
        copy.WorkspaceId = workspaceId;
        copy.ModelId = modelId;
        return copy;
    }

    private static void CheckAbsolute(Uri? uri, string name)
    {
        if (uri is null || !uri.IsAbsoluteUri)
        {
            throw new ArgumentException($"AnaplanClientOptions.{name} must be an absolute URI.", name);
        }
    }
}

/// <summary>How the client authenticates.</summary>
public enum AnaplanCredentialKind
{
    /// <summary>User name and password (<c>Authorization: Basic</c>).</summary>
    Basic,

    /// <summary>A CA certificate and its private key (<c>Authorization: CACertificate</c> plus a signed random body).</summary>
    Certificate,
}

/// <summary>Credential references. The values live in <see cref="Credentials.ICredentialStore"/>.</summary>
public sealed class AnaplanCredentialOptions
{
    public AnaplanCredentialKind Kind { get; set; } = AnaplanCredentialKind.Basic;

    /// <summary>Basic: the Anaplan user name (not a secret).</summary>
    public string? UserName { get; set; }

    /// <summary>Basic: the credential store reference of the password.</summary>
    public string? PasswordReference { get; set; }

    /// <summary>Certificate: the credential store reference of the PEM certificate.</summary>
    public string? CertificateReference { get; set; }

    /// <summary>Certificate: the credential store reference of the PEM private key (RSA).</summary>
    public string? PrivateKeyReference { get; set; }

    /// <summary>Identifies the credential for the token cache (references only).</summary>
    internal string CacheKey => this.Kind == AnaplanCredentialKind.Basic
        ? $"basic|{this.UserName}|{this.PasswordReference}"
        : $"certificate|{this.CertificateReference}|{this.PrivateKeyReference}";

    internal void Validate()
    {
        if (this.Kind == AnaplanCredentialKind.Basic)
        {
            if (string.IsNullOrWhiteSpace(this.UserName) || string.IsNullOrWhiteSpace(this.PasswordReference))
            {
                throw new ArgumentException("AnaplanCredentialOptions: basic authentication needs UserName and PasswordReference.", "Credential");
            }
        }
        else if (string.IsNullOrWhiteSpace(this.CertificateReference) || string.IsNullOrWhiteSpace(this.PrivateKeyReference))
        {
            throw new ArgumentException("AnaplanCredentialOptions: certificate authentication needs CertificateReference and PrivateKeyReference.", "Credential");
        }
    }
}

/// <summary>Retry settings (Polly exponential backoff with jitter; a Retry-After header always wins).</summary>
public sealed class AnaplanRetryOptions
{
    /// <summary>Retries after the first attempt. Default 6.</summary>
    public int MaxRetryAttempts { get; set; } = 6;

    /// <summary>First backoff delay. Default 2 s.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest backoff delay. Default 2 minutes.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Wait after a 429 without Retry-After. Default 10 s (Anaplan's guidance).</summary>
    public TimeSpan DefaultRetryAfter { get; set; } = TimeSpan.FromSeconds(10);

    internal void Validate()
    {
        if (this.MaxRetryAttempts is < 0 or > 50)
        {
            throw new ArgumentException($"AnaplanRetryOptions.MaxRetryAttempts is {this.MaxRetryAttempts}; it must be 0–50.", "Retry");
        }

        if (this.BaseDelay < TimeSpan.Zero || this.MaxDelay < this.BaseDelay || this.DefaultRetryAfter < TimeSpan.Zero)
        {
            throw new ArgumentException("AnaplanRetryOptions: delays must be non-negative and MaxDelay at least BaseDelay.", "Retry");
        }
    }
}
