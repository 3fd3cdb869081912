using System.Security.Cryptography;
using System.Text;

namespace Connector.Agent.Security;

/// <summary>
/// API keys are stored only as <c>sha256:&lt;64 hex&gt;</c> hashes. Keys are random and long, so a plain SHA-256 is
/// enough (no password stretching); comparison is constant-time over the hashes.
/// </summary>
public static class ApiKeyHasher
{
    public const string Prefix = "sha256:";

    /// <summary>Hashes a key for the agent's configuration.</summary>
    public static string Hash(string apiKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        return Prefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)));
    }

    /// <summary>Generates a new random key (256 bits, base64url).</summary>
    public static string Generate()
        => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    internal static byte[] ParseHash(string configured)
    {
        string text = configured.Trim();
        if (!text.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || text.Length != Prefix.Length + 64)
        {
            throw new FormatException("An API key hash must look like 'sha256:' followed by 64 hex digits (see agent/README.md, 'hash-key').");
        }

        return Convert.FromHexString(text[Prefix.Length..]);
    }
}

/// <summary>Checks presented keys against the configured hashes without early exit.</summary>
public sealed class ApiKeyValidator
{
    private readonly IReadOnlyList<byte[]> hashes;

    public ApiKeyValidator(IEnumerable<string> configuredHashes)
        => this.hashes = configuredHashes.Select(ApiKeyHasher.ParseHash).ToList();

    /// <summary>Gets whether any key is configured.</summary>
    public bool HasKeys => this.hashes.Count > 0;

    /// <summary>Whether <paramref name="presented"/> is one of the configured keys.</summary>
    public bool IsValid(string? presented)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        bool match = false;
        foreach (byte[] candidate in this.hashes)
        {
            match |= CryptographicOperations.FixedTimeEquals(hash, candidate);
        }

        return match;
    }
}
