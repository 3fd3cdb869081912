using System.Security.Cryptography;
using System.Text;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;

namespace Connector.Orchestrations.ModelFit;

/// <summary>
/// The fields the connector can put in each dataset's CSV, named as the shipped model's headers name them, with the
/// header names a model builder commonly uses for them (the default map is by name, then by alias).
/// </summary>
public static class ImportFields
{
    public const string Code = "Code";
    public const string Name = "Name";
    public const string Type = "Type";
    public const string Group = "Group";
    public const string Division = "Division";
    public const string Status = "Status";
    public const string Account = "Account";
    public const string CostCenter = "Cost Center";
    public const string Period = "Period";
    public const string Debit = "Debit";
    public const string Credit = "Credit";
    public const string Net = "Net";
    public const string Vendor = "Vendor";
    public const string InvoiceAmount = "Invoice Amount";
    public const string InvoiceCount = "Invoice Count";

    private static readonly Dictionary<string, string[]> CommonAliases = new(StringComparer.Ordinal)
    {
        [Name] = ["description", "desc", "title"],
        [Type] = ["accounttype"],
        [Group] = ["accountgroup"],
        [Division] = ["apdivision", "divisionno"],
        [Status] = ["vendorstatus"],
        [Account] = ["glaccount", "accountcode", "accountitem", "accountnumber", "gl"],
        [CostCenter] = ["costcentre", "cc", "department", "dept", "costcentercode", "costcentrecode"],
        [Period] = ["month", "time", "fiscalperiod", "timeperiod", "periods"],
        [Net] = ["amount", "value", "netamount", "actual", "actuals"],
        [Debit] = ["debits", "debitamount", "dr"],
        [Credit] = ["credits", "creditamount", "cr"],
        [Vendor] = ["supplier", "vendorcode", "suppliercode", "vendorno", "vendorkey"],
        [InvoiceAmount] = ["amount", "value", "spend", "invoicevalue", "invoiced"],
        [InvoiceCount] = ["count", "invoices", "numberofinvoices", "invoicecount"],
    };

    /// <summary>The fields of a dataset, in the order the extraction produces them.</summary>
    public static IReadOnlyList<string> Of(string dataset) => dataset switch
    {
        Datasets.Accounts => [Code, Name, Type, Group],
        Datasets.CostCenters => [Code, Name],
        Datasets.Vendors => [Code, Name, Division, Status],
        Datasets.GlActuals => [Account, CostCenter, Period, Debit, Credit, Net],
        Datasets.ApActuals => [Vendor, CostCenter, Period, InvoiceAmount, InvoiceCount],
        _ => throw new ArgumentOutOfRangeException(nameof(dataset), dataset, "Not an uploaded dataset."),
    };

    /// <summary>The fields that identify a row: a later row for the same record shares them.</summary>
    public static IReadOnlyList<string> KeyOf(string dataset) => dataset switch
    {
        Datasets.GlActuals => [Account, CostCenter, Period],
        Datasets.ApActuals => [Vendor, CostCenter, Period],
        _ => [Code],
    };

    /// <summary>The fields an import of the dataset cannot do without (at least one of each group).</summary>
    public static IReadOnlyList<string[]> RequiredOf(string dataset) => dataset switch
    {
        Datasets.GlActuals => [[Account], [Period], [Debit, Credit, Net]],
        Datasets.ApActuals => [[Vendor], [Period], [InvoiceAmount, InvoiceCount]],
        _ => [[Code]],
    };

    /// <summary>Other header names of a field in a dataset (normalized: lower case, no spaces, '_' or '-').</summary>
    public static IEnumerable<string> AliasesOf(string dataset, string field)
    {
        IEnumerable<string> aliases = CommonAliases.GetValueOrDefault(field) ?? [];
        if (field == Code)
        {
            aliases = aliases.Concat(dataset switch
            {
                Datasets.Accounts => ["account", "accountcode", "id", "item", "key"],
                Datasets.CostCenters => ["costcenter", "costcentre", "cc", "department", "id", "item", "key"],
                Datasets.Vendors => ["vendor", "supplier", "vendorcode", "vendorno", "id", "item", "key"],
                _ => [],
            });
        }
        else if (field == Name)
        {
            aliases = aliases.Concat(dataset switch
            {
                Datasets.Accounts => ["accountname", "accountdescription"],
                Datasets.CostCenters => ["costcentername", "costcentrename", "departmentname"],
                Datasets.Vendors => ["vendorname", "suppliername"],
                _ => [],
            });
        }

        return aliases;
    }

