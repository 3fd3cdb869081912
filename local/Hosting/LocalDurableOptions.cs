namespace Connector.Local.Hosting;

/// <summary>
/// Settings of the local Durable Task host: the Durable Task Framework engine with its Azure Storage backend, the same
/// engine and backend Durable Functions uses in Azure with the default storage provider.
/// </summary>
public sealed class LocalDurableOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Durable";

    /// <summary>
    /// Gets or sets the storage connection string. Defaults to the local emulator (Azurite). Ignored when
    /// <see cref="AccountName"/> or the service URIs are set (identity-based access).
    /// </summary>
    public string ConnectionString { get; set; } = "UseDevelopmentStorage=true";

    /// <summary>Gets or sets a storage account name to reach with an Entra ID identity instead of a key.</summary>
    public string? AccountName { get; set; }

    /// <summary>Gets or sets explicit service URIs for identity-based access (sovereign clouds, private endpoints).</summary>
    public Uri? BlobServiceUri { get; set; }

    /// <inheritdoc cref="BlobServiceUri"/>
    public Uri? QueueServiceUri { get; set; }

    /// <inheritdoc cref="BlobServiceUri"/>
    public Uri? TableServiceUri { get; set; }

    /// <summary>Gets or sets the managed identity client id (user-assigned identity), if any.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Gets or sets the task hub name: letters and digits, starts with a letter, 3 to 45 characters.</summary>
    public string TaskHubName { get; set; } = "ConnectorLocal";

    /// <summary>Gets or sets the number of control-queue partitions (fixed for the life of a task hub).</summary>
    public int PartitionCount { get; set; } = 4;

    /// <summary>
    /// Gets or sets the longest wait between polls of an idle queue: how long a run started on demand (or by the schedule
    /// tick) can wait before a worker that has been idle picks it up. 0.5 s: a 1 M-row run measured 1.97 s from its start to
    /// its first step with 2 s (the worker idle before it); an idle worker polls its queues (4 control queues and the work-item
    /// queue) at most twice a second.
    /// </summary>
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Gets or sets how long a partition lease lasts without renewal (how fast a dead worker is replaced).</summary>
    public TimeSpan LeaseInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how often leases are renewed.</summary>
    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how often free or expired leases are looked for.</summary>
    public TimeSpan LeaseAcquireInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how long a dequeued activity message stays invisible to other workers (renewed while
    /// the activity runs); after a crash the activity runs again once this elapses.</summary>
    public TimeSpan WorkItemQueueVisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets the same for control-queue (orchestration and entity) messages.</summary>
    public TimeSpan ControlQueueVisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets the maximum number of activities one worker runs at once.</summary>
    public int MaxConcurrentActivities { get; set; } = 10;

    /// <summary>
    /// Gets or sets a value indicating whether an orchestration stays in the worker's memory between its episodes (the
    /// backend's extended sessions): the next event is applied to the orchestration as it is, instead of its whole history
    /// being read from the history table and replayed. Off by default: with it on, a 2 M-row bench run took 1.4 worker
    /// CPU-s and 1.2 Azurite CPU-s less, but a worker stopping waited for its idle sessions (the 10 s shutdown test and the
    /// demo's stop failed), and the model lock's state read by the client (`lock`, the dashboard) lagged behind the entity
    /// kept in memory (the lock tests read 0 acquisitions after 2). A session idle for <see cref="ExtendedSessionIdleTimeout"/>
    /// is let go of (and counts in <see cref="MaxConcurrentOrchestrations"/> until then).
    /// </summary>
    public bool ExtendedSessions { get; set; }

    /// <summary>Gets or sets how long an orchestration with nothing to do stays in memory (<see cref="ExtendedSessions"/>).</summary>
    public TimeSpan ExtendedSessionIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the maximum number of orchestration work items one worker runs at once.</summary>
    public int MaxConcurrentOrchestrations { get; set; } = 50;

    /// <summary>Gets or sets this worker's id in leases and logs (defaults to machine name and process id).</summary>
    public string? WorkerId { get; set; }

    /// <summary>Gets or sets how often the client polls an instance's state while waiting for it.</summary>
    public TimeSpan ClientPollingInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Gets or sets the first interval of the connector's durable retries (<c>Durable:RetryFirstInterval</c>, see
    /// <see cref="Orchestrations.Durable.DurableRetry"/>): 5 s by default, each next wait twice the last. The worker fixes
    /// it for the life of the process as it starts.
    /// </summary>
    public TimeSpan RetryFirstInterval { get; set; } = Orchestrations.Durable.DurableRetry.DefaultFirstInterval;

    /// <summary>Throws with the setting's name when a value cannot work.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(this.TaskHubName)
            || this.TaskHubName.Length is < 3 or > 45
            || !char.IsAsciiLetter(this.TaskHubName[0])
            || !this.TaskHubName.All(char.IsAsciiLetterOrDigit))
        {
            throw new InvalidOperationException(
                $"{SectionName}:{nameof(this.TaskHubName)} '{this.TaskHubName}' is not valid: use 3 to 45 letters and digits, starting with a letter.");
        }

        if (this.PartitionCount is < 1 or > 16)
        {
            throw new InvalidOperationException($"{SectionName}:{nameof(this.PartitionCount)} must be between 1 and 16.");
        }

        if (this.AccountName is null && this.BlobServiceUri is null && string.IsNullOrWhiteSpace(this.ConnectionString))
        {
            throw new InvalidOperationException(
                $"{SectionName}:{nameof(this.ConnectionString)} or {SectionName}:{nameof(this.AccountName)} must be set.");
        }

        if (this.ExtendedSessions && (this.ExtendedSessionIdleTimeout <= TimeSpan.Zero || this.ExtendedSessionIdleTimeout > TimeSpan.FromMinutes(10)))
        {
            throw new InvalidOperationException($"{SectionName}:{nameof(this.ExtendedSessionIdleTimeout)} must be more than 0 and at most 10 minutes.");
        }

        Orchestrations.Durable.DurableRetry.Validate(this.RetryFirstInterval);

        if (this.LeaseRenewInterval >= this.LeaseInterval)
        {
            throw new InvalidOperationException(
                $"{SectionName}:{nameof(this.LeaseRenewInterval)} must be shorter than {SectionName}:{nameof(this.LeaseInterval)}.");
        }
    }
}
