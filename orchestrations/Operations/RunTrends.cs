using System.Text.Json;
using Connector.Orchestrations.Storage;
using Microsoft.DurableTask.Client;

namespace Connector.Orchestrations.Operations;

/// <summary>
/// A connection's runs over the last days, for the dashboard's trend charts: each run's duration and row counts, read
/// from the audit trail (the run rows and the dataset rows; a budgets run has no dataset rows and its counts come from
/// the plan in its summary). Figures are the recorded ones, summed over the datasets; the duration is computed from the
/// recorded start and finish. A run whose audit row never closed (it failed, or was terminated) takes its status and
/// end from the durable run, while the task hub still has it.
/// </summary>
/// <param name="ConnectionId">The connection.</param>
/// <param name="From">The earliest start included.</param>
/// <param name="To">When the report was made.</param>
/// <param name="Runs">The runs, oldest first.</param>
/// <param name="TruncatedAt">The most runs one report holds, when the range had more (the newest are kept).</param>
public sealed record RunTrends(string ConnectionId, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<RunTrendPoint> Runs, int? TruncatedAt)
{
    /// <summary>The most runs one report holds.</summary>
    public const int MaxRuns = 2000;

    /// <summary>Reads the trend of <paramref name="connectionId"/> over the <paramref name="days"/> days before <paramref name="now"/>.</summary>
    public static async Task<RunTrends> ReadAsync(
        AuditStore audit, DurableTaskClient client, string connectionId, DateTimeOffset now, int days, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(client);
        DateTimeOffset from = now.AddDays(-days);
        List<RunAudit> rows = await audit.ListRunsAsync(connectionId, from, cancellationToken).ToListAsync(cancellationToken);
        rows = [.. rows.OrderByDescending(r => r.StartedAt)];
        int? truncated = rows.Count > MaxRuns ? MaxRuns : null;
        RunAudit[] kept = [.. rows.Take(MaxRuns)];

        var points = new RunTrendPoint[kept.Length];
        await Parallel.ForAsync(0, kept.Length, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
            points[i] = await PointAsync(audit, client, kept[i], ct));
        return new RunTrends(connectionId, from, now, [.. points.OrderBy(p => p.StartedAt)], truncated);
    }

    private static async Task<RunTrendPoint> PointAsync(AuditStore audit, DurableTaskClient client, RunAudit run, CancellationToken cancellationToken)
    {
        string status = run.Status;
        DateTimeOffset? finished = run.FinishedAt;
        if (finished is null)
        {
            // A failed or terminated run never reaches the activity that closes its audit row.
            OrchestrationMetadata? durable = await client.GetInstanceAsync(run.RunId, false, cancellationToken);
            if (durable is not null && RunOperations.FinishedStatuses.Contains(durable.RuntimeStatus))
            {
                status = durable.RuntimeStatus.ToString();
                finished = durable.LastUpdatedAt;
            }
        }

        IReadOnlyList<DatasetAudit> datasets = await audit.GetDatasetsAsync(run.RunId, cancellationToken);
        long? Sum(string count) => datasets.Any(d => d.Counts.ContainsKey(count)) ? datasets.Sum(d => d.Counts.GetValueOrDefault(count)) : null;
        long? read = Sum("read");
        long? accepted = Sum("accepted");
        long? rejected = Sum("rejected");
        long? failed = Sum("failed");
        if (datasets.Count == 0 && PlanCounts(run.Summary) is { } plan)
        {
            (read, rejected) = plan;
        }

        return new RunTrendPoint(
            run.RunId,
            run.Flow,
            run.Trigger,
            status,
            run.StartedAt,
            finished,
            finished is { } end ? Math.Max(0, (end - run.StartedAt).TotalSeconds) : null,
            read,
            accepted,
            rejected,
            failed);
    }

    /// <summary>The lines read and rejected of a budgets run, from the plan in its summary.</summary>
    private static (long Read, long Rejected)? PlanCounts(string? summary)
    {
        if (string.IsNullOrWhiteSpace(summary))
        {
            return null;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(summary);
            return document.RootElement.TryGetProperty("plan", out JsonElement plan)
                && plan.TryGetProperty("linesRead", out JsonElement read) && read.TryGetInt64(out long r)
                ? (r, plan.TryGetProperty("linesRejected", out JsonElement rejected) && rejected.TryGetInt64(out long x) ? x : 0)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>One run in a trend: status (the audit's outcome, or the durable status of a run that never closed its audit row), times and counts.</summary>
public sealed record RunTrendPoint(
    string RunId,
    string Flow,
    string Trigger,
    string Status,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    double? DurationSeconds,
    long? RowsRead,
    long? RowsAccepted,
    long? RowsRejected,
    long? RowsFailed);
