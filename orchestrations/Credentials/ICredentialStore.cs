namespace Connector.Orchestrations.Credentials;

/// <summary>
/// Resolves secrets (API keys, passwords, private keys) by reference. Configuration only ever holds references
/// such as <c>sage-abc-apikey</c>; the values live in a store that keeps them encrypted at rest.
/// </summary>
/// <remarks>
/// Implementations must never put a secret value into an exception message, a log entry or a URL.
/// </remarks>
public interface ICredentialStore
{
    /// <summary>Gets the secret named <paramref name="reference"/>.</summary>
    /// <exception cref="CredentialNotFoundException">No secret has that reference.</exception>
    ValueTask<Secret> GetAsync(string reference, CancellationToken cancellationToken = default);
}

/// <summary>A secret value that refuses to print itself.</summary>
public sealed class Secret
{
    private readonly string value;

    public Secret(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        this.value = value;
    }

    /// <summary>Returns the clear value. Call only at the point of use (an HTTP header, a signature).</summary>
    public string Reveal() => this.value;

    /// <inheritdoc/>
    public override string ToString() => "***";
}

/// <summary>Thrown when a credential reference does not resolve. The message names the reference only.</summary>
public sealed class CredentialNotFoundException : Exception
{
    public CredentialNotFoundException(string reference)
        : base($"No credential is stored under the reference '{reference}'.")
    {
        this.Reference = reference;
    }

    public CredentialNotFoundException()
    {
        this.Reference = string.Empty;
    }

    public CredentialNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
        this.Reference = string.Empty;
    }

    /// <summary>Gets the reference that did not resolve.</summary>
    public string Reference { get; }
}

/// <summary>
/// Thrown when a credential exists but cannot be read (undecryptable, corrupt, access refused). Waiting does not heal
/// it, so a run meeting it fails at once. The message names the reference, never a value.
/// </summary>
public sealed class CredentialUnavailableException : Exception
{
    public CredentialUnavailableException(string message)
        : base(message)
    {
    }

    public CredentialUnavailableException()
    {
    }

    public CredentialUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A credential store held in memory: for tests and for composing other stores.</summary>
public sealed class InMemoryCredentialStore : ICredentialStore
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Secret> secrets = new(StringComparer.Ordinal);

    /// <summary>Stores or replaces a secret.</summary>
    public InMemoryCredentialStore Set(string reference, string value)
    {
        this.secrets[reference] = new Secret(value);
        return this;
    }

    /// <inheritdoc/>
    public ValueTask<Secret> GetAsync(string reference, CancellationToken cancellationToken = default)
        => this.secrets.TryGetValue(reference, out Secret? secret)
            ? ValueTask.FromResult(secret)
            : ValueTask.FromException<Secret>(new CredentialNotFoundException(reference));
}
