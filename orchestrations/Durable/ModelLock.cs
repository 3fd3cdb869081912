using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;

namespace Connector.Orchestrations.Durable;

/// <summary>
/// The per-model mutex. Anaplan import, export and process actions lock the model they run on, so every
/// orchestration that starts an Anaplan action first locks this entity (keyed by workspace and model) through
/// <see cref="ModelLockExtensions.LockModelAsync"/>. Mutual exclusion itself comes from the Durable Task entity
/// scheduler (critical sections); the entity's state only records who holds the lock and why, for operators.
/// </summary>
public sealed class ModelLock : TaskEntity<ModelLockState>
{
    /// <summary>The entity name used in entity ids (<c>@modellock@{workspace}:{model}</c>).</summary>
    public const string EntityName = nameof(ModelLock);

    /// <summary>Builds the entity id of the lock for one Anaplan model.</summary>
    /// <exception cref="ArgumentException">The workspace or model id is empty or contains characters that
    /// cannot be part of a storage key.</exception>
    public static EntityInstanceId IdFor(string workspaceId, string modelId)
    {
        ValidateKeyPart(workspaceId, nameof(workspaceId));
        ValidateKeyPart(modelId, nameof(modelId));

        // Anaplan ids are hex; lower-casing makes "ABC" and "abc" the same lock.
        return new EntityInstanceId(EntityName, $"{workspaceId.ToLowerInvariant()}:{modelId.ToLowerInvariant()}");
    }

    /// <summary>Records that <paramref name="holder"/> entered its critical section.</summary>
    public void Enter(ModelLockHolder holder)
    {
        ArgumentNullException.ThrowIfNull(holder);
        this.State.Holder = holder;
        this.State.Acquisitions++;
    }

    /// <summary>Records that the instance left its critical section (ignored if another holder is recorded).</summary>
    public void Exit(ModelLockRelease release)
    {
        ArgumentNullException.ThrowIfNull(release);
        if (this.State.Holder is { } holder && holder.InstanceId == release.InstanceId)
        {
            this.State.LastReleased = new ModelLockHolder(holder.InstanceId, holder.Purpose, holder.Since, release.At);
            this.State.Holder = null;
        }
    }

    /// <summary>Returns the current state (for operators and tests).</summary>
    public ModelLockState Get() => this.State;

    /// <inheritdoc/>
    protected override ModelLockState InitializeState(TaskEntityOperation entityOperation) => new();

    private static void ValidateKeyPart(string value, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        foreach (char c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_')
            {
                throw new ArgumentException(
                    $"'{value}' is not a valid Anaplan id for a model lock: only letters, digits, '-' and '_' are allowed.",
                    name);
            }
        }
    }
}

/// <summary>State of a <see cref="ModelLock"/>.</summary>
public sealed class ModelLockState
{
    /// <summary>Gets or sets the current holder, or null when no critical section is recorded as open.</summary>
    public ModelLockHolder? Holder { get; set; }

    /// <summary>Gets or sets the last completed critical section.</summary>
    public ModelLockHolder? LastReleased { get; set; }

    /// <summary>Gets or sets how many critical sections have entered this lock.</summary>
    public long Acquisitions { get; set; }
}

/// <summary>Who holds (or held) a model lock, for what, and since when (orchestration time, UTC).</summary>
public sealed record ModelLockHolder(string InstanceId, string Purpose, DateTime Since, DateTime? ReleasedAt = null);

/// <summary>Input of <see cref="ModelLock.Exit"/>.</summary>
public sealed record ModelLockRelease(string InstanceId, DateTime At);