    /// <summary>A header or field name compared loosely: case, spaces, '_' and '-' do not matter.</summary>
    public static string Normalize(string name)
        => new([.. (name ?? string.Empty).Trim().ToLowerInvariant().Where(c => c is not (' ' or '_' or '-'))]);

    /// <summary>How a dataset is called in messages.</summary>
    public static string Describe(string dataset) => dataset switch
    {
        Datasets.Accounts => "accounts list",
        Datasets.CostCenters => "cost centres list",
        Datasets.Vendors => "vendors list",
        Datasets.GlActuals => "GL actuals",
        Datasets.ApActuals => "AP actuals",
        _ => dataset,
    };

    /// <summary>The setting that names a dataset's import (<c>Actuals:Imports:GlActuals</c>).</summary>
    public static string ImportSetting(string dataset) => "Actuals:Imports:" + Setting(dataset)["Actuals:Columns:".Length..];

    /// <summary>
    /// An import the settings name that the model does not have, said the same way wherever it is found (the layout read
    /// at a run's start, a load, <c>connector check</c>): the import, the dataset and the setting that names it, the model,
    /// and the imports it has.
    /// </summary>
    public static string MissingImport(string importName, string? dataset, string modelId, IEnumerable<string> imports)
        => $"Import '{importName}'{(dataset is null ? string.Empty : $" ({Describe(dataset)}, {ImportSetting(dataset)})")} does not exist in model {modelId}; "
            + $"the model has: {string.Join(", ", imports.Select(i => $"'{i}'"))}.";

    /// <summary>The setting that holds a dataset's column overrides (<c>Actuals:Columns:GlActuals</c>).</summary>
    public static string Setting(string dataset) => "Actuals:Columns:" + dataset switch
    {
        Datasets.Accounts => nameof(ImportColumnOptions.Accounts),
        Datasets.CostCenters => nameof(ImportColumnOptions.CostCenters),
        Datasets.Vendors => nameof(ImportColumnOptions.Vendors),
        Datasets.GlActuals => nameof(ImportColumnOptions.GlActuals),
        Datasets.ApActuals => nameof(ImportColumnOptions.ApActuals),
        _ => dataset,
    };
}

/// <summary>One column of an import's file: its header and what fills it (a field name, or <c>=</c> and a fixed value).</summary>
public sealed record ImportColumn(string Header, string Source)
{
    /// <summary>Gets a value indicating whether the column holds a fixed value rather than a field.</summary>
    public bool IsFixed => this.Source.StartsWith('=');

    /// <summary>Gets the fixed value (<c>=Actual</c> → <c>Actual</c>).</summary>
    public string FixedValue => this.IsFixed ? this.Source[1..] : string.Empty;
}

/// <summary>
/// The file an import reads, as the connector writes it: the import's own header names, in its order, each filled from a
/// field of the dataset or with a fixed value. Staged CSVs are written in this layout, so the staged file is exactly the
/// file uploaded; every later reader of staged rows or of the import's failure dump finds the fields through it.
/// </summary>
public sealed record DatasetLayout(string Dataset, string ImportName, IReadOnlyList<ImportColumn> Columns)
{
    private int[]? fieldAt;

    /// <summary>Gets the header row.</summary>
    public IReadOnlyList<string> Header => [.. this.Columns.Select(c => c.Header)];

    /// <summary>Gets a short fingerprint of the layout: a changed import or mapping has another one.</summary>
    public string Signature
        => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f', this.Columns.Select(c => c.Header + "=" + c.Source)))), 0, 8);

    /// <summary>The shipped model's layout of a dataset: its header names, each its own field.</summary>
    public static DatasetLayout Default(string dataset, string importName = "")
        => new(dataset, importName, [.. Flows.Datasets.Header(dataset).Select(h => new ImportColumn(h, h))]);

    /// <summary>Whether some column carries <paramref name="field"/>.</summary>
    public bool Has(string field) => this.Columns.Any(c => !c.IsFixed && c.Source == field);

    /// <summary>
    /// Builds a row from the dataset's field values, given in the order of <see cref="ImportFields.Of"/> (a field the layout
    /// does not use may be null).
    /// </summary>
    public string[] Row(IReadOnlyList<string?> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        int[] at = this.FieldIndexes();
        var row = new string[this.Columns.Count];
        for (int i = 0; i < row.Length; i++)
        {
            row[i] = at[i] < 0 ? this.Columns[i].FixedValue : fields[at[i]] ?? string.Empty;
        }

        return row;
    }

