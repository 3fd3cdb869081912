using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Connector.Emulators.Anaplan.Model;

namespace Connector.Emulators.Anaplan.Engine;

/// <summary>What a finished task reports: its result object and any failure dumps.</summary>
internal sealed record TaskOutcome(JsonObject Result, IReadOnlyDictionary<string, byte[]> Dumps)
{
    public static TaskOutcome Failed(string objectId, string message) => new(
        new JsonObject
        {
            ["successful"] = false,
            ["failureDumpAvailable"] = false,
            ["objectId"] = objectId,
            ["details"] = new JsonArray(Detail(message, "actionFailed", [])),
        },
        new Dictionary<string, byte[]>());

    public static JsonObject Detail(string message, string type, IEnumerable<(string Key, long Value)> values)
    {
        var flat = new JsonArray();
        foreach ((string key, long value) in values)
        {
            flat.Add(key);
            flat.Add(value.ToString(CultureInfo.InvariantCulture));
        }

        return new JsonObject { ["localMessageText"] = message, ["occurrences"] = 0, ["type"] = type, ["values"] = flat };
    }
}

/// <summary>Runs imports, exports and processes against a model's data.</summary>
internal static class ActionRunner
{
    /// <summary>Runs the task's action; null when it was cancelled before its changes were applied.</summary>
    public static TaskOutcome? Run(EmulatedModel model, EmulatedTask task)
    {
        ModelDefinition definition = model.Definition;
        switch (task.ActionType)
        {
            case "imports":
                return Import(model, definition.Imports.Single(i => i.Id == task.ActionId), task);
            case "exports":
                return Export(model, definition.Exports.Single(e => e.Id == task.ActionId), task);
            default:
                ProcessDefinition process = definition.Processes.Single(p => p.Id == task.ActionId);
                var nested = new JsonArray();
                var dumps = new Dictionary<string, byte[]>(StringComparer.Ordinal);
                bool successful = true;
                bool anyDump = false;
                foreach (string actionId in process.Actions)
                {
                    ImportDefinition? import = definition.Imports.FirstOrDefault(i => i.Id == actionId);
                    TaskOutcome? step = import is not null
                        ? Import(model, import, task)
                        : Export(model, definition.Exports.Single(e => e.Id == actionId), task);
                    if (step is null)
                    {
                        return null;
                    }

                    successful &= step.Result["successful"]!.GetValue<bool>();
                    anyDump |= step.Result["failureDumpAvailable"]!.GetValue<bool>();
                    nested.Add(step.Result);
                    foreach ((string objectId, byte[] dump) in step.Dumps)
                    {
                        dumps[objectId] = dump;
                    }
                }

                var result = new JsonObject
                {
                    ["successful"] = successful,
                    ["failureDumpAvailable"] = anyDump,
                    ["objectId"] = process.Id,
                    ["nestedResults"] = nested,
                };
                return new TaskOutcome(result, dumps);
        }
    }

