namespace Connector.Agent.Backends.Simulated;

/// <summary>The faults armed on a simulated company.</summary>
/// <param name="LockNextWrites">The next N write attempts fail with a Sage record-lock message.</param>
/// <param name="LockMessage">The lock message; a Sage-like default when null.</param>
/// <param name="UnavailableReason"><c>licence</c>, <c>external_access</c> or <c>session</c>: calls fail as unavailable.</param>
/// <param name="UnavailableCount">For how many calls; until cleared when null.</param>
/// <param name="SlowPageMilliseconds">Delay added to every paged read.</param>
/// <param name="CrashAfterNextWrites">The next N writes succeed in Sage, then the agent drops the connection without replying.</param>
/// <param name="UnreadableTables">
/// Sage tables (<c>GL_Account</c>, <c>GL_FiscalYearDetail</c>, ...) whose reads fail until cleared, as a BOI call fails
/// when a table's file cannot be opened (damaged, or locked by another process): every read that uses one of them is
/// unavailable; the other reads go through.
/// </param>
public sealed record SimulatedFaultSettings(
    int LockNextWrites = 0,
    string? LockMessage = null,
    string? UnavailableReason = null,
    int? UnavailableCount = null,
    int SlowPageMilliseconds = 0,
    int CrashAfterNextWrites = 0,
    IReadOnlyList<string>? UnreadableTables = null);

/// <summary>Thread-safe fault switches of one simulated company.</summary>
public sealed class SimulatedFaults
{
    /// <summary>A lock message in the forms Sage uses ("in use", "lock").</summary>
    public const string DefaultLockMessage = "The batch is in use by another workstation. Record is locked.";

    private readonly Lock gate = new();
    private SimulatedFaultSettings settings = new();

    /// <summary>Gets the faults now armed.</summary>
    public SimulatedFaultSettings Current
    {
        get
        {
            lock (this.gate)
            {
                return this.settings;
            }
        }
    }

    /// <summary>Replaces the armed faults.</summary>
    public void Set(SimulatedFaultSettings faults)
    {
        ArgumentNullException.ThrowIfNull(faults);
        lock (this.gate)
        {
            this.settings = faults;
        }
    }

    /// <summary>Disarms every fault.</summary>
    public void Clear() => this.Set(new SimulatedFaultSettings());

    internal string? TryConsumeLock()
    {
        lock (this.gate)
        {
            if (this.settings.LockNextWrites <= 0)
            {
                return null;
            }

            this.settings = this.settings with { LockNextWrites = this.settings.LockNextWrites - 1 };
            return this.settings.LockMessage ?? DefaultLockMessage;
        }
    }

    internal string? TryConsumeUnavailable()
    {
        lock (this.gate)
        {
            if (this.settings.UnavailableReason is not { } reason)
            {
                return null;
            }

            if (this.settings.UnavailableCount is { } n)
            {
                this.settings = n <= 1
                    ? this.settings with { UnavailableReason = null, UnavailableCount = null }
                    : this.settings with { UnavailableCount = n - 1 };
            }

            return reason;
        }
    }

    /// <summary>The first of <paramref name="tables"/> armed as unreadable, or null.</summary>
    internal string? UnreadableOf(string[] tables)
    {
        lock (this.gate)
        {
            return this.settings.UnreadableTables is { Count: > 0 } unreadable
                ? tables.FirstOrDefault(t => unreadable.Contains(t, StringComparer.OrdinalIgnoreCase))
                : null;
        }
    }

    internal bool TryConsumeCrash()
    {
        lock (this.gate)
        {
            if (this.settings.CrashAfterNextWrites <= 0)
            {
                return false;
            }

            this.settings = this.settings with { CrashAfterNextWrites = this.settings.CrashAfterNextWrites - 1 };
            return true;
        }
    }

    internal int SlowPageMilliseconds
    {
        get
        {
            lock (this.gate)
            {
                return this.settings.SlowPageMilliseconds;
            }
        }
    }
}
