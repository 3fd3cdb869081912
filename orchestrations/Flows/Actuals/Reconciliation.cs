using System.Globalization;
using Azure.Storage.Blobs.Specialized;
using Connector.Orchestrations.ModelFit;
using Connector.Orchestrations.Storage;
using CsvHelper;
using Microsoft.DurableTask;

namespace Connector.Orchestrations.Flows.Actuals;

/// <summary>Input of <see cref="ReconcileDatasetActivity"/>: what was sent (in <c>Layout</c>), what Anaplan exported right after, and how to read it.</summary>
/// <param name="Columns">The read-back export's column name of each field of the dataset, in the order of <see cref="ImportFields.Of"/>; an empty name is not compared (the import does not send that field, or the model does not show it).</param>
/// <param name="Periods">GL: the run's periods (every cell of them is compared); AP: empty (the cells the run sent are compared).</param>
public sealed record ReconcileInput(RunRef Run, string Dataset, string Export, StagedCsv Staged, string ReadBackBlob, IReadOnlyList<string> Columns, IReadOnlyList<string> Periods, DatasetLayout? Layout = null)
{
    /// <summary>Gets a value indicating whether only the cells sent are compared, for GL too (a run that sent some cells of its periods).</summary>
    public bool SentCellsOnly { get; init; }
}

/// <summary>
/// What reconciliation found for one dataset. <c>Status</c> is one of <see cref="ReconciliationStatuses"/>; totals and
/// cells marked "Anaplan" were read back from the model, never computed from what was sent.
/// </summary>
public sealed record Reconciliation(
    string Status,
    string? Export,
    string? Reason,
    IReadOnlyList<PeriodReconciliation> Periods,
    long CellsCompared,
    long Differences,
    IReadOnlyList<CellDifference> FirstDifferences,
    string? DifferencesBlob)
{
    /// <summary>A dataset that was not reconciled, and why.</summary>
    public static Reconciliation Not(string status, string reason, string? export = null) => new(status, export, reason, [], 0, 0, [], null);
}

/// <summary>One period: Sage's totals of the cells sent and the totals of the same cells read back from Anaplan.</summary>
public sealed record PeriodReconciliation(string Period, long Cells, PeriodTotals Sage, PeriodTotals Anaplan, bool Matches);

/// <summary>One cell that differs: the period, the item (account × cost centre, or vendor), the line item, Sage's value and what Anaplan holds (as it exported it).</summary>
public sealed record CellDifference(string Period, string Item, string LineItem, decimal Sage, string Anaplan);

/// <summary>Reconciliation outcomes.</summary>
public static class ReconciliationStatuses
{
    /// <summary>Every compared cell and period total equals Sage to the cent.</summary>
    public const string Reconciled = "Reconciled";

    /// <summary>Anaplan holds other values than Sage for some cells (listed).</summary>
    public const string Differences = "Differences";

    /// <summary>No read-back is configured, or nothing was loaded: no figure is claimed as verified.</summary>
    public const string NotReconciled = "NotReconciled";

    /// <summary>A read-back is configured but could not be taken (the export failed).</summary>
    public const string Failed = "Failed";
}

/// <summary>
/// Compares what a load sent with what the read-back export shows, cell by cell and per period, to the cent. GL: every
/// cell of the run's periods (a cell Anaplan holds that Sage does not is a difference too); AP (incremental): the cells
/// the run sent. A missing cell counts as zero. Differences go to the audit (one row each) and to a CSV a person can open.
/// </summary>
public sealed class ReconcileDatasetActivity(ConnectorStorage storage, AuditStore audit, StepResultStore steps) : TaskActivity<ReconcileInput, Reconciliation>
{
    /// <summary>How many differences the summary lists (all of them are in the audit and the CSV).</summary>
    public const int Listed = 25;

    public override async Task<Reconciliation> RunAsync(TaskActivityContext context, ReconcileInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return await steps.RecordAsync(input.Run, StepKeys.Reconcile(input.Dataset), await this.ReconcileAsync(input));
    }