    /// <summary>The value of <paramref name="field"/> in a staged row, or null when no column carries it.</summary>
    public string? Value(IReadOnlyList<string> row, string field)
    {
        ArgumentNullException.ThrowIfNull(row);
        for (int i = 0; i < this.Columns.Count && i < row.Count; i++)
        {
            if (!this.Columns[i].IsFixed && this.Columns[i].Source == field)
            {
                return row[i];
            }
        }

        return null;
    }

    /// <summary>The value of <paramref name="field"/> in a row read by header (a failure dump), or null.</summary>
    public string? Value(IReadOnlyDictionary<string, string> byHeader, string field)
    {
        ArgumentNullException.ThrowIfNull(byHeader);
        ImportColumn? column = this.Columns.FirstOrDefault(c => !c.IsFixed && c.Source == field);
        return column is not null && byHeader.TryGetValue(column.Header, out string? value) ? value : null;
    }

    /// <summary>The identity of a staged row: its key fields that the layout carries, trimmed, joined with '|'.</summary>
    public string Key(IReadOnlyList<string> row) => this.KeyOf(field => this.Value(row, field));

    /// <summary>The identity of a row read by header (a failure dump), comparable with <see cref="Key(IReadOnlyList{string})"/>.</summary>
    public string Key(IReadOnlyDictionary<string, string> byHeader) => this.KeyOf(field => this.Value(byHeader, field));

    /// <summary>How a row is named in the audit ("6000-00 / 01 / FY2026-P03").</summary>
    public string Describe(IReadOnlyDictionary<string, string> byHeader)
        => string.Join(" / ", ImportFields.KeyOf(this.Dataset).Where(this.Has).Select(f => this.Value(byHeader, f)?.Trim() ?? string.Empty));

    private string KeyOf(Func<string, string?> value)
        => string.Join('|', ImportFields.KeyOf(this.Dataset).Where(this.Has).Select(f => value(f)?.Trim() ?? string.Empty));

    /// <summary>For each column, the index of its field in <see cref="ImportFields.Of"/>, or -1 for a fixed value.</summary>
    internal int[] FieldIndexes()
    {
        if (this.fieldAt is null)
        {
            IReadOnlyList<string> fields = ImportFields.Of(this.Dataset);
            this.fieldAt = [.. this.Columns.Select(c => c.IsFixed ? -1 : IndexOf(fields, c.Source))];
        }

        return this.fieldAt;
    }

    private static int IndexOf(IReadOnlyList<string> fields, string field)
    {
        for (int i = 0; i < fields.Count; i++)
        {
            if (fields[i] == field)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"'{field}' is not a field.");
    }
}

/// <summary>The layouts of a run's imports, resolved once at its start (small: a few columns per import).</summary>
public sealed record ImportLayouts(IReadOnlyList<DatasetLayout> Layouts)
{
    /// <summary>The layout of a dataset, or null when the connection has no import for it.</summary>
    public DatasetLayout? Find(string dataset) => this.Layouts.FirstOrDefault(l => l.Dataset == dataset);

    /// <summary>The layout of a dataset; the shipped model's when none was resolved (a run started before layouts existed).</summary>
    public DatasetLayout For(string dataset) => this.Find(dataset) ?? DatasetLayout.Default(dataset);
}

