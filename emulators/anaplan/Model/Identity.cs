using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Connector.Emulators.Anaplan.Model;

/// <summary>A token the emulator issued. The value is a secret: it is never logged.</summary>
internal sealed class IssuedToken
{
    public required string TokenId { get; init; }

    public required string Value { get; set; }

    public required string RefreshTokenId { get; init; }

    public required string UserName { get; init; }

    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>Users, certificates and live tokens.</summary>
internal sealed class IdentityStore(AnaplanEmulatorOptions options)
{
    private readonly Dictionary<string, string> passwords = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> certificates = new(StringComparer.OrdinalIgnoreCase); // thumbprint -> user
    private readonly Dictionary<string, IssuedToken> tokens = new(StringComparer.Ordinal);
    private readonly List<string> everIssued = [];
    private readonly Lock sync = new();

    public void AddUser(string userName, string password)
    {
        lock (this.sync)
        {
            this.passwords[userName] = password;
        }
    }

    public void AddCertificate(string userName, X509Certificate2 certificate)
    {
        lock (this.sync)
        {
            this.certificates[certificate.Thumbprint] = userName;
        }
    }

    public bool CheckPassword(string userName, string password)
    {
        lock (this.sync)
        {
            return this.passwords.TryGetValue(userName, out string? expected)
                && CryptographicOperations.FixedTimeEquals(
                    System.Text.Encoding.UTF8.GetBytes(expected), System.Text.Encoding.UTF8.GetBytes(password));
        }
    }

    public string? UserForCertificate(X509Certificate2 certificate, DateTimeOffset now)
    {
        if (now < certificate.NotBefore || now > certificate.NotAfter)
        {
            return null;
        }

        lock (this.sync)
        {
            return this.certificates.TryGetValue(certificate.Thumbprint, out string? user) ? user : null;
        }
    }

    public IssuedToken Issue(string userName, DateTimeOffset now)
    {
        var token = new IssuedToken
        {
            TokenId = Guid.NewGuid().ToString(),
            Value = NewTokenValue(),
            RefreshTokenId = Guid.NewGuid().ToString(),
            UserName = userName,
            ExpiresAt = now + options.TokenLifetime,
        };
        lock (this.sync)
        {
            this.tokens[token.Value] = token;
            this.everIssued.Add(token.Value);
        }

        return token;
    }

    /// <summary>Finds a live token; expired ones are removed.</summary>
    public IssuedToken? Find(string value, DateTimeOffset now)
    {
        lock (this.sync)
        {
            if (!this.tokens.TryGetValue(value, out IssuedToken? token))
            {
                return null;
            }

            if (token.ExpiresAt <= now)
            {
                this.tokens.Remove(value);
                return null;
            }

            return token;
        }
    }

    public IssuedToken? Refresh(string value, DateTimeOffset now)
    {
        lock (this.sync)
        {
            IssuedToken? token = this.Find(value, now);
            if (token is null)
            {
                return null;
            }

            token.ExpiresAt = now + options.TokenLifetime;
            if (options.RefreshIssuesNewTokenValue)
            {
                this.tokens.Remove(token.Value);
                token.Value = NewTokenValue();
                this.tokens[token.Value] = token;
                this.everIssued.Add(token.Value);
            }

            return token;
        }
    }

    /// <summary>Every token value issued so far, live or not (for tests that check a client never leaks one).</summary>
    public IReadOnlyList<string> EverIssued()
    {
        lock (this.sync)
        {
            return [.. this.everIssued];
        }
    }

    public bool Revoke(string value)
    {
        lock (this.sync)
        {
            return this.tokens.Remove(value);
        }
    }

    /// <summary>Kills every live token (e.g. to make the next call answer 401).</summary>
    public int RevokeAll()
    {
        lock (this.sync)
        {
            int count = this.tokens.Count;
            this.tokens.Clear();
            return count;
        }
    }

    private static string NewTokenValue()
        => Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>The tenant-wide token bucket: capacity N, refilled continuously at the configured rate.</summary>
internal sealed class TenantRateLimiter(AnaplanEmulatorOptions options)
{
    private readonly Lock sync = new();
    private double tokens = options.RateLimitCapacity;
    private DateTimeOffset last = options.TimeProvider.GetUtcNow();

    public bool Enabled => options.RateLimitPerMinute > 0;

    /// <summary>Takes a token or says how long until one is available.</summary>
    public bool TryTake(out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (!this.Enabled)
        {
            return true;
        }

        double perSecond = options.RateLimitPerMinute / 60.0;
        lock (this.sync)
        {
            DateTimeOffset now = options.TimeProvider.GetUtcNow();
            double elapsed = Math.Max(0, (now - this.last).TotalSeconds);
            this.last = now;
            this.tokens = Math.Min(options.RateLimitCapacity, this.tokens + (elapsed * perSecond));
            if (this.tokens >= 1)
            {
                this.tokens -= 1;
                return true;
            }

            retryAfter = TimeSpan.FromSeconds((1 - this.tokens) / perSecond);
            return false;
        }
    }
}
