using System.Globalization;
using System.Text.Json;
using Azure.Storage.Blobs;
using Connector.Orchestrations.Flows.Budgets;
using Connector.Orchestrations.Storage;
using CsvHelper;

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

    /// <summary>
    /// Gets every journal entry of a budgets run with its result (posted, already posted, rejected, failed, held for
    /// review, or proposed for a dry run), read from the results blob the run's summary names; null for other runs, or
    /// when the report was read without the staging container.
    /// </summary>
    public IReadOnlyList<EntryResult>? Journal { get; init; }

    /// <summary>Reads a run's audit; with <paramref name="staging"/>, a budgets run's every entry too (<see cref="Journal"/>).</summary>
    /// <exception cref="RunNotFoundException">The connection has no audited run with that id.</exception>
    public static async Task<RunAuditReport> ReadAsync(
        AuditStore audit, string connectionId, string runId, int maxRecords, string? kind = null, BlobContainerClient? staging = null, CancellationToken cancellationToken = default)
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
            Journal = staging is not null && run.Flow == Scheduling.ScheduleEvaluator.Flows.Budgets ? await JournalAsync(staging, run.Summary, cancellationToken) : null,
        };
    }

    /// <summary>Reads a budgets run's every entry from its summary (null when it has no summary yet or the summary is not JSON).</summary>
    public static async Task<IReadOnlyList<EntryResult>?> JournalAsync(BlobContainerClient staging, string? summary, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(summary))
        {
            return null;
        }

        try
        {
            using var json = JsonDocument.Parse(summary);
            return await BudgetRunResults.ReadAsync(staging, json.RootElement, cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The CSV header of <see cref="WriteRecordsCsv"/>.</summary>
    public static IReadOnlyList<string> RecordsCsvHeader { get; } = ["kind", "dataset", "sequence", "line", "record", "field", "reason"];

    /// <summary>
    /// Writes records as CSV a person may open in a spreadsheet: a text cell starting with <c>= + - @</c>, tab or CR is
    /// written with a leading <c>'</c> (and quoted), so the spreadsheet shows it as text instead of running it as a formula.
    /// </summary>
    public static void WriteRecordsCsv(TextWriter output, IEnumerable<RecordAudit> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        WriteCsv(output, RecordsCsvHeader, records.Select(r => (IReadOnlyList<string?>)
            [r.Kind, r.Dataset, r.Sequence.ToString(CultureInfo.InvariantCulture), r.Line?.ToString(CultureInfo.InvariantCulture), r.Record, r.Field, r.Reason]));
    }

    /// <summary>Writes formula-safe CSV (see <see cref="WriteRecordsCsv"/>): a header, then the rows.</summary>
    public static void WriteCsv(TextWriter output, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string?>> rows)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        using CsvWriter csv = CsvWriter.Create(
            output,
            new CsvWriterOptions { FormatProvider = CultureInfo.InvariantCulture, Injection = CsvInjection.Escape },
            leaveOpen: true);
        csv.WriteHeader([.. header]);
        foreach (IReadOnlyList<string?> row in rows)
        {
            csv.WriteRecord([.. row.Select(c => c ?? string.Empty)]);
        }

        csv.Flush();
    }

    /// <summary>Gets a value indicating whether a record's dataset, record, field or reason contains <paramref name="text"/> (any case).</summary>
    public static bool Matches(RecordAudit record, string text)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.Dataset.Contains(text, StringComparison.OrdinalIgnoreCase)
            || record.Record.Contains(text, StringComparison.OrdinalIgnoreCase)
            || (record.Field?.Contains(text, StringComparison.OrdinalIgnoreCase) ?? false)
            || record.Reason.Contains(text, StringComparison.OrdinalIgnoreCase);
    }
}