    private static TaskOutcome? Import(EmulatedModel model, ImportDefinition import, EmulatedTask task)
    {
        if (model.Tenant.Faults.TakeImportFailure(import.Id, import.Name))
        {
            return TaskOutcome.Failed(import.Id, "Import failed: the server could not complete the import.");
        }

        EmulatedFile? file = model.FindFile(import.ImportDataSourceId);
        (IReadOnlyList<StoredChunk> chunks, int declared) = file is null ? ([], 0) : model.ChunksOf(file);
        if (chunks.Count == 0)
        {
            return TaskOutcome.Failed(import.Id, $"The data source file '{import.ImportDataSourceId}' has no data.");
        }

        if (declared > 0 && declared != chunks.Count)
        {
            return TaskOutcome.Failed(import.Id, $"The data source file '{import.ImportDataSourceId}' is incomplete: {chunks.Count} of {declared} chunks uploaded.");
        }

        using var reader = new StreamReader(new ConcatenatedStream(chunks), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var csv = new CsvRecordReader(reader);
        if (!csv.Read())
        {
            return TaskOutcome.Failed(import.Id, "The data source file is empty.");
        }

        string[] header = [.. csv.Record.Select(h => h.Trim())];
        var index = new Dictionary<ColumnDefinition, int>();
        foreach (ColumnDefinition column in import.Columns)
        {
            int at = Array.FindIndex(header, h => string.Equals(h, column.Header, StringComparison.OrdinalIgnoreCase));
            if (at < 0)
            {
                return TaskOutcome.Failed(import.Id, $"Column '{column.Header}' was not found in the file header ({string.Join(",", header)}).");
            }

            index[column] = at;
        }

        var counts = new RowCounts();
        var dump = new DumpWriter(header);
        lock (model.DataSync)
        {
            Action apply = import.List is not null
                ? ReadListRows(model.List(import.List), import, csv, index, counts, dump)
                : ReadModuleRows(model, model.Module(import.Module!), import, csv, index, counts, dump);
            if (task.IsCancelRequested)
            {
                return null;
            }

            apply();
        }

        string target = import.List ?? import.Module!;
        string type = import.List is not null ? "hierarchyRowsProcessed" : "moduleDataRowsProcessed";
        if (counts.Failed > 0)
        {
            type += "WithFailures";
        }

        JsonObject detail = TaskOutcome.Detail(
            $"{target}: {counts.Success} ({counts.Failed}/{counts.Total}) rows successful, {counts.Ignored} ignored",
            type,
            [
                ("successRowCount", counts.Success), ("successCreateCount", counts.Created), ("successUpdateCount", counts.Updated),
                ("failedCount", counts.Failed), ("ignoredCount", counts.Ignored), ("totalRowCount", counts.Total),
            ]);
        detail["values"]!.AsArray().Insert(0, target);
        detail["values"]!.AsArray().Insert(0, "itemName");
        var result = new JsonObject
        {
            ["successful"] = true,
            ["failureDumpAvailable"] = counts.Failed > 0,
            ["objectId"] = import.Id,
            ["details"] = new JsonArray(detail),
        };
        var dumps = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (counts.Failed > 0)
        {
            dumps[import.Id] = dump.ToBytes();
        }

        return new TaskOutcome(result, dumps);
    }

    private static Action ReadListRows(
        ListData list, ImportDefinition import, CsvRecordReader csv, Dictionary<ColumnDefinition, int> index, RowCounts counts, DumpWriter dump)
    {
        var upserts = new List<(string Code, string? Name, Dictionary<string, string> Properties)>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        ColumnDefinition codeColumn = import.Columns.First(c => ModelValidation.Is(c.Field, "code"));
        ColumnDefinition? nameColumn = import.Columns.FirstOrDefault(c => ModelValidation.Is(c.Field, "name"));
        while (csv.Read())
        {
            string[] fields = csv.Record;
            if (counts.IsBlank(fields))
            {
                continue;
            }

            string code = Field(fields, index[codeColumn]).Trim();
            string? error = code.Length == 0 ? $"{codeColumn.Header}: code is blank" : null;
            var properties = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (ColumnDefinition column in import.Columns.Where(c => c.Property is not null))
            {
                string text = Field(fields, index[column]);
                if (!Values.TryParse(list.PropertyTypes[column.Property!], text, out object? value, out string? parseError))
                {
                    error ??= $"{column.Header}: {parseError} '{text.Trim()}'";
                }
                else
                {
                    properties[column.Property!] = Values.Format(value);
                }
            }

            if (error is not null)
            {
                counts.Failed++;
                dump.Add(fields, csv.RecordLine, error);
                continue;
            }

            bool exists = list.Find(code) is not null || seen.Contains(code);
            if (!exists && !import.CreateItems)
            {
                counts.Ignored++;
                continue;
            }

            seen.Add(code);
            if (exists)
            {
                counts.Updated++;
            }
            else
            {
                counts.Created++;
            }

            counts.Success++;
            string? name = nameColumn is null ? null : Field(fields, index[nameColumn]).Trim();
            upserts.Add((code, name, properties));
        }

        return () =>
        {
            foreach ((string code, string? name, Dictionary<string, string> properties) in upserts)
            {
                list.Upsert(code, name, properties);
            }
        };
    }

    private static Action ReadModuleRows(
        EmulatedModel model, ModuleData module, ImportDefinition import, CsvRecordReader csv, Dictionary<ColumnDefinition, int> index, RowCounts counts, DumpWriter dump)
    {
        var writes = new List<(string Key, string LineItem, object? Value)>();
        ColumnDefinition[] dimensionColumns = [.. module.Dimensions.Select(d => import.Columns.First(c => string.Equals(c.Dimension, d, StringComparison.OrdinalIgnoreCase)))];
        ListData[] dimensionLists = [.. module.Dimensions.Select(model.List)];
        ColumnDefinition[] lineItemColumns = [.. import.Columns.Where(c => c.LineItem is not null)];
        var members = new string[dimensionColumns.Length];
        var values = new object?[lineItemColumns.Length];
        while (csv.Read())
        {
            string[] fields = csv.Record;
            if (counts.IsBlank(fields))
            {
                continue;
            }

            string? error = null;
            for (int d = 0; d < dimensionColumns.Length && error is null; d++)
            {
                members[d] = Field(fields, index[dimensionColumns[d]]).Trim();
                if (dimensionLists[d].Find(members[d]) is not { } item)
                {
                    error = $"Item not located in {dimensionLists[d].Name} list: {members[d]}";
                }
                else
                {
                    members[d] = item.Code;
                }
            }

            for (int l = 0; l < lineItemColumns.Length && error is null; l++)
            {
                ColumnDefinition column = lineItemColumns[l];
                string text = Field(fields, index[column]);
                if (!Values.TryParse(module.LineItems[column.LineItem!], text, out values[l], out string? parseError))
                {
                    error = $"{column.Header}: {parseError} '{text.Trim()}'";
                }
            }

            if (error is not null)
            {
                counts.Failed++;
                dump.Add(fields, csv.RecordLine, error);
                continue;
            }

            counts.Success++;
            counts.Updated++;
            string key = ModuleData.Key(members);
            for (int l = 0; l < lineItemColumns.Length; l++)
            {
                writes.Add((key, lineItemColumns[l].LineItem!, values[l]));
            }
        }

        return () =>
        {
            foreach ((string key, string lineItem, object? value) in writes)
            {
                module.Set(key, lineItem, value);
            }
        };
    }

    private static TaskOutcome Export(EmulatedModel model, ExportDefinition export, EmulatedTask task)
    {
        List<string[]> rows;
        lock (model.DataSync)
        {
            rows = export.List is not null ? ListRows(model.List(export.List), export) : ModuleRows(model, model.Module(export.Module!), export);
        }

        byte[] csvBytes = WriteCsv(ExportHeader(model, export), rows);
        int chunkSize = Math.Max(1, model.Tenant.Options.DownloadChunkSize);
        var chunks = new List<byte[]>();
        for (int offset = 0; offset < csvBytes.Length; offset += chunkSize)
        {
            chunks.Add(csvBytes.AsSpan(offset, Math.Min(chunkSize, csvBytes.Length - offset)).ToArray());
        }

        model.ReplaceFileContent(export.Id, export.Name, chunks);
        _ = task;
        var result = new JsonObject
        {
            ["successful"] = true,
            ["failureDumpAvailable"] = false,
            ["objectId"] = export.Id,
            ["details"] = new JsonArray(TaskOutcome.Detail($"{rows.Count} rows exported", "exportSucceeded", [("rowCount", rows.Count)])),
        };
        return new TaskOutcome(result, new Dictionary<string, byte[]>());
    }

    /// <summary>The rows an export renders now (used for metadata too).</summary>
    internal static int CountExportRows(EmulatedModel model, ExportDefinition export)
    {
        lock (model.DataSync)
        {
            return export.List is not null ? model.List(export.List).Items.Count : ModuleRows(model, model.Module(export.Module!), export).Count;
        }
    }

    /// <summary>An export's header: its columns, then (a grid view) one column per item of the column dimension.</summary>
    internal static IReadOnlyList<string> ExportHeader(EmulatedModel model, ExportDefinition export)
    {
        lock (model.DataSync)
        {
            return [.. export.Columns.Select(c => c.Header), .. export.ColumnDimension is null ? [] : model.List(export.ColumnDimension).Items.Select(i => i.Code)];
        }
    }

    private static List<string[]> ListRows(ListData list, ExportDefinition export)
        => [.. list.Items.Select(item => export.Columns.Select(c =>
            ModelValidation.Is(c.Field, "code") ? item.Code
            : ModelValidation.Is(c.Field, "name") ? item.Name
            : c.Property is not null ? item.Properties.GetValueOrDefault(c.Property, string.Empty)
            : string.Empty).ToArray())];

    private static List<string[]> ModuleRows(EmulatedModel model, ModuleData module, ExportDefinition export)
    {
        ListData[] lists = [.. module.Dimensions.Select(model.List)];
        int At(string dimension) => module.Dimensions.ToList().FindIndex(d => string.Equals(d, dimension, StringComparison.OrdinalIgnoreCase));
        int filterAt = export.FilterList is null ? -1 : At(export.FilterList);
        (int At, string Item)[] pages = [.. export.Pages.Select(p => (At(p.Key), p.Value))];
        int pivotAt = export.ColumnDimension is null ? -1 : At(export.ColumnDimension);
        ListItem[] pivotItems = pivotAt < 0 ? [] : [.. lists[pivotAt].Items];

        // A grid view shows one row per combination of the other dimensions, its cells across the column dimension.
        var selected = new Dictionary<string, (int[] Order, string[] Members, Dictionary<string, object> Values, Dictionary<string, object> Pivot)>(StringComparer.OrdinalIgnoreCase);
        foreach ((string key, Dictionary<string, object> values) in module.Rows)
        {
            string[] members = key.Split(ModuleData.Separator);
            if (filterAt >= 0)
            {
                ListItem? item = lists[filterAt].Find(members[filterAt]);
                if (item is null || !item.Properties.TryGetValue(export.FilterProperty ?? "Approved", out string? flag) || !bool.TryParse(flag, out bool on) || !on)
                {
                    continue;
                }
            }

            if (pages.Any(p => !string.Equals(members[p.At], p.Item, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            if (pivotAt >= 0)
            {
                if (!values.TryGetValue(export.ColumnLineItem!, out object? cell) || cell is double d && d == 0 && export.NonZeroOnly)
                {
                    continue;
                }

                string[] rowMembers = [.. members.Select((m, i) => i == pivotAt ? string.Empty : m)];
                string rowKey = ModuleData.Key(rowMembers);
                if (!selected.TryGetValue(rowKey, out var row))
                {
                    row = ([.. rowMembers.Select((m, i) => i == pivotAt ? 0 : lists[i].IndexOf(m))], rowMembers, values, new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase));
                    selected[rowKey] = row;
                }

                row.Pivot[members[pivotAt]] = cell;
                continue;
            }

            IEnumerable<object?> exported = export.Columns.Where(c => c.LineItem is not null).Select(c => values.GetValueOrDefault(c.LineItem!));
            if (export.NonZeroOnly && exported.All(v => v is null || (v is double z && z == 0)))
            {
                continue;
            }

            selected[key] = ([.. members.Select((m, i) => lists[i].IndexOf(m))], members, values, []);
        }

        var ordered = selected.Values.ToList();
        ordered.Sort((a, b) =>
        {
            for (int i = 0; i < a.Order.Length; i++)
            {
                int c = a.Order[i].CompareTo(b.Order[i]);
                if (c != 0)
                {
                    return c;
                }
            }

            return 0;
        });

        string Column(ColumnDefinition c, string[] members, Dictionary<string, object> values)
        {
            if (c.Value is not null)
            {
                return c.Value;
            }

            if (c.Dimension is null)
            {
                return Values.Format(values.GetValueOrDefault(c.LineItem!));
            }

            string code = members[At(c.Dimension)];
            return ModelValidation.Is(c.Field, "name") ? lists[At(c.Dimension)].Find(code)?.Name ?? code : code;
        }

        return [.. ordered.Select(row => export.Columns.Select(c => Column(c, row.Members, row.Values))
            .Concat(pivotItems.Select(item => row.Pivot.TryGetValue(item.Code, out object? v) ? Values.Format(v) : string.Empty)).ToArray())];
    }

    internal static byte[] WriteCsv(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var text = new StringBuilder();
        CsvText.AppendRecord(text, header);
        foreach (IReadOnlyList<string> row in rows)
        {
            CsvText.AppendRecord(text, row);
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static string Field(string[] fields, int at) => at < fields.Length ? fields[at] : string.Empty;

    private sealed class RowCounts
    {
        public long Success { get; set; }

        public long Failed { get; set; }

        public long Ignored { get; set; }

        public long Created { get; set; }

        public long Updated { get; set; }

        public long Total => this.Success + this.Failed + this.Ignored;

        public bool IsBlank(string[] fields)
        {
            if (fields.All(string.IsNullOrWhiteSpace))
            {
                this.Ignored++;
                return true;
            }

            return false;
        }
    }

    /// <summary>Collects failed rows as Anaplan's dump: <c>_Status_</c>, the data columns, <c>_Line_</c>, <c>_Error_1_</c>.</summary>
    private sealed class DumpWriter(string[] header)
    {
        private readonly List<string[]> rows = [];

        public void Add(string[] fields, long line, string error)
            => this.rows.Add(["E", .. header.Select((_, i) => Field(fields, i)), line.ToString(CultureInfo.InvariantCulture), error]);

        public byte[] ToBytes() => WriteCsv(["_Status_", .. header, "_Line_", "_Error_1_"], this.rows);
    }
}
