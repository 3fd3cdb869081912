using System.Collections.Concurrent;
using Connector.Orchestrations.Anaplan;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Credentials;
using Connector.Orchestrations.Sage100;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Connector.Orchestrations.Flows;

/// <summary>
/// The Sage agent and Anaplan clients of each configured connection, built once per process and shared by every
/// activity: one HTTP connection pool per agent, and (through the shared token provider and rate limiters) one Anaplan
/// token per credential and one request budget per tenant host, however many activities run at once.
/// </summary>
public class ConnectionClients : IDisposable
{
    private readonly IOptionsMonitor<ConnectorOptions> options;
    private readonly ICredentialStore credentials;
    private readonly TimeProvider time;
    private readonly ILoggerFactory loggerFactory;
    private readonly AnaplanTokenProvider tokens;
    private readonly AnaplanRateLimiters limiters;
    private readonly HttpClient anaplanHttp;
    private readonly ConcurrentDictionary<string, Lazy<SageAgentClient>> sage = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Lazy<AnaplanClient>> anaplan = new(StringComparer.OrdinalIgnoreCase);

    public ConnectionClients(
        IOptionsMonitor<ConnectorOptions> options,
        ICredentialStore credentials,
        TimeProvider time,
        ILoggerFactory loggerFactory)
    {
        this.options = options;
        this.credentials = credentials;
        this.time = time;
        this.loggerFactory = loggerFactory;
        this.tokens = new AnaplanTokenProvider(time, loggerFactory.CreateLogger<AnaplanTokenProvider>());
        this.limiters = new AnaplanRateLimiters(time);
        this.anaplanHttp = new HttpClient(
            new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10), ConnectTimeout = TimeSpan.FromSeconds(30) },
            disposeHandler: true)
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>For mocking.</summary>
    protected ConnectionClients()
    {
        this.options = null!;
        this.credentials = null!;
        this.time = TimeProvider.System;
        this.loggerFactory = null!;
        this.tokens = null!;
        this.limiters = null!;
        this.anaplanHttp = null!;
    }

    /// <summary>Gets a connection's settings.</summary>
    public virtual ConnectionOptions Connection(string connectionId) => this.options.CurrentValue.Get(connectionId);

    /// <summary>Gets the Sage agent client of a connection (its company code travels with every request).</summary>
    public virtual SageAgentClient Sage(string connectionId)
        => this.sage.GetOrAdd(connectionId, id => new Lazy<SageAgentClient>(() => this.CreateSage(this.Connection(id)))).Value;

    /// <summary>Gets the Anaplan client of a connection, bound to its workspace and model.</summary>
    public virtual AnaplanClient Anaplan(string connectionId)
        => this.anaplan.GetOrAdd(connectionId, id => new Lazy<AnaplanClient>(() => this.CreateAnaplan(this.Connection(id)))).Value;

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (Lazy<SageAgentClient> client in this.sage.Values.Where(l => l.IsValueCreated))
        {
            client.Value.Dispose();
        }

        this.anaplanHttp?.Dispose();
        GC.SuppressFinalize(this);
    }

    private SageAgentClient CreateSage(ConnectionOptions connection)
    {
        var sageOptions = new SageAgentClientOptions
        {
            BaseAddress = connection.Sage.BaseUrl,
            CompanyCode = connection.Sage.Company,
            ApiKeyReference = connection.Sage.ApiKeyReference,
            TlsMode = Enum.Parse<SageTlsMode>(connection.Sage.TlsMode, ignoreCase: true),
            RequestTimeout = connection.Sage.Timeout,
            MaxRetryAttempts = connection.Sage.MaxRetryAttempts,
            RetryBaseDelay = connection.Sage.RetryBaseDelay,
        };
        foreach (string fingerprint in connection.Sage.PinnedFingerprints)
        {
            sageOptions.PinnedSha256Fingerprints.Add(fingerprint);
        }

        return new SageAgentClient(sageOptions, this.credentials, this.time, this.loggerFactory);
    }

    private AnaplanClient CreateAnaplan(ConnectionOptions connection)
    {
        AnaplanSideOptions a = connection.Anaplan;
        bool certificate = string.Equals(a.AuthMode, "Certificate", StringComparison.OrdinalIgnoreCase);
        var anaplanOptions = new AnaplanClientOptions
        {
            AuthBaseUri = a.AuthUrl,
            ApiBaseUri = a.ApiUrl,
            WorkspaceId = a.WorkspaceId,
            ModelId = a.ModelId,
            ChunkSizeBytes = a.ChunkSizeMb * 1024 * 1024,
            RequestsPerMinute = a.RequestsPerMinute,
            Credential = new AnaplanCredentialOptions
            {
                Kind = certificate ? AnaplanCredentialKind.Certificate : AnaplanCredentialKind.Basic,
                UserName = a.UserName,
                PasswordReference = a.PasswordReference,
                CertificateReference = a.CertificateReference,
                PrivateKeyReference = a.PrivateKeyReference,
            },
        };
        return new AnaplanClient(anaplanOptions, this.credentials, this.anaplanHttp, this.time, this.loggerFactory, this.tokens, this.limiters);
    }
}
