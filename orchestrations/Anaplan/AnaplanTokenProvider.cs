using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Connector.Orchestrations.Anaplan;

/// <summary>
/// The process-wide token cache: one token per auth host and credential, shared by every client and call.
/// Refreshes through <c>/token/refresh</c> when less than the refresh window remains, re-authenticates when the
/// token is gone or a call got 401, and lets exactly one renewal run at a time however many callers wait.
/// Register it as a singleton (the DI extension does).
/// </summary>
public sealed class AnaplanTokenProvider
{
    private readonly ConcurrentDictionary<string, Session> sessions = new(StringComparer.Ordinal);
    private readonly TimeProvider time;
    private readonly ILogger logger;

    public AnaplanTokenProvider(TimeProvider? timeProvider = null, ILogger<AnaplanTokenProvider>? logger = null)
    {
        this.time = timeProvider ?? TimeProvider.System;
        this.logger = logger ?? NullLogger<AnaplanTokenProvider>.Instance;
    }

    /// <summary>A token value valid for at least the refresh window (or a fresh one).</summary>
    internal async ValueTask<string> GetTokenAsync(IAnaplanAuthenticator authenticator, TimeSpan refreshWindow, CancellationToken cancellationToken)
    {
        Session session = this.sessions.GetOrAdd(authenticator.CacheKey, _ => new Session());
        if (session.Token is { } current && current.ExpiresAt - this.time.GetUtcNow() > refreshWindow)
        {
            return current.Value;
        }

        await session.Gate.WaitAsync(cancellationToken);
        try
        {
            DateTimeOffset now = this.time.GetUtcNow();
            AnaplanToken? token = session.Token;
            if (token is not null && token.ExpiresAt - now > refreshWindow)
            {
                return token.Value;
            }

            if (token is not null && token.ExpiresAt > now)
            {
                Logs.AnaplanTokenRefreshing(this.logger, authenticator.Description);
                AnaplanToken? refreshed = await authenticator.RefreshAsync(token.Value, cancellationToken);
                if (refreshed is not null)
                {
                    session.Token = refreshed;
                    return refreshed.Value;
                }
            }

            Logs.AnaplanAuthenticating(this.logger, authenticator.Description);
            session.Token = await authenticator.AuthenticateAsync(cancellationToken);
            return session.Token.Value;
        }
        finally
        {
            session.Gate.Release();
        }
    }

    /// <summary>Called after a 401: logs in again unless another caller already replaced <paramref name="rejectedToken"/>.</summary>
    internal async ValueTask<string> ReauthenticateAsync(IAnaplanAuthenticator authenticator, string rejectedToken, CancellationToken cancellationToken)
    {
        Session session = this.sessions.GetOrAdd(authenticator.CacheKey, _ => new Session());
        await session.Gate.WaitAsync(cancellationToken);
        try
        {
            if (session.Token is { } current && !string.Equals(current.Value, rejectedToken, StringComparison.Ordinal)
                && current.ExpiresAt > this.time.GetUtcNow())
            {
                return current.Value;
            }

            Logs.AnaplanReauthenticating(this.logger, authenticator.Description);
            session.Token = null;
            session.Token = await authenticator.AuthenticateAsync(cancellationToken);
            return session.Token.Value;
        }
        finally
        {
            session.Gate.Release();
        }
    }

    private sealed class Session
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public AnaplanToken? Token { get; set; }
    }
}

/// <summary>A token value and when it expires. The value is a secret.</summary>
internal sealed record AnaplanToken(string Value, DateTimeOffset ExpiresAt)
{
    public override string ToString() => $"AnaplanToken(***, expires {this.ExpiresAt:O})";
}

/// <summary>Logs in and refreshes against one auth host with one credential.</summary>
internal interface IAnaplanAuthenticator
{
    /// <summary>Identifies auth host and credential (references only, no secret).</summary>
    string CacheKey { get; }

    /// <summary>For logs: the auth host and the kind of credential.</summary>
    string Description { get; }

    Task<AnaplanToken> AuthenticateAsync(CancellationToken cancellationToken);

    /// <summary>Null when the token can no longer be refreshed (then the caller authenticates).</summary>
    Task<AnaplanToken?> RefreshAsync(string token, CancellationToken cancellationToken);
}
