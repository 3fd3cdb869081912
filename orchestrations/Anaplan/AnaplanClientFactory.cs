using Connector.Orchestrations.Credentials;
using Microsoft.Extensions.Logging;

namespace Connector.Orchestrations.Anaplan;

/// <summary>
/// Builds every <see cref="AnaplanClient"/> of the process, production and tests alike, over the
/// <see cref="IHttpClientFactory"/> named client <see cref="AnaplanClient.HttpClientName"/> and the process-wide
/// <see cref="AnaplanTokenProvider"/> (one token per auth host and credential) and <see cref="AnaplanRateLimiters"/>
/// (one request budget per tenant host and credential). Each client adds its one resilience pipeline (attempt timeout,
/// bounded retries of 410/429/502/503/504 and lost connections with exponential backoff, jitter and Retry-After).
/// Register it with <see cref="Microsoft.Extensions.DependencyInjection.AnaplanServiceCollectionExtensions.AddAnaplanClients"/>.
/// </summary>
public sealed class AnaplanClientFactory
{
    private readonly IHttpClientFactory httpClients;
    private readonly ICredentialStore credentials;
    private readonly TimeProvider time;
    private readonly ILoggerFactory? loggerFactory;
    private readonly AnaplanTokenProvider tokens;
    private readonly AnaplanRateLimiters limiters;

    /// <summary>Creates the factory (DI does).</summary>
    internal AnaplanClientFactory(
        IHttpClientFactory httpClients, ICredentialStore credentials, TimeProvider time, ILoggerFactory? loggerFactory, AnaplanTokenProvider tokens, AnaplanRateLimiters limiters)
    {
        this.httpClients = httpClients;
        this.credentials = credentials;
        this.time = time;
        this.loggerFactory = loggerFactory;
        this.tokens = tokens;
        this.limiters = limiters;
    }

    /// <summary>Creates a client for one model (its options name the hosts, the model and the credential references).</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public AnaplanClient Create(AnaplanClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new AnaplanClient(options, this.credentials, this.httpClients.CreateClient(AnaplanClient.HttpClientName), this.time, this.loggerFactory, this.tokens, this.limiters);
    }
}