    private async Task<Reconciliation> ReconcileAsync(ReconcileInput input)
    {
        bool gl = input.Dataset == Datasets.GlActuals;
        DatasetLayout layout = input.Layout ?? DatasetLayout.Default(input.Dataset);
        IReadOnlyList<string> fields = ImportFields.Of(input.Dataset);
        IReadOnlyList<string> keyFields = ImportFields.KeyOf(input.Dataset);
        string ColumnOf(string field) => Column(input.Columns, fields, field, input.Dataset);

        // The members and line items compared: those the import sends and the read-back shows (the period last).
        string[] memberFields = [.. keyFields.Where(f => layout.Has(f) && ColumnOf(f).Length > 0)];
        string[] lineItems = [.. fields.Except(keyFields).Where(f => layout.Has(f) && ColumnOf(f).Length > 0)];
        int members = memberFields.Length;

        // What was sent: the staged rows, keyed by their members.
        var sent = new Dictionary<string, (string[] Members, decimal[] Values)>(StringComparer.OrdinalIgnoreCase);
        await foreach (string[] row in StagedCsvReader.ReadAsync(storage, input.Staged))
        {
            string[] key = [.. memberFields.Select(f => (layout.Value(row, f) ?? string.Empty).Trim())];
            decimal[] values = [.. lineItems.Select(f => decimal.Parse(layout.Value(row, f)!, NumberStyles.Float, CultureInfo.InvariantCulture))];
            string k = string.Join('|', key);
            sent[k] = sent.TryGetValue(k, out var before) ? (key, [.. before.Values.Zip(values, (a, b) => a + b)]) : (key, values);
        }

        // What Anaplan holds: the read-back export, columns found by their configured names.
        var periods = new HashSet<string>(input.Periods, StringComparer.OrdinalIgnoreCase);
        var held = new Dictionary<string, (string[] Members, string[] Texts)>(StringComparer.OrdinalIgnoreCase);
        await using (Stream stream = await storage.StagingContainer.GetBlobClient(input.ReadBackBlob).OpenReadAsync())
        await using (CsvReader csv = CsvReader.Create(stream, new CsvReaderOptions { HasHeader = true, FormatProvider = CultureInfo.InvariantCulture }, leaveOpen: true))
        {
            await csv.ReadHeaderAsync();
            string[] wanted = [.. memberFields.Concat(lineItems).Select(ColumnOf)];
            int[] at = [.. wanted.Select(c => csv.Headers.ToList().FindIndex(h => string.Equals(h.Trim(), c, StringComparison.OrdinalIgnoreCase)))];
            if (Array.IndexOf(at, -1) is int missing and >= 0)
            {
                throw new ConnectorConfigurationException(
                    $"The read-back export '{input.Export}' has no column '{wanted[missing]}' (its columns are {string.Join(", ", csv.Headers.Select(h => $"'{h}'"))}).");
            }

            while (await csv.ReadAsync())
            {
                string Field(int i) => at[i] < csv.FieldCount ? csv.GetString(at[i]).Trim() : string.Empty;
                string[] key = [.. Enumerable.Range(0, members).Select(Field)];
                string k = string.Join('|', key);
                if (gl && !input.SentCellsOnly ? periods.Contains(key[^1]) : sent.ContainsKey(k))
                {
                    held[k] = (key, [.. Enumerable.Range(members, lineItems.Length).Select(Field)]);
                }
            }
        }

        var differences = new List<CellDifference>();
        var byPeriod = new SortedDictionary<string, (long Cells, decimal[] Sage, decimal[] Anaplan, bool Matches)>(StringComparer.Ordinal);
        foreach (string period in input.Periods)
        {
            byPeriod[period] = (0, new decimal[lineItems.Length], new decimal[lineItems.Length], true);
        }

        foreach (string k in sent.Keys.Union(held.Keys, StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal))
        {
            string[] key = sent.TryGetValue(k, out var s) ? s.Members : held[k].Members;
            string period = key[^1];
            string item = string.Join(" × ", key[..^1]);
            (long cells, decimal[] sageTotals, decimal[] anaplanTotals, bool matches) = byPeriod.GetValueOrDefault(period, (0, new decimal[lineItems.Length], new decimal[lineItems.Length], true));
            for (int l = 0; l < lineItems.Length; l++)
            {
                decimal expected = s.Values is null ? 0m : s.Values[l];
                string text = held.TryGetValue(k, out var h) ? h.Texts[l] : string.Empty;
                bool parsed = TryNumber(text, out decimal observed);
                sageTotals[l] += expected;
                anaplanTotals[l] += observed;
                if (!parsed || decimal.Round(observed, 2, MidpointRounding.AwayFromZero) != expected)
                {
                    differences.Add(new CellDifference(period, item, lineItems[l], expected, text));
                }
            }

            byPeriod[period] = (cells + 1, sageTotals, anaplanTotals, matches);
        }

        var periodResults = byPeriod.Select(p => new PeriodReconciliation(
            p.Key,
            p.Value.Cells,
            Totals(lineItems, p.Key, p.Value.Cells, p.Value.Sage),
            Totals(lineItems, p.Key, p.Value.Cells, p.Value.Anaplan),
            p.Value.Sage.Zip(p.Value.Anaplan).All(x => decimal.Round(x.First, 2, MidpointRounding.AwayFromZero) == decimal.Round(x.Second, 2, MidpointRounding.AwayFromZero))
                && !differences.Any(d => d.Period == p.Key))).ToList();

        string? blob = null;
        if (differences.Count > 0)
        {
            blob = await this.WriteDifferencesAsync(input, differences);
        }

        return new Reconciliation(
            differences.Count == 0 && periodResults.All(p => p.Matches) ? ReconciliationStatuses.Reconciled : ReconciliationStatuses.Differences,
            input.Export,
            null,
            periodResults,
            sent.Keys.Union(held.Keys, StringComparer.OrdinalIgnoreCase).LongCount(),
            differences.Count,
            [.. differences.Take(Listed)],
            blob);
    }

