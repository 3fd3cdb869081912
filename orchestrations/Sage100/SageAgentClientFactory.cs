using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Connector.Orchestrations.Credentials;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Connector.Orchestrations.Sage100;

/// <summary>
/// Builds every <see cref="SageAgentClient"/> of the process, production and tests alike: the HttpClient comes from
/// <see cref="IHttpClientFactory"/> under the named client <c>SageAgent:{name}</c>, whose primary handler carries that
/// agent's TLS policy (pinned fingerprints, connect timeout); the client adds its one resilience pipeline (attempt
/// timeout, bounded retries of locked/unavailable/dropped with exponential backoff, jitter and Retry-After).
/// Register it with <see cref="SageAgentServiceCollectionExtensions.AddSageAgentClients"/>.
/// </summary>
public sealed class SageAgentClientFactory
{
    private readonly IHttpClientFactory httpClients;
    private readonly SageAgentHttpClients registry;
    private readonly ICredentialStore credentials;
    private readonly TimeProvider time;
    private readonly ILoggerFactory loggerFactory;

    /// <summary>Creates the factory (DI does).</summary>
    internal SageAgentClientFactory(IHttpClientFactory httpClients, SageAgentHttpClients registry, ICredentialStore credentials, TimeProvider time, ILoggerFactory? loggerFactory)
    {
        this.httpClients = httpClients;
        this.registry = registry;
        this.credentials = credentials;
        this.time = time;
        this.loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
    }

    /// <summary>
    /// Creates the client of one agent. <paramref name="name"/> names its HttpClient (a connection id): the first
    /// options given for a name fix its TLS policy for the life of the process.
    /// </summary>
    /// <exception cref="ArgumentException">The options are incomplete.</exception>
    /// <exception cref="InvalidOperationException">The name was used before with another address or TLS policy.</exception>
    public SageAgentClient Create(string name, SageAgentClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        SageTlsPolicy tls = this.registry.Register(name, options, this.loggerFactory);
        HttpClient http = this.httpClients.CreateClient(SageAgentHttpClients.Prefix + name);
        return new SageAgentClient(options, this.credentials, http, tls, this.time, this.loggerFactory);
    }
}

/// <summary>The agents whose named HttpClients this process builds: name → options and TLS policy.</summary>
internal sealed class SageAgentHttpClients
{
    public const string Prefix = "SageAgent:";

    private readonly ConcurrentDictionary<string, (SageAgentClientOptions Options, SageTlsPolicy Tls)> agents = new(StringComparer.Ordinal);

    public SageTlsPolicy Register(string name, SageAgentClientOptions options, ILoggerFactory loggerFactory)
    {
        ILogger logger = loggerFactory.CreateLogger<SageAgentClient>();
        var added = this.agents.GetOrAdd(name, _ =>
        {
            if (options.TlsMode == SageTlsMode.InsecureSkipVerify)
            {
                Logs.SageTlsValidationDisabled(logger, options.BaseAddress!);
            }

            return (options, new SageTlsPolicy(options, logger));
        });
        if (!ReferenceEquals(added.Options, options) && !SameConnection(added.Options, options))
        {
            throw new InvalidOperationException(
                $"The Sage agent HttpClient '{name}' was built for {added.Options.BaseAddress} with TLS mode {added.Options.TlsMode}; it cannot be reused for {options.BaseAddress} with other TLS settings.");
        }

        return added.Tls;
    }

    public bool TryGet(string name, out SageAgentClientOptions options, out SageTlsPolicy tls)
    {
        bool found = this.agents.TryGetValue(name, out var entry);
        (options, tls) = entry;
        return found;
    }

    private static bool SameConnection(SageAgentClientOptions a, SageAgentClientOptions b)
        => a.BaseAddress == b.BaseAddress && a.TlsMode == b.TlsMode && a.ConnectTimeout == b.ConnectTimeout
            && a.PinnedSha256Fingerprints.Order(StringComparer.OrdinalIgnoreCase).SequenceEqual(b.PinnedSha256Fingerprints.Order(StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);
}

/// <summary>Configures each <c>SageAgent:{name}</c> HttpClient: its primary handler (TLS policy, connect timeout) and base address.</summary>
internal sealed class SageAgentHttpClientSetup(SageAgentHttpClients registry) : IConfigureNamedOptions<HttpClientFactoryOptions>
{
    public void Configure(HttpClientFactoryOptions options) => this.Configure(Options.DefaultName, options);

    public void Configure(string? name, HttpClientFactoryOptions options)
    {
        if (name is null || !name.StartsWith(SageAgentHttpClients.Prefix, StringComparison.Ordinal)
            || !registry.TryGet(name[SageAgentHttpClients.Prefix.Length..], out SageAgentClientOptions agent, out SageTlsPolicy tls))
        {
            return;
        }

        // The API key travels in a header: the factory's trace logging never shows a header value.
        options.ShouldRedactHeaderValue = _ => true;
        options.HttpMessageHandlerBuilderActions.Add(builder => builder.PrimaryHandler = new SocketsHttpHandler
        {
            ConnectTimeout = agent.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = tls.Validate },
        });
        string baseText = agent.BaseAddress!.ToString();
        options.HttpClientActions.Add(http =>
        {
            http.BaseAddress = new Uri(baseText.EndsWith('/') ? baseText : baseText + "/");

            // Each attempt has its own timeout (RequestTimeout) inside the client's pipeline; the HttpClient must not cut across retries.
            http.Timeout = Timeout.InfiniteTimeSpan;
        });
    }
}

/// <summary>The TLS policy of one agent connection (the primary handler's certificate check), and the explanation of a rejection.</summary>
internal sealed class SageTlsPolicy(SageAgentClientOptions options, ILogger logger)
{
    private readonly HashSet<string> pins = options.PinnedSha256Fingerprints
        .Select(p => p.Replace(":", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant())
        .ToHashSet(StringComparer.Ordinal);

    private string? lastProblem;

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        string host = (sender as SslStream)?.TargetHostName ?? options.BaseAddress!.Host;
        switch (options.TlsMode)
        {
            case SageTlsMode.InsecureSkipVerify:
                return true;
            case SageTlsMode.Pinned:
                string actual = certificate is null ? "(none)" : certificate.GetCertHashString(HashAlgorithmName.SHA256);
                if (certificate is not null && this.pins.Contains(actual))
                {
                    return true;
                }

                this.lastProblem = $"The Sage agent at {host} presented a certificate with SHA-256 fingerprint {actual}, which is not pinned (pinned: {string.Join(", ", this.pins)}). " +
                    "The connection was refused. If the agent's certificate was replaced on purpose, pin the new fingerprint the agent prints at start.";
                break;
            default:
                if (errors == SslPolicyErrors.None)
                {
                    return true;
                }

                this.lastProblem = $"The Sage agent's certificate at {host} is not trusted by this machine ({errors}). Sage agents usually have a self-signed certificate: " +
                    "set TlsMode to Pinned with the agent's SHA-256 fingerprint (the agent prints it at start), or give the agent a certificate from a trusted CA.";
                break;
        }

        Logs.SageCertificateRejected(logger, host, this.lastProblem);
        return false;
    }

    public SageAgentException Explain(HttpRequestException ex)
        => new SageAgentRefusedException(SageAgentErrorCode.Tls, this.lastProblem ?? $"The TLS handshake with the Sage agent at {options.BaseAddress} failed: {ex.Message}", innerException: ex);
}
