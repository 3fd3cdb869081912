using System.CommandLine;
using System.Text.Json;
using Connector.Agent.CommandLine;
using Connector.Orchestrations.Operations;
using Connector.Orchestrations.Storage;
using Microsoft.DurableTask.Client;
using Spectre.Console;

namespace Connector.Local.Cli;

/// <summary>
/// <c>connector runs audit &lt;run-id&gt;</c>: what the run's audit trail says, as tables (dataset counts, control totals,
/// every other field the run recorded for a dataset, such as reconciliation results, and the rejected and failed
/// records with field and reason), as CSV (the records) or as JSON (all of it).
/// </summary>
internal static class RunAuditCommand
{
    public static Command Build(GlobalOptions globals)
    {
        Argument<string> id = CommonOptions.RunId();
        var connection = new Option<string?>("--connection") { Description = "The run's connection (default: from the run, or the start of its id)." };
        var kind = new Option<string?>("--kind") { Description = "Only records of this kind." };
        kind.AcceptOnlyFromAmong(StringComparer.OrdinalIgnoreCase, RecordKinds.Rejected, RecordKinds.Failed);
        var max = new Option<int>("--max") { Description = "At most this many records.", DefaultValueFactory = _ => 10_000, CustomParser = r => OptionParsers.Int(1, 1_000_000)(r) };
        var csv = new Option<bool>("--csv") { Description = "Print the rejected and failed records as CSV (safe to open in a spreadsheet)." };
        Option<bool> json = CommonOptions.Json("the whole audit");
        var command = new Command(
            "audit",
            "Show a run's audit: dataset counts, control totals (Sage read → accepted), the other fields each dataset recorded "
            + "(reconciliation results...), and the rejected and failed records with field and reason.")
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
            RunAuditReport report = await RunAuditReport.ReadAsync(services.Get<AuditStore>(), connectionId, run, cli.Value(max), cli.Value(kind)?.ToLowerInvariant(), ct);
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

    /// <summary>
    /// Control totals: every dataset detail holding per-period totals (a JSON array of objects with a <c>period</c>),
    /// such as <c>SageTotals</c> and <c>AcceptedTotals</c>, one row per period and kind of total, with the difference
    /// from Sage's total computed here.
    /// </summary>
    private static void WriteTotals(CliContext cli, IReadOnlyList<DatasetAudit> datasets)
    {
        var rows = new List<(string Dataset, string Period, string Name, JsonElement Totals)>();
        foreach (DatasetAudit d in datasets)
        {
            foreach ((string name, string value) in d.Details)
            {
                foreach (JsonElement totals in PeriodTotals(value))
                {
                    rows.Add((d.Dataset, totals.GetProperty("period").GetString() ?? string.Empty, name, totals));
                }
            }
        }

        if (rows.Count == 0)
        {
            return;
        }

        cli.Output.WriteLine("Control totals (as recorded; the difference from Sage is computed here)");
        Table table = CliOutput.Table("DATASET", "PERIOD", "TOTAL", "ROWS>", "DEBIT>", "CREDIT>", "AMOUNT>", "COUNT>", "AMOUNT - SAGE>");
        foreach (var group in rows.GroupBy(r => (r.Dataset, r.Period)).OrderBy(g => g.Key.Dataset, StringComparer.Ordinal).ThenBy(g => g.Key.Period, StringComparer.Ordinal))
        {
            decimal? sage = group.FirstOrDefault(r => r.Name == "SageTotals").Totals is { ValueKind: JsonValueKind.Object } s ? Decimal(s, "amount") : null;
            foreach (var row in group.OrderBy(r => r.Name == "SageTotals" ? 0 : 1).ThenBy(r => r.Name, StringComparer.Ordinal))
            {
                decimal? amount = Decimal(row.Totals, "amount");
                table.Row(
                    row.Dataset,
                    row.Period,
                    row.Name,
                    Decimal(row.Totals, "rows") is { } n ? (long)n : null,
                    Decimal(row.Totals, "debit"),
                    Decimal(row.Totals, "credit"),
                    amount,
                    Decimal(row.Totals, "count") is { } c ? (long)c : null,
                    row.Name == "SageTotals" || sage is null || amount is null ? null : amount - sage);
            }
        }

        cli.Console.Write(table);
        cli.Output.WriteLine();
    }

    /// <summary>Every other field a dataset recorded (task ids, hashes, messages, reconciliation results...), as recorded.</summary>
    private static void WriteDetails(CliContext cli, IReadOnlyList<DatasetAudit> datasets)
    {
        var rows = datasets
            .SelectMany(d => d.Details.Where(kv => !string.IsNullOrWhiteSpace(kv.Value) && kv.Value.Trim() != "[]" && !PeriodTotals(kv.Value).Any()).Select(kv => (d.Dataset, kv.Key, kv.Value)))
            .ToList();
        if (rows.Count == 0)
        {
            return;
        }

        cli.Output.WriteLine("Dataset details (reconciliation and other fields the run recorded)");
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

        string by = string.Join(", ", report.Records.GroupBy(r => r.Kind).OrderBy(g => g.Key == RecordKinds.Rejected ? 0 : 1).Select(g => $"{g.Count()} {g.Key}"));
        cli.Output.WriteLine($"Records ({by}{(report.RecordsTruncatedAt is { } at ? $"; the first {at} shown, --max for more" : string.Empty)})");
        Table table = CliOutput.Table("KIND", "DATASET", "LINE>", "RECORD", "FIELD", "REASON");
        foreach (RecordAudit r in report.Records)
        {
            table.Row(r.Kind, r.Dataset, r.Line, CliOutput.Short(r.Record, 80), r.Field, CliOutput.Short(r.Reason, 160));
        }

        cli.Console.Write(table);
    }

    private static IEnumerable<JsonElement> PeriodTotals(string value)
    {
        if (!value.StartsWith('['))
        {
            return [];
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(value);
            JsonElement[] items = [.. document.RootElement.EnumerateArray().Select(e => e.Clone())];
            return items.Length > 0 && items.All(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("period", out JsonElement p) && p.ValueKind == JsonValueKind.String)
                ? items
                : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static decimal? Decimal(JsonElement e, string name)
        => e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetDecimal() : null;

    private static int CountOrder(string key) => Array.IndexOf(["read", "rejected", "unchanged", "staged", "uploadedParts", "uploadedBytes", "accepted", "failed", "ignored"], key) is var i and >= 0 ? i : 100;
}