/// <summary>
/// Maps a dataset's fields onto an import's header names: the connection's overrides first (header → field, or
/// <c>=</c> and a fixed value), then a field of the same name, then a field that has the header as an alias. A header
/// nothing fills, an override naming a column the import lacks or a field that does not exist, and a required field no
/// column carries are errors naming the import, the column and the fields that could fill it.
/// </summary>
public static class ColumnMapper
{
    /// <summary>Maps <paramref name="headers"/> for <paramref name="dataset"/>; returns the layout or every problem found.</summary>
    public static (DatasetLayout? Layout, IReadOnlyList<string> Problems) Map(
        string dataset, string importName, IReadOnlyList<string> headers, IReadOnlyDictionary<string, string>? overrides)
    {
        ArgumentNullException.ThrowIfNull(headers);
        IReadOnlyList<string> fields = ImportFields.Of(dataset);
        string setting = ImportFields.Setting(dataset);
        string fieldList = string.Join(", ", fields);
        var problems = new List<string>();
        var byHeader = (overrides ?? new Dictionary<string, string>())
            .ToDictionary(o => o.Key.Trim(), o => o.Value, StringComparer.OrdinalIgnoreCase);
        // A key names its header exactly, or as the header's letters and digits ('CostCenter' for 'Cost Center'): app
        // setting names cannot hold spaces, so that is how the Bicep and Terraform connections parameter names a header.
        foreach (string key in byHeader.Keys.Where(k => !headers.Any(h => string.Equals(h.Trim(), k, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            string? header = headers.Select(h => h.Trim()).FirstOrDefault(h => ImportFields.Normalize(h) == ImportFields.Normalize(key));
            if (header is not null && !byHeader.ContainsKey(header))
            {
                byHeader[header] = byHeader[key];
                byHeader.Remove(key);
            }
        }

        foreach (string unknown in byHeader.Keys.Where(k => !headers.Any(h => string.Equals(h.Trim(), k, StringComparison.OrdinalIgnoreCase))))
        {
            problems.Add($"{setting}:{unknown} names a column import '{importName}' does not have (its columns are {Quote(headers)}).");
        }

        var columns = new List<ImportColumn>(headers.Count);
        foreach (string raw in headers)
        {
            string header = raw.Trim();
            if (byHeader.TryGetValue(header, out string? source))
            {
                source = source.Trim();
                if (source.StartsWith('='))
                {
                    columns.Add(new ImportColumn(header, source));
                    continue;
                }

                string? named = fields.FirstOrDefault(f => ImportFields.Normalize(f) == ImportFields.Normalize(source));
                if (named is null)
                {
                    problems.Add($"{setting}:{header} is '{source}', which is not a field of the {ImportFields.Describe(dataset)}; the fields are {fieldList}, or '=' and a fixed value.");
                    continue;
                }

                columns.Add(new ImportColumn(header, named));
                continue;
            }

            string normalized = ImportFields.Normalize(header);
            string? field = fields.FirstOrDefault(f => ImportFields.Normalize(f) == normalized)
                ?? fields.FirstOrDefault(f => ImportFields.AliasesOf(dataset, f).Contains(normalized, StringComparer.Ordinal));
            if (field is null)
            {
                problems.Add(
                    $"Import '{importName}' ({ImportFields.Describe(dataset)}) has the column '{header}', which no field fills; the fields it could map are {fieldList}. "
                    + $"Set {setting}:{header} to one of them, or to '=' and a fixed value (e.g. '=Actual').");
                continue;
            }

            columns.Add(new ImportColumn(header, field));
        }

        var layout = new DatasetLayout(dataset, importName, columns);
        foreach (string[] group in ImportFields.RequiredOf(dataset))
        {
            if (problems.Count == 0 && !group.Any(layout.Has))
            {
                problems.Add(
                    $"Import '{importName}' ({ImportFields.Describe(dataset)}) has no column for {string.Join(" or ", group)} (its columns are {Quote(headers)}); "
                    + $"map one with {setting}:<column>.");
            }
        }

        return problems.Count == 0 ? (layout, []) : (null, problems);
    }

    /// <summary>The overrides a connection sets for a dataset.</summary>
    public static IReadOnlyDictionary<string, string> OverridesOf(ConnectionOptions connection, string dataset)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ImportColumnOptions columns = connection.Actuals.Columns;
        return dataset switch
        {
            Datasets.Accounts => columns.Accounts,
            Datasets.CostCenters => columns.CostCenters,
            Datasets.Vendors => columns.Vendors,
            Datasets.GlActuals => columns.GlActuals,
            Datasets.ApActuals => columns.ApActuals,
            _ => new Dictionary<string, string>(),
        };
    }

    /// <summary>The import a connection names for a dataset (empty: none).</summary>
    public static string ImportNameOf(ConnectionOptions connection, string dataset)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ActualsImports imports = connection.Actuals.Imports;
        return dataset switch
        {
            Datasets.Accounts => imports.Accounts,
            Datasets.CostCenters => imports.CostCenters,
            Datasets.Vendors => imports.Vendors,
            Datasets.GlActuals => imports.GlActuals,
            Datasets.ApActuals => imports.ApActuals,
            _ => string.Empty,
        } ?? string.Empty;
    }

    /// <summary>How a layout reads in a check or a summary: <c>Account ← Account, Amount ← Net, Version = Actual</c>.</summary>
    public static string Describe(DatasetLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return string.Join(", ", layout.Columns.Select(c => c.IsFixed ? $"{c.Header} = '{c.FixedValue}'" : c.Header == c.Source ? c.Header : $"{c.Header} ← {c.Source}"));
    }

    private static string Quote(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"'{n.Trim()}'"));
}
