using System.Globalization;
using Connector.Orchestrations.Configuration;
using Cronos;

namespace Connector.Orchestrations.Scheduling;

/// <summary>
/// Decides which scheduled runs are due. A frequent tick (a timer trigger, or the local host's loop) asks for the latest
/// slot of every enabled flow at or before now; the run id is derived from the slot, so every tick in the same slot
/// names the same run and starting it again is a no-op. After downtime, a slot younger than the catch-up window still
/// runs once; older slots are skipped (the next slot re-sends the same periods anyway).
/// </summary>
public static class ScheduleEvaluator
{
    /// <summary>The flows a connection has.</summary>
    public static class Flows
    {
        public const string Actuals = "actuals";
        public const string Budgets = "budgets";
    }

    /// <summary>Lists the runs due at <paramref name="now"/>.</summary>
    public static IReadOnlyList<DueRun> DueRuns(ConnectorOptions options, DateTimeOffset now, TimeSpan catchUp)
    {
        ArgumentNullException.ThrowIfNull(options);
        var due = new List<DueRun>();
        foreach (ConnectionOptions connection in options.Connections)
        {
            if (connection.Actuals.Enabled)
            {
                Add(connection.Id, Flows.Actuals, connection.Actuals.Schedule, connection.Actuals.TimeZone);
            }

            if (connection.Budgets.Enabled)
            {
                Add(connection.Id, Flows.Budgets, connection.Budgets.Schedule, connection.Budgets.TimeZone);
            }
        }

        return due;

        void Add(string connectionId, string flow, string schedule, string timeZone)
        {
            DateTimeOffset? slot = LatestSlot(schedule, timeZone, now, catchUp);
            if (slot is { } s)
            {
                due.Add(new DueRun(connectionId, flow, s, ScheduledRunId(connectionId, flow, s)));
            }
        }
    }

    /// <summary>The latest occurrence in (now − catchUp, now], or null.</summary>
    public static DateTimeOffset? LatestSlot(string schedule, string timeZone, DateTimeOffset now, TimeSpan catchUp)
    {
        CronExpression cron = ConnectorOptionsValidator.ParseCron(schedule);
        TimeZoneInfo zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        DateTimeOffset? latest = null;
        foreach (DateTimeOffset occurrence in cron.GetOccurrences(now - catchUp, now, zone, fromInclusive: false, toInclusive: true))
        {
            latest = occurrence;
        }

        return latest;
    }

    /// <summary>The run id of a scheduled slot: <c>{connection}:{flow}:{slot UTC, yyyyMMddTHHmmssZ}</c>.</summary>
    public static string ScheduledRunId(string connectionId, string flow, DateTimeOffset slot)
        => $"{connectionId}:{flow}:{slot.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}";

    /// <summary>
    /// The run id of an on-demand run: with a request key (an idempotency key the caller chooses) a retried request
    /// names the same run; without one each request is a new run.
    /// </summary>
    public static string OnDemandRunId(string connectionId, string flow, string? requestKey, DateTimeOffset now)
    {
        if (requestKey is { Length: > 0 })
        {
            if (requestKey.Length > 64 || !requestKey.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                throw new Operations.ConnectorValidationException(nameof(requestKey), "A request key is 1 to 64 letters, digits, '-', '_' or '.'.");
            }

            return $"{connectionId}:{flow}:req-{requestKey}";
        }

        return $"{connectionId}:{flow}:now-{now.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture)}";
    }
}

/// <summary>A run the schedule wants now.</summary>
public sealed record DueRun(string ConnectionId, string Flow, DateTimeOffset Slot, string RunId);
