using System.Text.RegularExpressions;
using Connector.Emulators.Anaplan.Model;

namespace Connector.Emulators.Anaplan.Engine;

/// <summary>Checks a model definition when it is loaded, so a typo fails at start-up with a message naming it.</summary>
internal static partial class ModelValidation
{
    public static void CheckWorkspaceId(string id)
    {
        if (!WorkspaceId().IsMatch(id))
        {
            throw new InvalidDataException($"Workspace id '{id}' must be 32 lowercase hex digits.");
        }
    }

    public static void CheckModelId(string id)
    {
        if (!ModelId().IsMatch(id))
        {
            throw new InvalidDataException($"Model id '{id}' must be 32 uppercase hex digits.");
        }
    }

    public static void CheckImport(EmulatedModel model, ImportDefinition import)
    {
        string where = $"Model '{model.Name}', import '{import.Name}'";
        CheckObjectId(where, "id", import.Id, "112");
        CheckObjectId(where, "importDataSourceId", import.ImportDataSourceId, "113");
        if (import.Columns.Count == 0)
        {
            throw new InvalidDataException($"{where}: no columns.");
        }

        if (import.List is not null)
        {
            ListData list = Resolve(where, () => model.List(import.List));
            if (!import.Columns.Any(c => Is(c.Field, "code")))
            {
                throw new InvalidDataException($"{where}: a list import needs a column with field 'code'.");
            }

            foreach (ColumnDefinition column in import.Columns.Where(c => c.Property is not null))
            {
                if (!list.PropertyTypes.ContainsKey(column.Property!))
                {
                    throw new InvalidDataException($"{where}, column '{column.Header}': list '{list.Name}' has no property '{column.Property}'.");
                }
            }
        }
        else if (import.Module is not null)
        {
            ModuleData module = Resolve(where, () => model.Module(import.Module));
            CheckModuleColumns(where, module, import.Columns);
            foreach (string dimension in module.Dimensions)
            {
                if (!import.Columns.Any(c => string.Equals(c.Dimension, dimension, StringComparison.OrdinalIgnoreCase)))
                {
                    throw new InvalidDataException($"{where}: no column maps dimension '{dimension}' of module '{module.Name}'.");
                }
            }
        }
        else
        {
            throw new InvalidDataException($"{where}: set 'list' or 'module'.");
        }
    }

    public static void CheckExport(EmulatedModel model, ExportDefinition export)
    {
        string where = $"Model '{model.Name}', export '{export.Name}'";
        CheckObjectId(where, "id", export.Id, "116");
        if (export.List is not null)
        {
            ListData list = Resolve(where, () => model.List(export.List));
            foreach (ColumnDefinition column in export.Columns.Where(c => c.Property is not null && !list.PropertyTypes.ContainsKey(c.Property)))
            {
                throw new InvalidDataException($"{where}, column '{column.Header}': list '{list.Name}' has no property '{column.Property}'.");
            }
        }
        else if (export.Module is not null)
        {
            ModuleData module = Resolve(where, () => model.Module(export.Module));
            CheckModuleColumns(where, module, export.Columns);
            if (export.FilterList is not null && !module.Dimensions.Contains(export.FilterList, StringComparer.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"{where}: filterList '{export.FilterList}' is not a dimension of module '{module.Name}'.");
            }

            foreach (string page in export.Pages.Keys.Where(p => !module.Dimensions.Contains(p, StringComparer.OrdinalIgnoreCase)))
            {
                throw new InvalidDataException($"{where}: page '{page}' is not a dimension of module '{module.Name}'.");
            }

            if (export.ColumnDimension is not null)
            {
                if (!module.Dimensions.Contains(export.ColumnDimension, StringComparer.OrdinalIgnoreCase))
                {
                    throw new InvalidDataException($"{where}: columnDimension '{export.ColumnDimension}' is not a dimension of module '{module.Name}'.");
                }

                if (export.ColumnLineItem is null || !module.LineItems.ContainsKey(export.ColumnLineItem))
                {
                    throw new InvalidDataException($"{where}: columnLineItem must be a line item of module '{module.Name}'.");
                }
            }
        }
        else
        {
            throw new InvalidDataException($"{where}: set 'list' or 'module'.");
        }
    }

    private static void CheckModuleColumns(string where, ModuleData module, IEnumerable<ColumnDefinition> columns)
    {
        foreach (ColumnDefinition column in columns)
        {
            if (column.Dimension is not null && !module.Dimensions.Contains(column.Dimension, StringComparer.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"{where}, column '{column.Header}': '{column.Dimension}' is not a dimension of module '{module.Name}'.");
            }

            if (column.LineItem is not null && !module.LineItems.ContainsKey(column.LineItem))
            {
                throw new InvalidDataException($"{where}, column '{column.Header}': module '{module.Name}' has no line item '{column.LineItem}'.");
            }

            if (column.Dimension is null && column.LineItem is null && column.Value is null)
            {
                throw new InvalidDataException($"{where}, column '{column.Header}': set 'dimension', 'lineItem' or 'value'.");
            }
        }
    }

    private static T Resolve<T>(string where, Func<T> find)
    {
        try
        {
            return find();
        }
        catch (KeyNotFoundException ex)
        {
            throw new InvalidDataException($"{where}: {ex.Message}", ex);
        }
    }

    private static void CheckObjectId(string where, string field, string id, string prefix)
    {
        if (!ObjectId().IsMatch(id) || !id.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{where}: {field} '{id}' must be 12 digits starting {prefix}.");
        }
    }

    internal static bool Is(string? value, string expected) => string.Equals(value, expected, StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex WorkspaceId();

    [GeneratedRegex("^[0-9A-F]{32}$")]
    private static partial Regex ModelId();

    [GeneratedRegex("^[0-9]{12}$")]
    private static partial Regex ObjectId();
}
