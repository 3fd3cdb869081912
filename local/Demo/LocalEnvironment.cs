using System.Security.Cryptography;
using Connector.Agent;
using Connector.Agent.Backends.Simulated;
using Connector.Emulators.Anaplan;
using Connector.Local.Hosting;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Credentials;
using Microsoft.Extensions.Logging;

namespace Connector.Local.Demo;

/// <summary>Settings of a <see cref="LocalEnvironment"/>.</summary>
public sealed class LocalEnvironmentOptions
{
    /// <summary>Gets or sets a storage connection string to use; null starts a private Azurite.</summary>
    public string? StorageConnectionString { get; set; }

    /// <summary>Gets or sets Sage's clock (the simulated companies' "today"); defaults to 2026-11-26 10:00 UTC.</summary>
    public TimeProvider? SageClock { get; set; }

    /// <summary>Gets or sets the simulated companies' size.</summary>
    public SimulatedScale Scale { get; set; } = SimulatedScale.Default;

    /// <summary>Gets or sets which simulated companies exist (all built-in ones by default).</summary>
    public IReadOnlyList<CompanyProfile>? Companies { get; set; }

    /// <summary>Gets or sets the folder for the agent's data, certificate and ledger and the credential file; a temp folder when null.</summary>
    public string? Directory { get; set; }

    /// <summary>Gets or sets a hook to adjust the emulator (task duration, limits...).</summary>
    public Action<AnaplanEmulatorOptions>? ConfigureAnaplan { get; set; }

    /// <summary>Gets or sets where the agent logs (nowhere by default), e.g. to see which requests it served.</summary>
    public Action<ILoggingBuilder>? ConfigureAgentLogging { get; set; }
}

