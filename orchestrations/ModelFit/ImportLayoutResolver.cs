using Connector.Orchestrations.Anaplan;
using Connector.Orchestrations.Configuration;
using Connector.Orchestrations.Flows;

namespace Connector.Orchestrations.ModelFit;

/// <summary>
/// One import as read from Anaplan and mapped: its header names and the layout, or why it does not fit; <c>Import</c> is
/// the import as the model lists it (null when the model has no import of that name).
/// </summary>
public sealed record ImportLayoutResult(
    string Dataset, string Setting, string ImportName, IReadOnlyList<string> Headers, DatasetLayout? Layout, IReadOnlyList<string> Problems, AnaplanImport? Import = null);

/// <summary>
/// Reads each configured import's header names from Anaplan (<c>GET .../imports/{id}</c>) and maps the connection's
/// fields onto them (<see cref="ColumnMapper"/>). Used at the start of every actuals run (before anything is extracted)
/// and by <c>connector check</c>.
/// </summary>
public static class ImportLayoutResolver
{
    /// <summary>The datasets loaded through imports, in load order.</summary>
    public static readonly IReadOnlyList<string> Datasets =
        [Flows.Datasets.Accounts, Flows.Datasets.CostCenters, Flows.Datasets.Vendors, Flows.Datasets.GlActuals, Flows.Datasets.ApActuals];

    /// <summary>Resolves every import the connection names (an empty name, e.g. no cost-centre list, is left out).</summary>
    public static async Task<IReadOnlyList<ImportLayoutResult>> ResolveAsync(ConnectionOptions connection, AnaplanClient anaplan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(anaplan);
        IReadOnlyList<AnaplanImport> imports = await anaplan.ListImportsAsync(cancellationToken);
        var results = new List<ImportLayoutResult>();
        foreach (string dataset in Datasets)
        {
            string name = ColumnMapper.ImportNameOf(connection, dataset);
            if (string.IsNullOrWhiteSpace(name))
            {
                continue;
            }

            string setting = ImportFields.ImportSetting(dataset);
            AnaplanImport? import = Find(imports, name);
            if (import is null)
            {
                results.Add(new ImportLayoutResult(dataset, setting, name, [], null,
                    [ImportFields.MissingImport(name, dataset, anaplan.Options.ModelId, imports.Select(i => i.Name))]));
                continue;
            }

            IReadOnlyList<string> headers = (await anaplan.GetImportMetadataAsync(import.Id, cancellationToken)).HeaderNames;
            (DatasetLayout? layout, IReadOnlyList<string> problems) = ColumnMapper.Map(dataset, import.Name, headers, ColumnMapper.OverridesOf(connection, dataset));
            results.Add(new ImportLayoutResult(dataset, setting, import.Name, headers, layout, problems, import));
        }

        return results;
    }

    /// <summary>The layouts of resolved imports.</summary>
    /// <exception cref="ConnectorConfigurationException">
    /// An import is missing or does not fit; the message lists every problem first (what an operator reads in a run list),
    /// then the connection, and that nothing was read or loaded.
    /// </exception>
    public static ImportLayouts LayoutsOrThrow(ConnectionOptions connection, IReadOnlyList<ImportLayoutResult> results)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(results);
        string[] problems = [.. results.SelectMany(r => r.Problems)];
        return problems.Length > 0
            ? throw new ConnectorConfigurationException(
                $"{string.Join(" ", problems)} (connection '{connection.Id}': the model's imports do not fit its settings; the run stopped before reading Sage or loading anything.)")
            : new ImportLayouts([.. results.Select(r => r.Layout!)]);
    }

    /// <summary>The import of that name: the exact name first, then the name in any case.</summary>
    public static AnaplanImport? Find(IReadOnlyList<AnaplanImport> imports, string name)
    {
        ArgumentNullException.ThrowIfNull(imports);
        return imports.FirstOrDefault(i => i.Name == name) ?? imports.FirstOrDefault(i => string.Equals(i.Name, name, StringComparison.OrdinalIgnoreCase));
    }
}
