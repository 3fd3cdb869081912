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
                : ReadModuleRows(model.Module(import.Module!), import, csv, index, counts, dump);
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
        int codeAt = index[codeColumn];
        ColumnDefinition[] propertyColumns = [.. import.Columns.Where(c => c.Property is not null)];
        int[] propertyAt = [.. propertyColumns.Select(c => index[c])];
        string[] propertyTypes = [.. propertyColumns.Select(c => list.PropertyTypes[c.Property!])];
        while (csv.Read())
        {
            if (counts.IsBlank(csv))
            {
                continue;
            }

            string code = csv.Field(codeAt).Trim().ToString();
            string? error = code.Length == 0 ? $"{codeColumn.Header}: code is blank" : null;
            var properties = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            for (int p = 0; p < propertyColumns.Length; p++)
            {
                ReadOnlySpan<char> text = csv.Field(propertyAt[p]);
                if (!Values.TryParse(propertyTypes[p], text, out object? value, out string? parseError))
                {
                    error ??= $"{propertyColumns[p].Header}: {parseError} '{text.Trim()}'";
                }
                else
                {
                    properties[propertyColumns[p].Property!] = Values.Format(value);
                }
            }

            if (error is not null)
            {
                counts.Failed++;
                dump.Add(csv.Record, csv.RecordLine, error);
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
            string? name = nameColumn is null ? null : csv.Field(index[nameColumn]).Trim().ToString();
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
        ModuleData module, ImportDefinition import, CsvRecordReader csv, Dictionary<ColumnDefinition, int> index, RowCounts counts, DumpWriter dump)
    {
        var writes = new List<(CellKey Key, object?[] Values)>();
        ColumnDefinition[] dimensionColumns = [.. module.Dimensions.Select(d => import.Columns.First(c => string.Equals(c.Dimension, d, StringComparison.OrdinalIgnoreCase)))];
        int[] dimensionAt = [.. dimensionColumns.Select(c => index[c])];
        IReadOnlyList<ListData> dimensionLists = module.Lists;
        ColumnDefinition[] lineItemColumns = [.. import.Columns.Where(c => c.LineItem is not null)];
        int[] lineItemAt = [.. lineItemColumns.Select(c => index[c])];
        int[] slots = [.. lineItemColumns.Select(c => module.LineItemIndex(c.LineItem!))];
        string[] types = [.. lineItemColumns.Select(c => module.LineItems[c.LineItem!])];
        var written = new bool[module.LineItemNames.Count];
        foreach (int slot in slots)
        {
            written[slot] = true;
        }

        var positions = new int[dimensionColumns.Length];
        while (csv.Read())
        {
            if (counts.IsBlank(csv))
            {
                continue;
            }

            string? error = null;
            for (int d = 0; d < positions.Length && error is null; d++)
            {
                ReadOnlySpan<char> member = csv.Field(dimensionAt[d]).Trim();
                positions[d] = dimensionLists[d].IndexOf(member);
                if (positions[d] == int.MaxValue)
                {
                    error = $"Item not located in {dimensionLists[d].Name} list: {member}";
                }
            }

            object?[] values = new object?[written.Length];
            for (int l = 0; l < lineItemColumns.Length && error is null; l++)
            {
                ReadOnlySpan<char> text = csv.Field(lineItemAt[l]);
                if (!Values.TryParse(types[l], text, out object? value, out string? parseError))
                {
                    error = $"{lineItemColumns[l].Header}: {parseError} '{text.Trim()}'";
                }
                else
                {
                    values[slots[l]] = value;
                }
            }

            if (error is not null)
            {
                counts.Failed++;
                dump.Add(csv.Record, csv.RecordLine, error);
                continue;
            }

            counts.Success++;
            counts.Updated++;
            writes.Add((CellKey.Of(positions), values));
        }

        return () =>
        {
            foreach ((CellKey key, object?[] values) in writes)
            {
                module.SetRow(key, values, written);
            }
        };
    }

    private static TaskOutcome Export(EmulatedModel model, ExportDefinition export, EmulatedTask task)
    {
        List<string[]> rows;
        lock (model.DataSync)
        {
            rows = export.List is not null ? ListRows(model.List(export.List), export) : ModuleRows(model.Module(export.Module!), export);
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
            return export.List is not null ? model.List(export.List).Items.Count : ModuleRows(model.Module(export.Module!), export).Count;
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

    private static List<string[]> ModuleRows(ModuleData module, ExportDefinition export)
    {
        IReadOnlyList<ListData> lists = module.Lists;
        int dimensions = module.Dimensions.Count;
        int At(string dimension) => module.Dimensions.ToList().FindIndex(d => string.Equals(d, dimension, StringComparison.OrdinalIgnoreCase));
        int filterAt = export.FilterList is null ? -1 : At(export.FilterList);
        (int At, string Item)[] pages = [.. export.Pages.Select(p => (At(p.Key), p.Value))];
        int pivotAt = export.ColumnDimension is null ? -1 : At(export.ColumnDimension);
        ListItem[] pivotItems = pivotAt < 0 ? [] : [.. lists[pivotAt].Items];
        int pivotSlot = pivotAt < 0 ? -1 : module.LineItemIndex(export.ColumnLineItem!);
        int[] exportedSlots = [.. export.Columns.Where(c => c.LineItem is not null).Select(c => module.LineItemIndex(c.LineItem!))];

        // A grid view shows one row per combination of the other dimensions, its cells across the column dimension.
        var selected = new Dictionary<CellKey, (CellKey Key, object?[] Values, Dictionary<int, object> Pivot)>();
        var plain = new List<(CellKey Key, object?[] Values, Dictionary<int, object> Pivot)>();
        foreach ((CellKey key, object?[] values) in module.Rows)
        {
            if (filterAt >= 0)
            {
                ListItem item = lists[filterAt].Items[key.Position(filterAt)];
                if (!item.Properties.TryGetValue(export.FilterProperty ?? "Approved", out string? flag) || !bool.TryParse(flag, out bool on) || !on)
                {
                    continue;
                }
            }

            if (pages.Any(p => !string.Equals(lists[p.At].Items[key.Position(p.At)].Code, p.Item, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            if (pivotAt >= 0)
            {
                if (pivotSlot < 0 || values[pivotSlot] is not { } cell || cell is double d && d == 0 && export.NonZeroOnly)
                {
                    continue;
                }

                CellKey rowKey = key.With(pivotAt, -1, dimensions);
                if (!selected.TryGetValue(rowKey, out var row))
                {
                    row = (rowKey, values, []);
                    selected[rowKey] = row;
                }

                row.Pivot[key.Position(pivotAt)] = cell;
                continue;
            }

            if (export.NonZeroOnly && exportedSlots.All(slot => slot < 0 || values[slot] is null || (values[slot] is double z && z == 0)))
            {
                continue;
            }

            plain.Add((key, values, []));
        }

        List<(CellKey Key, object?[] Values, Dictionary<int, object> Pivot)> ordered = pivotAt < 0 ? plain : [.. selected.Values];
        ordered.Sort((a, b) =>
        {
            for (int i = 0; i < dimensions; i++)
            {
                int c = i == pivotAt ? 0 : a.Key.Position(i).CompareTo(b.Key.Position(i));
                if (c != 0)
                {
                    return c;
                }
            }

            return 0;
        });

        string Column(ColumnDefinition c, CellKey key, object?[] values)
        {
            if (c.Value is not null)
            {
                return c.Value;
            }

            if (c.Dimension is null)
            {
                int slot = module.LineItemIndex(c.LineItem!);
                return Values.Format(slot < 0 ? null : values[slot]);
            }

            int at = At(c.Dimension);
            if (at == pivotAt)
            {
                return string.Empty;
            }

            ListItem item = lists[at].Items[key.Position(at)];
            return ModelValidation.Is(c.Field, "name") ? item.Name : item.Code;
        }

        return [.. ordered.Select(row => export.Columns.Select(c => Column(c, row.Key, row.Values))
            .Concat(pivotItems.Select((item, i) => row.Pivot.TryGetValue(i, out object? v) ? Values.Format(v) : string.Empty)).ToArray())];
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

        public bool IsBlank(CsvRecordReader csv)
        {
            if (csv.IsBlank())
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