    /// <summary>Parses a number as Anaplan exported it ("1234.5", "1E+23"); blank is an empty cell, zero.</summary>
    internal static bool TryNumber(string text, out decimal value)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            value = 0m;
            return true;
        }

        return decimal.TryParse(text, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out value);
    }

    private static PeriodTotals Totals(string[] lineItems, string period, long cells, decimal[] values)
    {
        decimal Value(string field) => Array.IndexOf(lineItems, field) is int i and >= 0 ? values[i] : 0m;
        return new PeriodTotals(
            period, cells, Value(ImportFields.Debit), Value(ImportFields.Credit), Value(ImportFields.Net) + Value(ImportFields.InvoiceAmount), Value(ImportFields.InvoiceCount));
    }

    /// <summary>The read-back column of a field: <paramref name="columns"/> holds one per field, or (a run recorded before fields) the old members-then-line-items list.</summary>
    private static string Column(IReadOnlyList<string> columns, IReadOnlyList<string> fields, string field, string dataset)
    {
        if (columns.Count == fields.Count)
        {
            return columns[IndexOf(fields, field)];
        }

        IReadOnlyList<string> old = Datasets.Header(dataset);
        int at = IndexOf(old, field);
        return at >= 0 && at < columns.Count ? columns[at] : string.Empty;
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] == value)
            {
                return i;
            }
        }

        return -1;
    }

    private async Task<string> WriteDifferencesAsync(ReconcileInput input, List<CellDifference> differences)
    {
        var records = differences.Select((d, i) => new RecordAudit(
            input.Dataset,
            RecordKinds.Difference,
            i + 1,
            $"{d.Item} / {d.Period}",
            d.LineItem,
            $"Sage holds {d.Sage.ToString("0.00", CultureInfo.InvariantCulture)}; the read-back export '{input.Export}' shows {(d.Anaplan.Length == 0 ? "no value" : $"'{d.Anaplan}'")}",
            null)).ToList();
        await audit.WriteRecordsAsync(input.Run.RunId, records);

        string blobName = Datasets.RunBlob(input.Run, $"{input.Dataset}-differences.csv");
        await using Stream blob = await storage.StagingContainer.GetBlockBlobClient(blobName).OpenWriteAsync(overwrite: true);
        await using (CsvWriter csv = CsvWriter.Create(blob, new CsvWriterOptions { FormatProvider = CultureInfo.InvariantCulture }, leaveOpen: true))
        {
            csv.WriteRecord("Period", "Item", "Line item", "Sage", "Anaplan");
            foreach (CellDifference d in differences)
            {
                csv.WriteRecord(
                    SpreadsheetSafe.Text(d.Period),
                    SpreadsheetSafe.Text(d.Item),
                    SpreadsheetSafe.Text(d.LineItem),
                    d.Sage.ToString("0.00", CultureInfo.InvariantCulture),
                    SpreadsheetSafe.Text(d.Anaplan));
            }

            await csv.FlushAsync();
        }

        return blobName;
    }
}
