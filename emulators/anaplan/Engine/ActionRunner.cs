using System.Globalization;
using System.Runtime.InteropServices;
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
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        ColumnDefinition codeColumn = import.Columns.First(c => ModelValidation.Is(c.Field, "code"));
        ColumnDefinition? nameColumn = import.Columns.FirstOrDefault(c => ModelValidation.Is(c.Field, "name"));
        int codeAt = index[codeColumn];
        int nameAt = nameColumn is null ? -1 : index[nameColumn];
        ColumnDefinition[] propertyColumns = [.. import.Columns.Where(c => c.Property is not null)];
        int[] propertyAt = [.. propertyColumns.Select(c => index[c])];
        string[] propertyTypes = [.. propertyColumns.Select(c => list.PropertyTypes[c.Property!])];
        bool[] isText = [.. propertyTypes.Select(t => t is not null && !Values.IsParsed(t))];

        // The properties set, each once, in the order of their first column and spelled as it is; a later column for the
        // same property sets its value (what a row's own property map did).
        var keys = new List<string>();
        int[] keyAt = new int[propertyColumns.Length];
        for (int p = 0; p < propertyColumns.Length; p++)
        {
            string property = propertyColumns[p].Property!;
            keyAt[p] = keys.FindIndex(k => string.Equals(k, property, StringComparison.OrdinalIgnoreCase));
            if (keyAt[p] < 0)
            {
                keyAt[p] = keys.Count;
                keys.Add(property);
            }
        }

        string[] propertyKeys = [.. keys];
        string[] rowValues = new string[propertyKeys.Length];
        string?[] lastValues = new string?[propertyColumns.Length];

        // Staged: each row's item (its position, or -1 and its code when the list does not have it yet), name and
        // property values (row after row); applied once the whole file has been read.
        var upserts = new List<(int Position, string? Code, string? Name)>();
        var values = new List<string>();
        while (csv.Read())
        {
            if (counts.IsBlank(csv))
            {
                continue;
            }

            ReadOnlySpan<char> code = csv.Field(codeAt).Trim();
            string? error = code.Length == 0 ? $"{codeColumn.Header}: code is blank" : null;
            int position = error is null ? list.IndexOf(code) : int.MaxValue;
            ListItem? item = position == int.MaxValue ? null : list.Items[position];
            for (int p = 0; p < propertyColumns.Length; p++)
            {
                ReadOnlySpan<char> text = csv.Field(propertyAt[p]);
                if (isText[p])
                {
                    // A text value is the trimmed text; the item's own value or the column's last one when it is the same.
                    ReadOnlySpan<char> trimmed = text.Trim();
                    string? same = item?.Property(propertyKeys[keyAt[p]]);
                    rowValues[keyAt[p]] = same is not null && trimmed.SequenceEqual(same) ? same
                        : lastValues[p] is { } last && trimmed.SequenceEqual(last) ? last
                        : (lastValues[p] = trimmed.ToString());
                }
                else if (!Values.TryParse(propertyTypes[p], text, out object? value, out string? parseError))
                {
                    error ??= $"{propertyColumns[p].Header}: {parseError} '{text.Trim()}'";
                }
                else
                {
                    rowValues[keyAt[p]] = Values.Format(value);
                }
            }

            if (error is not null)
            {
                counts.Failed++;
                dump.Add(csv.Record, csv.RecordLine, error);
                continue;
            }

            string? newCode = null;
            bool exists = item is not null;
            if (!exists)
            {
                newCode = code.ToString();
                exists = seen.Contains(newCode);
                if (!exists && !import.CreateItems)
                {
                    counts.Ignored++;
                    continue;
                }

                seen.Add(newCode);
            }

            if (exists)
            {
                counts.Updated++;
            }
            else
            {
                counts.Created++;
            }

            counts.Success++;
            string? name = null;
            if (nameAt >= 0)
            {
                ReadOnlySpan<char> text = csv.Field(nameAt).Trim();
                name = item is not null && text.SequenceEqual(item.Name) ? item.Name : text.ToString();
            }

            upserts.Add((item is null ? -1 : position, newCode, name));
            values.AddRange(rowValues);
        }

        return () =>
        {
            ReadOnlySpan<string> staged = CollectionsMarshal.AsSpan(values);
            for (int i = 0; i < upserts.Count; i++)
            {
                (int position, string? code, string? name) = upserts[i];
                list.Upsert(position, code, name, propertyKeys, staged.Slice(i * propertyKeys.Length, propertyKeys.Length));
            }
        };
    }

    private static Action ReadModuleRows(
        ModuleData module, ImportDefinition import, CsvRecordReader csv, Dictionary<ColumnDefinition, int> index, RowCounts counts, DumpWriter dump)
    {
        ColumnDefinition[] dimensionColumns = [.. module.Dimensions.Select(d => import.Columns.First(c => string.Equals(c.Dimension, d, StringComparison.OrdinalIgnoreCase)))];
        int[] dimensionAt = [.. dimensionColumns.Select(c => index[c])];
        MemberLookup[] members = [.. module.Lists.Select(l => new MemberLookup(l))];
        ColumnDefinition[] lineItemColumns = [.. import.Columns.Where(c => c.LineItem is not null)];
        int[] lineItemAt = [.. lineItemColumns.Select(c => index[c])];
        bool[] numeric = [.. lineItemColumns.Select(c => Values.IsNumber(module.LineItems[c.LineItem!]))];
        string[] types = [.. lineItemColumns.Select(c => module.LineItems[c.LineItem!])];

        // The line items written, each once: two columns for one line item stage into one place, the later one winning.
        int[] lineItems = [.. lineItemColumns.Select(c => module.LineItemIndex(c.LineItem!)).Distinct()];
        int[] stagedAt = [.. lineItemColumns.Select(c => Array.IndexOf(lineItems, module.LineItemIndex(c.LineItem!)))];
        (List<CellKey> keys, CellColumn[] staging) = module.Staging();
        CellColumn[] staged = [.. lineItems.Select(i => staging[i])];

        Span<int> positions = stackalloc int[dimensionColumns.Length];
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
                positions[d] = members[d].IndexOf(member);
                if (positions[d] == int.MaxValue)
                {
                    error = $"Item not located in {members[d].List.Name} list: {member}";
                }
            }

            int row = keys.Count;
            foreach (CellColumn column in staged)
            {
                column.EnsureSlot(row);
            }

            for (int l = 0; l < lineItemColumns.Length && error is null; l++)
            {
                ReadOnlySpan<char> text = csv.Field(lineItemAt[l]);
                CellColumn column = staged[stagedAt[l]];
                if (numeric[l])
                {
                    if (!Values.TryParseNumber(text, out double number, out bool blank))
                    {
                        error = $"{lineItemColumns[l].Header}: Invalid number '{text.Trim()}'";
                    }
                    else if (blank)
                    {
                        column.SetBlank(row);
                    }
                    else
                    {
                        column.SetNumber(row, number);
                    }
                }
                else if (!Values.TryParse(types[l], text, out object? value, out string? parseError))
                {
                    error = $"{lineItemColumns[l].Header}: {parseError} '{text.Trim()}'";
                }
                else
                {
                    column.Set(row, value);
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
            keys.Add(CellKey.Of(positions));
        }

        return () =>
        {
            module.MakeRoomFor(keys.Count);
            for (int row = 0; row < keys.Count; row++)
            {
                module.SetRow(keys[row], lineItems, staged, row);
            }
        };
    }

    /// <summary>Finds one dimension's items by code for an import: consecutive rows mostly repeat a member (a period, a
    /// cost centre), so the last one found is checked first, exactly (the lists do not change while an import reads).</summary>
    private sealed class MemberLookup(ListData list)
    {
        private char[] last = new char[32];
        private int lastLength = -1;
        private int lastPosition;

        public ListData List => list;

        /// <summary>The item's position in its list, or <see cref="int.MaxValue"/> when absent.</summary>
        public int IndexOf(ReadOnlySpan<char> code)
        {
            if (code.Length == this.lastLength && code.SequenceEqual(this.last.AsSpan(0, this.lastLength)))
            {
                return this.lastPosition;
            }

            int position = list.IndexOf(code);
            if (position != int.MaxValue)
            {
                if (code.Length > this.last.Length)
                {
                    this.last = new char[code.Length];
                }

                code.CopyTo(this.last);
                this.lastLength = code.Length;
                this.lastPosition = position;
            }

            return position;
        }
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
        List<string> dimensionNames = [.. module.Dimensions];
        int At(string dimension) => dimensionNames.FindIndex(d => string.Equals(d, dimension, StringComparison.OrdinalIgnoreCase));
        int filterAt = export.FilterList is null ? -1 : At(export.FilterList);
        (int At, string Item)[] pages = [.. export.Pages.Select(p => (At(p.Key), p.Value))];
        int pivotAt = export.ColumnDimension is null ? -1 : At(export.ColumnDimension);
        ListItem[] pivotItems = pivotAt < 0 ? [] : [.. lists[pivotAt].Items];
        int pivotLineItem = pivotAt < 0 ? -1 : module.LineItemIndex(export.ColumnLineItem!);
        CellColumn? pivotColumn = pivotLineItem < 0 ? null : module.Column(pivotLineItem);
        CellColumn[] exportedColumns = [.. export.Columns.Where(c => c.LineItem is not null)
            .Select(c => module.Column(module.LineItemIndex(c.LineItem!)))];

        // A grid view shows one row per combination of the other dimensions, its cells across the column dimension (by
        // the item's position: the slot of the row holding the cell).
        var selected = new Dictionary<CellKey, (CellKey Key, int Slot, Dictionary<int, int>? Pivot)>();
        var plain = new List<(CellKey Key, int Slot, Dictionary<int, int>? Pivot)>();
        foreach ((CellKey key, int slot) in module.Rows)
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
                if (pivotColumn is null || !pivotColumn.HasValue(slot) || (export.NonZeroOnly && IsZero(pivotColumn, slot)))
                {
                    continue;
                }

                CellKey rowKey = key.With(pivotAt, -1, dimensions);
                if (!selected.TryGetValue(rowKey, out var row))
                {
                    row = (rowKey, slot, []);
                    selected[rowKey] = row;
                }

                row.Pivot![key.Position(pivotAt)] = slot;
                continue;
            }

            if (export.NonZeroOnly && Array.TrueForAll(exportedColumns, c => !c.HasValue(slot) || IsZero(c, slot)))
            {
                continue;
            }

            plain.Add((key, slot, null));
        }

        List<(CellKey Key, int Slot, Dictionary<int, int>? Pivot)> ordered = pivotAt < 0 ? plain : [.. selected.Values];
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

        // Each column resolved once: a fixed value, a line item's column, or a dimension's code or name.
        (string? Value, CellColumn? LineItem, int Dimension, bool Name)[] columns = [.. export.Columns.Select(c =>
        {
            if (c.Value is not null)
            {
                return (c.Value, null, -1, false);
            }

            if (c.Dimension is null)
            {
                int lineItem = module.LineItemIndex(c.LineItem!);
                return lineItem < 0 ? (string.Empty, null, -1, false) : ((string?)null, module.Column(lineItem), -1, false);
            }

            int at = At(c.Dimension);
            return at == pivotAt ? (string.Empty, null, -1, false) : ((string?)null, (CellColumn?)null, at, ModelValidation.Is(c.Field, "name"));
        })];

        var rows = new List<string[]>(ordered.Count);
        foreach ((CellKey key, int slot, Dictionary<int, int>? pivot) in ordered)
        {
            string[] fields = new string[columns.Length + pivotItems.Length];
            for (int i = 0; i < columns.Length; i++)
            {
                (string? value, CellColumn? lineItem, int dimension, bool name) = columns[i];
                if (value is not null)
                {
                    fields[i] = value;
                }
                else if (lineItem is not null)
                {
                    fields[i] = lineItem.Format(slot);
                }
                else
                {
                    ListItem item = lists[dimension].Items[key.Position(dimension)];
                    fields[i] = name ? item.Name : item.Code;
                }
            }

            for (int p = 0; p < pivotItems.Length; p++)
            {
                fields[columns.Length + p] = pivot!.TryGetValue(p, out int cell) ? pivotColumn!.Format(cell) : string.Empty;
            }

            rows.Add(fields);
        }

        return rows;
    }

    /// <summary>Whether the slot holds a number equal to zero (a non-zero-only export leaves it out).</summary>
    private static bool IsZero(CellColumn column, int slot) => column.TryGetNumber(slot, out double value) && value == 0;

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
