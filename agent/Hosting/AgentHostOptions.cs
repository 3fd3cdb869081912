using Connector.Agent.Backends.Boi;
using Connector.Agent.Backends.Simulated;
using Microsoft.Extensions.Logging;

namespace Connector.Agent;

/// <summary>Everything the agent needs to start, in-process or as a process (section <c>Agent</c> of its configuration).</summary>
public sealed class AgentHostOptions
{
    /// <summary>Gets or sets the HTTPS addresses to listen on. Port 0 picks a free port. Only https:// is accepted.</summary>
    public IList<string> Urls { get; set; } = ["https://127.0.0.1:0"];

    /// <summary>Gets or sets the backend: <c>simulated</c> or <c>boi</c>.</summary>
    public string Backend { get; set; } = "simulated";

    /// <summary>Gets or sets the accepted API keys as hashes (<c>sha256:&lt;hex&gt;</c>, see <c>hash-key</c>).</summary>
    public IList<string> ApiKeyHashes { get; set; } = [];

    /// <summary>Gets or sets API keys in clear, hashed at start. For tests and the local demo only; production configures hashes.</summary>
    public IList<string> ApiKeys { get; set; } = [];

    /// <summary>Gets or sets a PFX/P12 or PEM certificate file; when unset a self-signed one is created in <see cref="CertificateDirectory"/>.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Gets or sets the PEM private key file (when the key is not inside <see cref="CertificatePath"/>).</summary>
    public string? CertificateKeyPath { get; set; }

    /// <summary>Gets or sets the PFX password (or PEM key password).</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>Gets or sets where a generated self-signed certificate is stored and found again.</summary>
    public string CertificateDirectory { get; set; } = Path.Combine(AppContext.BaseDirectory, "certs");

    /// <summary>Gets or sets the agent's journal ledger (SQLite file).</summary>
    public string LedgerPath { get; set; } = Path.Combine(AppContext.BaseDirectory, "ledger", "journal-ledger.db");

    /// <summary>Gets the simulated backend's settings.</summary>
    public SimulatedBackendOptions Simulated { get; set; } = new();

    /// <summary>Gets the BOI backend's settings.</summary>
    public BoiBackendOptions Boi { get; set; } = new();

    /// <summary>Gets or sets whether the /_sim routes are mapped (simulated backend only).</summary>
    public bool EnableSimulationRoutes { get; set; } = true;

    /// <summary>Gets or sets the default overlap window of incremental pulls.</summary>
    public TimeSpan DefaultOverlap { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets the Retry-After sent with <c>locked</c> (rounded up to whole seconds).</summary>
    public TimeSpan LockRetryAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets the Retry-After sent with <c>unavailable</c>.</summary>
    public TimeSpan UnavailableRetryAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets the page size when a request names none.</summary>
    public int DefaultPageSize { get; set; } = 500;

    /// <summary>Gets or sets Sage's clock: the current fiscal period and every DateUpdated stamp derive from it.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>Gets or sets a logging configuration (in-process hosts: add a test provider, or clear providers).</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; set; }

    /// <summary>Gets or sets a host configuration applied before the agent is built (the process: its lifetime, Windows service).</summary>
    public Action<IHostApplicationBuilder>? ConfigureHost { get; set; }
}