/// <summary>
/// Everything the main job needs on one machine, started in-process: Azurite (unless storage is given), the Sage agent
/// with its simulated companies over HTTPS (self-signed certificate, pinned by the connector), the Anaplan emulator with
/// the shipped FP&amp;A model, and an encrypted credential file holding the agent API key and the Anaplan password.
/// </summary>
public sealed class LocalEnvironment : IAsyncDisposable
{
    /// <summary>The simulated companies' "today" unless another clock is given.</summary>
    public static readonly DateTimeOffset SageToday = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);

    public const string SageApiKeyReference = "sage-agent-api-key";
    public const string AnaplanPasswordReference = "anaplan-password";
    public const string AnaplanUser = "integration@example.com";
    private const string AnaplanPassword = "emulator-demo-password";

    private readonly bool ownsDirectory;

    private LocalEnvironment(string directory, bool ownsDirectory, Azurite? azurite, string storage, SageAgentHandle agent, AnaplanEmulator anaplan, EncryptedFileCredentialStore credentials, string masterKey)
    {
        this.MasterKey = masterKey;
        this.Directory = directory;
        this.ownsDirectory = ownsDirectory;
        this.Azurite = azurite;
        this.StorageConnectionString = storage;
        this.Agent = agent;
        this.Anaplan = anaplan;
        this.Credentials = credentials;
    }

    public string Directory { get; }

    public Azurite? Azurite { get; }

    public string StorageConnectionString { get; }

    public SageAgentHandle Agent { get; }

    public SimulatedSageBackend Sage => this.Agent.Simulated!;

    public AnaplanEmulator Anaplan { get; }

    public ICredentialStore Credentials { get; }

    /// <summary>Gets the path of the encrypted credential file.</summary>
    public string CredentialFile => Path.Combine(this.Directory, "credentials.json");

    /// <summary>Gets the credential file's master key (base64), for a worker process of this environment.</summary>
    public string MasterKey { get; }

    public static async Task<LocalEnvironment> StartAsync(LocalEnvironmentOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LocalEnvironmentOptions();
        bool ownsDirectory = options.Directory is null;
        string directory = options.Directory ?? System.IO.Directory.CreateTempSubdirectory("connector-local-").FullName;
        Azurite? azurite = null;
        SageAgentHandle? agent = null;
        AnaplanEmulator? anaplan = null;
        try
        {
            string storage = options.StorageConnectionString
                ?? (azurite = await Azurite.StartAsync(cancellationToken: cancellationToken)).ConnectionString;

            string apiKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
            var agentOptions = new AgentHostOptions
            {
                Backend = "simulated",
                ApiKeys = [apiKey],
                CertificateDirectory = Path.Combine(directory, "agent", "certs"),
                LedgerPath = Path.Combine(directory, "agent", "ledger.db"),
                Clock = options.SageClock ?? new FixedClock(SageToday),
                LockRetryAfter = TimeSpan.FromMilliseconds(200),
                UnavailableRetryAfter = TimeSpan.FromMilliseconds(200),
                ConfigureLogging = b =>
                {
                    b.ClearProviders();
                    options.ConfigureAgentLogging?.Invoke(b);
                },
            };
            agentOptions.Simulated.DataDirectory = Path.Combine(directory, "agent", "companies");
            agentOptions.Simulated.Scale = options.Scale;
            if (options.Companies is { } companies)
            {
                agentOptions.Simulated.Companies = companies;
            }
            agent = await SageAgentHost.StartAsync(agentOptions, cancellationToken);

            var anaplanOptions = new AnaplanEmulatorOptions();
            options.ConfigureAnaplan?.Invoke(anaplanOptions);
            anaplan = await AnaplanEmulator.StartAsync(anaplanOptions, cancellationToken);

            // Both secrets rest encrypted (AES-256-GCM) under a master key that only this process holds.
            byte[] masterKey = RandomNumberGenerator.GetBytes(32);
            var credentials = new EncryptedFileCredentialStore(Path.Combine(directory, "credentials.json"), masterKey);
            await credentials.SetAsync(SageApiKeyReference, apiKey, cancellationToken);
            await credentials.SetAsync(AnaplanPasswordReference, AnaplanPassword, cancellationToken);
            return new LocalEnvironment(directory, ownsDirectory, azurite, storage, agent, anaplan, credentials, Convert.ToBase64String(masterKey));
        }
        catch
        {
            if (anaplan is not null)
            {
                await anaplan.DisposeAsync();
            }

            if (agent is not null)
            {
                await agent.DisposeAsync();
            }

            if (azurite is not null)
            {
                await azurite.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>The shipped model's read-back exports over its actuals modules.</summary>
    public const string GlReadBackExport = "GL Actuals Read-back";

    /// <summary>The shipped model's read-back export over AP Actuals.</summary>
    public const string ApReadBackExport = "AP Actuals Read-back";

    /// <summary>
    /// A connection from one simulated company to the emulator's FP&amp;A model: the agent pinned by its certificate's
    /// fingerprint, the Anaplan model's ids, the shipped action names (read-back exports included, so every GL and AP load
    /// is reconciled), polling every second (allowed only on loopback).
    /// </summary>
    public ConnectionOptions Connection(string id, string company, string costCenterSegment)
        => new()
        {
            Id = id,
            CostCenterSegment = costCenterSegment,
            Actuals = new ActualsFlowOptions { ReadBack = new ReadBackOptions { GlExport = GlReadBackExport, ApExport = ApReadBackExport } },
            Sage = new SageSideOptions
            {
                BaseUrl = this.Agent.BaseAddress,
                Company = company,
                ApiKeyReference = SageApiKeyReference,
                TlsMode = "Pinned",
                PinnedFingerprints = [this.Agent.CertificateSha256],
                RetryBaseDelay = TimeSpan.FromMilliseconds(50),
            },
            Anaplan = new AnaplanSideOptions
            {
                AuthUrl = this.Anaplan.AuthBaseAddress,
                ApiUrl = this.Anaplan.ApiBaseAddress,
                WorkspaceId = this.Anaplan.DefaultModel.WorkspaceId,
                ModelId = this.Anaplan.DefaultModel.Id,
                AuthMode = "Basic",
                UserName = AnaplanUser,
                PasswordReference = AnaplanPasswordReference,
                PollInterval = TimeSpan.FromSeconds(1),
            },
        };

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await this.Anaplan.DisposeAsync();
        await this.Agent.DisposeAsync();
        ((IDisposable)this.Credentials).Dispose();
        if (this.Azurite is not null)
        {
            await this.Azurite.DisposeAsync();
        }

        if (this.ownsDirectory)
        {
            try
            {
                System.IO.Directory.Delete(this.Directory, recursive: true);
            }
            catch (IOException)
            {
                // A locked leftover in the temp folder is harmless.
            }
        }
    }

    /// <summary>A clock standing still: the simulated companies are a picture of one day.</summary>
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
