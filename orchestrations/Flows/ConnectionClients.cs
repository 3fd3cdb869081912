using System.Collections.Concurrent;
using Connector.Orchestrations.Anaplan;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Sage100;
using Microsoft.Extensions.Options;

namespace Connector.Orchestrations.Flows;

/// <summary>
/// The Sage agent and Anaplan clients of each configured connection, built once per process by the same factories the
/// tests use (<see cref="SageAgentClientFactory"/>, <see cref="AnaplanClientFactory"/>, both over IHttpClientFactory)
/// and shared by every activity: one named HttpClient per agent (its pinned certificate on the primary handler), and
/// (through the shared token provider and rate limiters) one Anaplan token per credential and one request budget per
/// tenant host, however many activities run at once.
/// </summary>
public class ConnectionClients : IDisposable
{
    private readonly IOptionsMonitor<ConnectorOptions> options;
    private readonly SageAgentClientFactory sageFactory;
    private readonly AnaplanClientFactory anaplanFactory;
    private readonly ConcurrentDictionary<string, Lazy<SageAgentClient>> sage = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Lazy<AnaplanClient>> anaplan = new(StringComparer.OrdinalIgnoreCase);

    public ConnectionClients(IOptionsMonitor<ConnectorOptions> options, SageAgentClientFactory sageFactory, AnaplanClientFactory anaplanFactory)
    {
        this.options = options;
        this.sageFactory = sageFactory;
        this.anaplanFactory = anaplanFactory;
    }

    /// <summary>For mocking.</summary>
    protected ConnectionClients()
    {
        this.options = null!;
        this.sageFactory = null!;
        this.anaplanFactory = null!;
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
            PageSize = connection.Sage.PageSize,
        };
        foreach (string fingerprint in connection.Sage.PinnedFingerprints)
        {
            sageOptions.PinnedSha256Fingerprints.Add(fingerprint);
        }

        return this.sageFactory.Create(connection.Id, sageOptions);
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
        return this.anaplanFactory.Create(anaplanOptions);
    }
}
