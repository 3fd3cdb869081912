using Connector.Orchestrations.Storage;

namespace Connector.Orchestrations.Operations;

/// <summary>
/// A run's audit as the operator reads it (HTTP <c>GET .../runs/{runId}/audit</c>, <c>connector runs audit</c>): the run
/// row, its dataset rows (counts, control totals and whatever else the flow recorded, such as reconciliation results)
/// and its rejected and failed records, each with the field and the reason.
/// </summary>
/// <param name="Run">The run row.</param>
/// <param name="Datasets">The dataset rows.</param>
/// <param name="Records">The rejected and failed records, up to the limit asked for.</param>
/// <param name="RecordsTruncatedAt">The limit, when the run has more records than it.</param>
public sealed record RunAuditReport(RunAudit Run, IReadOnlyList<DatasetAudit> Datasets, IReadOnlyList<RecordAudit> Records, int? RecordsTruncatedAt)
{
    /// <summary>Gets the operator actions on the run (rewinds, terminations, replays), oldest first: when, by whom, why, which attempt.</summary>
    public IReadOnlyList<RunEvent> Events { get; init; } = [];

    /// <summary>Reads a run's audit.</summary>
    /// <exception cref="RunNotFoundException">The connection has no audited run with that id.</exception>
    public static async Task<RunAuditReport> ReadAsync(
        AuditStore audit, string connectionId, string runId, int maxRecords, string? kind = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        RunAudit run = await audit.GetRunAsync(connectionId, runId, cancellationToken)
            ?? throw new RunNotFoundException(runId, $"Connection '{connectionId}' has no audited run '{runId}'.");
        var records = new List<RecordAudit>();
        bool truncated = false;
        await foreach (RecordAudit record in audit.GetRecordsAsync(runId, null, cancellationToken))
        {
            if (kind is not null && !string.Equals(record.Kind, kind, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (records.Count >= maxRecords)
            {
                truncated = true;
                break;
            }

            records.Add(record);
        }

        return new RunAuditReport(run, await audit.GetDatasetsAsync(runId, cancellationToken), records, truncated ? maxRecords : null)
        {
            Events = await audit.GetEventsAsync(runId, cancellationToken),
        };
    }
}
