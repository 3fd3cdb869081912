using System.Security.Cryptography.X509Certificates;
using Connector.Emulators.Anaplan.Engine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Connector.Emulators.Anaplan.Model;

/// <summary>A workspace and its models.</summary>
public sealed record EmulatedWorkspace(string Id, string Name, IReadOnlyList<EmulatedModel> Models);

/// <summary>
/// Everything the emulator holds: users and tokens, workspaces and models, the request log, counters and faults.
/// Tests seed and inspect through it; the HTTP admin routes under <c>/_emulator</c> expose the same.
/// </summary>
public sealed class EmulatorState
{
    private readonly List<(Func<bool> Condition, TaskCompletionSource Done)> waiters = [];
    private readonly Dictionary<string, EmulatedModel> models = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> notAdministrators = new(StringComparer.OrdinalIgnoreCase);

    internal EmulatorState(AnaplanEmulatorOptions options, TenantDefinition definition, ILogger logger)
    {
        this.Options = options;
        this.Logger = logger;
        this.Identity = new IdentityStore(options);
        this.RateLimiter = new TenantRateLimiter(options);
        this.Requests = new EmulatorRequestLog(options.RequestLogCapacity, this.Notify);
        foreach (UserDefinition user in definition.Users)
        {
            if (user.Password is not null)
            {
                this.AddUser(user.UserName, user.Password);
            }

            if (user.CertificatePem is not null)
            {
                this.AddCertificateUser(user.UserName, user.CertificatePem);
            }

            this.SetWorkspaceAdministrator(user.UserName, user.WorkspaceAdministrator);
        }

        var workspaces = new List<EmulatedWorkspace>();
        foreach (WorkspaceDefinition workspace in definition.Workspaces)
        {
            ModelValidation.CheckWorkspaceId(workspace.Id);
            var list = new List<EmulatedModel>();
            foreach (ModelDefinition model in workspace.Models)
            {
                ModelValidation.CheckModelId(model.Id);
                var emulated = new EmulatedModel(this, workspace, model);
                this.models.Add(model.Id, emulated);
                list.Add(emulated);
            }

            workspaces.Add(new EmulatedWorkspace(workspace.Id, workspace.Name, list));
        }

        this.Workspaces = workspaces;
    }

    /// <summary>The emulator clock.</summary>
    public TimeProvider Time => this.Options.TimeProvider;

    public EmulatorCounters Counters { get; } = new();

    public EmulatorRequestLog Requests { get; }

    public EmulatorFaults Faults { get; } = new();

    public IReadOnlyList<EmulatedWorkspace> Workspaces { get; }

    /// <summary>Every model of every workspace.</summary>
    public IReadOnlyList<EmulatedModel> Models => [.. this.Workspaces.SelectMany(w => w.Models)];

    internal AnaplanEmulatorOptions Options { get; }

    internal ILogger Logger { get; }

    internal IdentityStore Identity { get; }

    internal TenantRateLimiter RateLimiter { get; }

    /// <summary>The model with that id.</summary>
    /// <exception cref="KeyNotFoundException">No model has that id.</exception>
    public EmulatedModel Model(string modelId) => this.FindModel(modelId) ?? throw new KeyNotFoundException($"No model has the id '{modelId}'.");

    /// <summary>The model with that id, or null.</summary>
    public EmulatedModel? FindModel(string modelId) => this.models.GetValueOrDefault(modelId);

    /// <summary>Lets <paramref name="userName"/> log in with basic authentication.</summary>
    public void AddUser(string userName, string password)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userName);
        ArgumentException.ThrowIfNullOrEmpty(password);
        this.Identity.AddUser(userName, password);
    }

    /// <summary>Makes a user a workspace administrator or not (users are by default); the list read needs one.</summary>
    public void SetWorkspaceAdministrator(string userName, bool administrator = true)
    {
        lock (this.notAdministrators)
        {
            _ = administrator ? this.notAdministrators.Remove(userName) : this.notAdministrators.Add(userName);
        }
    }

    /// <summary>Whether a user is a workspace administrator.</summary>
    public bool IsWorkspaceAdministrator(string userName)
    {
        lock (this.notAdministrators)
        {
            return !this.notAdministrators.Contains(userName);
        }
    }

    /// <summary>Lets <paramref name="userName"/> log in with the certificate in <paramref name="certificatePem"/>.</summary>
    /// <exception cref="ArgumentException">The PEM text holds no certificate.</exception>
    public void AddCertificateUser(string userName, string certificatePem)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userName);
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(certificatePem);
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw new ArgumentException($"The certificate for user '{userName}' is not a PEM certificate.", nameof(certificatePem), ex);
        }

        this.Identity.AddCertificate(userName, certificate);
    }

    /// <summary>
    /// Every token value the emulator has issued (logins and refreshes), live or not. Token values are secrets: this
    /// exists so tests can check that a client never writes one to a log, a URL or storage.
    /// </summary>
    public IReadOnlyList<string> IssuedTokenValues() => this.Identity.EverIssued();

    /// <summary>Kills every live token, so the next API call of every client answers 401.</summary>
    public int RevokeAllTokens() => this.Identity.RevokeAll();

    /// <summary>Completes when <paramref name="condition"/> holds, re-checking it after every change of state
    /// (a request logged, a task moving, a call starting to wait). No polling.</summary>
    public Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        if (condition())
        {
            return Task.CompletedTask;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (this.waiters)
        {
            this.waiters.Add((condition, done));
        }

        // The state may have changed between the first check and the registration.
        this.Notify();
        return done.Task.WaitAsync(cancellationToken);
    }

    internal void Notify()
    {
        (Func<bool> Condition, TaskCompletionSource Done)[] current;
        lock (this.waiters)
        {
            if (this.waiters.Count == 0)
            {
                return;
            }

            current = [.. this.waiters];
        }

        foreach ((Func<bool> condition, TaskCompletionSource done) in current)
        {
            bool satisfied;
            try
            {
                satisfied = done.Task.IsCompleted || condition();
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
                satisfied = true;
            }

            if (satisfied)
            {
                done.TrySetResult();
                lock (this.waiters)
                {
                    this.waiters.RemoveAll(w => ReferenceEquals(w.Done, done));
                }
            }
        }
    }

    internal static EmulatorState Create(AnaplanEmulatorOptions options, ILogger? logger = null)
    {
        TenantDefinition definition = options.Definition ?? TenantDefinition.Load(options.ModelPath ?? AnaplanEmulatorOptions.DefaultModelPath);
        foreach (string path in options.AdditionalModelPaths)
        {
            definition = definition.Merge(TenantDefinition.Load(path));
        }

        return new EmulatorState(options, definition, logger ?? NullLogger.Instance);
    }
}
