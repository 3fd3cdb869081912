using System.CommandLine;
using System.Text.Json;
using Connector.Agent.CommandLine;
using Connector.Orchestrations.Flows;
using Connector.Orchestrations.Flows.Actuals;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Microsoft.DurableTask.Client;
using Spectre.Console;

namespace Connector.Local.Cli;

/// <summary>
/// <c>connector runs audit &lt;run-id&gt;</c>: what the run's audit trail says, as tables (dataset counts, Sage's control
/// totals, the reconciliation result read back from Anaplan, every other field the run recorded for a dataset, and the
/// rejected, failed and differing records with field and reason), as CSV (the records) or as JSON (all of it).
/// </summary>
internal static class RunAuditCommand
{
    private const string SageTotals = "SageTotals";
    private const string ReconciliationDetail = "Reconciliation";

    public static Command Build(GlobalOptions globals)
    {
        Argument<string> id = CommonOptions.RunId();
        var connection = new Option<string?>("--connection") { Description = "The run's connection (default: from the run, or the start of its id)." };
        var kind = new Option<string?>("--kind") { Description = "Only records of this kind." };
        kind.AcceptOnlyFromAmong(StringComparer.OrdinalIgnoreCase, RecordKinds.Rejected, RecordKinds.Failed, RecordKinds.Difference);
        var max = new Option<int>("--max") { Description = "At most this many records.", DefaultValueFactory = _ => 10_000, CustomParser = r => OptionParsers.Int(1, 1_000_000)(r) };
        var csv = new Option<bool>("--csv") { Description = "Print the records (rejected, failed, reconciliation differences) as CSV (safe to open in a spreadsheet)." };
        Option<bool> json = CommonOptions.Json("the whole audit");
        var command = new Command(
            "audit",
            "Show a run's audit: dataset counts, control totals read from Sage, the reconciliation result (totals read back from "
            + "Anaplan), the other fields each dataset recorded, and the rejected, failed and differing records with field and reason.")
        {
            id, connection, kind, max, csv, json,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(csv) && result.GetValue(json))
            {
                result.AddError("Choose one of --csv and --json.");
            }
        });
        globals.SetClientAction(command, async (cli, services, ct) =>
        {
            string run = cli.Value(id)!;
            string connectionId = cli.Value(connection) ?? await ConnectionOfAsync(services.Get<DurableTaskClient>(), run, ct)
                ?? throw new ConnectorValidationException("--connection", $"Run id '{run}' does not name its connection; give --connection.");
            await services.Get<ConnectorStorage>().EnsureCreatedOnceAsync();
            RunAuditReport report = await RunAuditReport.ReadAsync(
                services.Get<AuditStore>(), connectionId, run, cli.Value(max), cli.Value(kind)?.ToLowerInvariant(), services.Get<ConnectorStorage>().StagingContainer, ct);
            if (cli.Value(json))
            {
                cli.WriteJson(report);
            }
            else if (cli.Value(csv))
            {
                RunAuditReport.WriteRecordsCsv(cli.Output, report.Records);
            }
            else
            {
                Write(cli, report);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<string?> ConnectionOfAsync(DurableTaskClient client, string run, CancellationToken ct)
    {
        OrchestrationMetadata? metadata = await client.GetInstanceAsync(RunIds.Root(run), getInputsAndOutputs: true, ct);
        if (metadata?.SerializedInput is { } input)
        {
            using JsonDocument document = JsonDocument.Parse(input);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && (document.RootElement.TryGetProperty("ConnectionId", out JsonElement c) || document.RootElement.TryGetProperty("connectionId", out c))
                && c.ValueKind == JsonValueKind.String)
            {
                return c.GetString();
            }
        }

        return RunIds.Connection(run);
    }

    private static void Write(CliContext cli, RunAuditReport report)
    {
        RunAudit run = report.Run;
        TextWriter o = cli.Output;
        o.WriteLine($"Run        {run.RunId}");
        o.WriteLine($"Connection {run.ConnectionId}   flow {run.Flow}   trigger {run.Trigger}");
        o.WriteLine($"Status     {run.Status}");
        o.WriteLine($"Started    {CliOutput.Time(run.StartedAt)}   finished {CliOutput.Time(run.FinishedAt)}{(run.FinishedAt is { } f ? $"   (took {CliOutput.Duration(f - run.StartedAt)})" : string.Empty)}");
        if (!string.IsNullOrWhiteSpace(run.Error))
        {
            o.WriteLine($"Error      {run.Error}");
        }

        o.WriteLine();
        WriteCounts(cli, report.Datasets);
        WriteTotals(cli, report.Datasets);
        WriteReconciliation(cli, report.Datasets);
        WriteDetails(cli, report.Datasets);
        WriteRecords(cli, report);
    }

    private static void WriteCounts(CliContext cli, IReadOnlyList<DatasetAudit> datasets)
    {
        if (datasets.Count == 0)
        {
            cli.Output.WriteLine("Datasets: none recorded");
            return;
        }

        string[] counts = [.. datasets.SelectMany(d => d.Counts.Keys).Distinct(StringComparer.Ordinal).OrderBy(CountOrder).ThenBy(k => k, StringComparer.Ordinal)];
        cli.Output.WriteLine("Datasets (counts as recorded by the run)");
        Table table = CliOutput.Table(["DATASET", "STATUS", .. counts.Select(c => c + ">")]);
        foreach (DatasetAudit d in datasets)
        {
            table.Row([d.Dataset, d.Status, .. counts.Select(c => d.Counts.TryGetValue(c, out long n) ? (object)n : null)]);
        }

        cli.Console.Write(table);
        cli.Output.WriteLine();
    }

    /// <summary>Control totals: Sage's totals per period, as the run read them from Sage (the <c>SageTotals</c> detail).</summary>
    private static void WriteTotals(CliContext cli, IReadOnlyList<DatasetAudit> datasets)
    {
        var rows = datasets
            .SelectMany(d => Detail<List<PeriodTotals>>(d, SageTotals) is { } totals ? totals.Select(t => (d.Dataset, Totals: t)) : [])
            .OrderBy(r => r.Dataset, StringComparer.Ordinal)
            .ThenBy(r => r.Totals.Period, StringComparer.Ordinal)
            .ToList();
        if (rows.Count == 0)
        {
            return;
        }

        cli.Output.WriteLine("Control totals (read from Sage)");
        Table table = CliOutput.Table("DATASET", "PERIOD", "ROWS>", "DEBIT>", "CREDIT>", "AMOUNT>", "COUNT>");
        foreach ((string dataset, PeriodTotals t) in rows)
        {
            table.Row([dataset, t.Period, .. Figures(dataset, t)]);
        }

        cli.Console.Write(table);
        cli.Output.WriteLine();
    }

    /// <summary>
    /// The reconciliation result of each dataset that has one (the <c>Reconciliation</c> detail): its status, the read-back
    /// export, cells compared and differences, then per period Sage's totals next to the totals read back from Anaplan.
    /// Nothing here is computed from what was sent; the differing cells are among the records (kind "difference").
    /// </summary>
    private static void WriteReconciliation(CliContext cli, IReadOnlyList<DatasetAudit> datasets)
    {
        var results = datasets
            .Select(d => (d.Dataset, Result: Detail<Reconciliation>(d, ReconciliationDetail)))
            .Where(r => r.Result is not null)
            .OrderBy(r => r.Dataset, StringComparer.Ordinal)
            .ToList();
        if (results.Count == 0)
        {
            return;
        }

        cli.Output.WriteLine("Reconciliation (read back from Anaplan after the load, compared with Sage to the cent)");
        Table summary = CliOutput.Table("DATASET", "STATUS", "EXPORT", "CELLS>", "DIFFERENCES>", "NOTE");
        foreach ((string dataset, Reconciliation? r) in results)
        {
            summary.Row(dataset, r!.Status, r.Export, r.CellsCompared, r.Differences, r.Reason ?? r.DifferencesBlob);
        }

        cli.Console.Write(summary);
        cli.Output.WriteLine();
        if (results.All(r => r.Result!.Periods.Count == 0))
        {
            return;
        }

        Table periods = CliOutput.Table("DATASET", "PERIOD", "SOURCE", "CELLS>", "DEBIT>", "CREDIT>", "AMOUNT>", "COUNT>", "RESULT");
        foreach ((string dataset, Reconciliation? r) in results)
        {
            foreach (PeriodReconciliation p in r!.Periods)
            {
                periods.Row([dataset, p.Period, "Sage, cells sent", .. Figures(dataset, p.Sage), null]);
                periods.Row([dataset, p.Period, "Anaplan, read back", .. Figures(dataset, p.Anaplan), p.Matches ? "matches" : "DIFFERS"]);
            }
        }

        cli.Console.Write(periods);
        cli.Output.WriteLine();
    }

    /// <summary>Every other field a dataset recorded (task ids, hashes, what was re-sent, messages...), as recorded.</summary>
    private static void WriteDetails(CliContext cli, IReadOnlyList<DatasetAudit> datasets)
    {
        var rows = datasets
            .SelectMany(d => d.Details.Where(kv => kv.Key is not (SageTotals or ReconciliationDetail) && !string.IsNullOrWhiteSpace(kv.Value) && kv.Value.Trim() != "[]").Select(kv => (d.Dataset, kv.Key, kv.Value)))
            .ToList();
        if (rows.Count == 0)
        {
            return;
        }

        cli.Output.WriteLine("Dataset details (other fields the run recorded)");
        Table table = CliOutput.Table("DATASET", "FIELD", "VALUE");
        foreach ((string dataset, string field, string value) in rows.OrderBy(r => r.Dataset, StringComparer.Ordinal).ThenBy(r => r.Key, StringComparer.Ordinal))
        {
            table.Row(dataset, field, CliOutput.Short(value, 200));
        }

        cli.Console.Write(table);
        cli.Output.WriteLine();
    }

    private static void WriteRecords(CliContext cli, RunAuditReport report)
    {
        if (report.Records.Count == 0)
        {
            cli.Output.WriteLine("Records: no rejected or failed record");
            return;
        }

        string by = string.Join(", ", report.Records.GroupBy(r => r.Kind).OrderBy(g => KindOrder(g.Key)).Select(g => g.Key == RecordKinds.Difference
            ? $"{g.Count()} reconciliation difference{(g.Count() == 1 ? string.Empty : "s")}"
            : $"{g.Count()} {g.Key}"));
        cli.Output.WriteLine($"Records ({by}{(report.RecordsTruncatedAt is { } at ? $"; the first {at} shown, --max for more" : string.Empty)})");
        Table table = CliOutput.Table("KIND", "DATASET", "LINE>", "RECORD", "FIELD", "REASON");
        foreach (RecordAudit r in report.Records)
        {
            table.Row(r.Kind, r.Dataset, r.Line, CliOutput.Short(r.Record, 80), r.Field, CliOutput.Short(r.Reason, 160));
        }

        cli.Console.Write(table);
    }

    /// <summary>Rows, debit, credit, amount and count of a period; GL has no count, AP no debit or credit (left blank).</summary>
    private static object?[] Figures(string dataset, PeriodTotals t)
    {
        bool gl = dataset == Datasets.GlActuals;
        return [t.Rows, gl ? t.Debit : null, gl ? t.Credit : null, t.Amount, gl ? null : (long)t.Count];
    }

    /// <summary>A detail the run recorded as JSON (<see cref="SummaryJson"/>), or null when the dataset has none.</summary>
    private static T? Detail<T>(DatasetAudit dataset, string name)
        where T : class
        => dataset.Details.TryGetValue(name, out string? value) && !string.IsNullOrWhiteSpace(value)
            ? JsonSerializer.Deserialize<T>(value, SummaryJson.Options)
            : null;

    private static int KindOrder(string kind) => kind switch
    {
        RecordKinds.Rejected => 0,
        RecordKinds.Failed => 1,
        _ => 2,
    };

    private static int CountOrder(string key) => Array.IndexOf(["read", "rejected", "unchanged", "staged", "uploadedParts", "uploadedBytes", "accepted", "failed", "ignored"], key) is var i and >= 0 ? i : 100;
}
