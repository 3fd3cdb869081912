using System.Text.Json;
using System.Text.Json.Serialization;

namespace Connector.Emulators.Anaplan.Model;

/// <summary>The JSON file the emulator is set up from: users, workspaces and their models.</summary>
public sealed class TenantDefinition
{
    /// <summary>Users allowed to log in with basic authentication.</summary>
    public List<UserDefinition> Users { get; set; } = [];

    /// <summary>Workspaces, each with its models.</summary>
    public List<WorkspaceDefinition> Workspaces { get; set; } = [];

    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Reads a definition file.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid definition; the message names the problem.</exception>
    /// <summary>Loads the shipped FP&amp;A model (for tests that adjust it before starting an emulator).</summary>
    public static TenantDefinition LoadDefault() => Load(AnaplanEmulatorOptions.DefaultModelPath);

    public static TenantDefinition Load(string path)
    {
        path = Resolve(path);
        using FileStream stream = File.OpenRead(path);
        TenantDefinition definition;
        try
        {
            definition = JsonSerializer.Deserialize<TenantDefinition>(stream, JsonOptions)
                ?? throw new InvalidDataException($"Model file '{path}' is empty.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Model file '{path}' is not valid JSON: {ex.Message}", ex);
        }

        return definition;
    }

    /// <summary>
    /// This tenant with <paramref name="other"/>'s users and workspaces added; a workspace both have gets the other's models.
    /// </summary>
    public TenantDefinition Merge(TenantDefinition other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var merged = new TenantDefinition
        {
            Users = [.. this.Users, .. other.Users.Where(u => !this.Users.Any(t => string.Equals(t.UserName, u.UserName, StringComparison.OrdinalIgnoreCase)))],
            Workspaces = [.. this.Workspaces.Select(w => new WorkspaceDefinition { Id = w.Id, Name = w.Name, Models = [.. w.Models] })],
        };
        foreach (WorkspaceDefinition workspace in other.Workspaces)
        {
            WorkspaceDefinition? same = merged.Workspaces.FirstOrDefault(w => string.Equals(w.Id, workspace.Id, StringComparison.OrdinalIgnoreCase));
            if (same is null)
            {
                merged.Workspaces.Add(workspace);
            }
            else
            {
                same.Models.AddRange(workspace.Models);
            }
        }

        return merged;
    }

    /// <summary>A relative path is tried against the working directory and then its parents, so the same
    /// <c>--model emulators/anaplan/models/fpa-model.json</c> works whether <c>dotnet run</c> starts in the
    /// repository root or in the project folder.</summary>
    private static string Resolve(string path)
    {
        if (Path.IsPathRooted(path) || File.Exists(path))
        {
            return path;
        }

        for (DirectoryInfo? dir = new(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, path);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        string shipped = Path.Combine(AppContext.BaseDirectory, path);
        return File.Exists(shipped) ? shipped : throw new FileNotFoundException($"Model file '{path}' was not found.", path);
    }
}

/// <summary>A basic-authentication user. Certificate users are added through <see cref="TenantState.AddCertificateUser"/>.</summary>
public sealed class UserDefinition
{
    public string UserName { get; set; } = string.Empty;

    public string? Password { get; set; }

    /// <summary>Whether the user is a workspace administrator (the list read is refused to others with 403).</summary>
    public bool WorkspaceAdministrator { get; set; } = true;

    /// <summary>A PEM certificate this user may log in with (optional).</summary>
    public string? CertificatePem { get; set; }
}

public sealed class WorkspaceDefinition
{
    /// <summary>32 lowercase hex digits.</summary>
    public string Id { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    public List<ModelDefinition> Models { get; set; } = [];
}

public sealed class ModelDefinition
{
    /// <summary>32 uppercase hex digits.</summary>
    public string Id { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    /// <summary>UNLOCKED, ACTIVE, PRODUCTION, MAINTENANCE, PRODUCTION_MAINTENANCE, LOCKED, ARCHIVED, ...</summary>
    public string ActiveState { get; set; } = "UNLOCKED";

    public List<ListDefinition> Lists { get; set; } = [];

    public List<ModuleDefinition> Modules { get; set; } = [];

    public List<ImportDefinition> Imports { get; set; } = [];

    public List<ExportDefinition> Exports { get; set; } = [];

    public List<ProcessDefinition> Processes { get; set; } = [];
}

public sealed class ListDefinition
{
    /// <summary>12 digits starting 101.</summary>
    public string Id { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    /// <summary>Property name to type (<c>text</c>, <c>number</c>, <c>boolean</c>, <c>date</c>).</summary>
    public Dictionary<string, string> Properties { get; set; } = [];

    public List<ListItemDefinition> Items { get; set; } = [];

    /// <summary>
    /// Whether this is the model's native time (items named as Anaplan shows periods, e.g. <c>Jan 26</c>): a dimension
    /// modules and imports use like a list, but not a list, so the list read neither lists nor reads it.
    /// </summary>
    public bool Time { get; set; }
}

public sealed class ListItemDefinition
{
    public string Code { get; set; } = string.Empty;

    public string? Name { get; set; }

    public Dictionary<string, string> Properties { get; set; } = [];
}

public sealed class ModuleDefinition
{
    /// <summary>12 digits starting 102.</summary>
    public string Id { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    /// <summary>List names, in order: a cell is addressed by one item code of each.</summary>
    public List<string> Dimensions { get; set; } = [];

    /// <summary>Line item name to type (<c>number</c>, <c>date</c>, <c>text</c>, <c>boolean</c>).</summary>
    public Dictionary<string, string> LineItems { get; set; } = [];
}

/// <summary>One column of an import or export: what a CSV header maps to.</summary>
public sealed class ColumnDefinition
{
    public string Header { get; set; } = string.Empty;

    /// <summary>For list imports/exports: <c>code</c> or <c>name</c>.</summary>
    public string? Field { get; set; }

    /// <summary>For list imports: a list property.</summary>
    public string? Property { get; set; }

    /// <summary>For module imports/exports: the list whose item code this column holds.</summary>
    public string? Dimension { get; set; }

    /// <summary>For module imports/exports: the line item this column holds.</summary>
    public string? LineItem { get; set; }

    /// <summary>For module exports: a fixed text in every row (e.g. a note column a view adds).</summary>
    public string? Value { get; set; }
}

public sealed class ImportDefinition
{
    /// <summary>12 digits starting 112.</summary>
    public string Id { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    /// <summary>The file (12 digits starting 113) the import reads.</summary>
    public string ImportDataSourceId { get; set; } = string.Empty;

    /// <summary>The name the data source file is listed under.</summary>
    public string? ImportDataSourceName { get; set; }

    /// <summary>HIERARCHY_DATA for lists, MODULE_DATA for modules.</summary>
    public string? ImportType { get; set; }

    /// <summary>Target list name (list imports).</summary>
    public string? List { get; set; }

    /// <summary>Target module name (module imports).</summary>
    public string? Module { get; set; }

    /// <summary>
    /// List imports: whether a row with a code not yet in the list creates the item (Anaplan's default mapping) or is
    /// ignored, as with Anaplan's "update matching items only" setting; ignored rows count in <c>ignoredCount</c>.
    /// </summary>
    public bool CreateItems { get; set; } = true;

    public List<ColumnDefinition> Columns { get; set; } = [];
}

public sealed class ExportDefinition
{
    /// <summary>12 digits starting 116; the output file has the same id.</summary>
    public string Id { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    public string ExportType { get; set; } = "TABULAR_MULTI_COLUMN";

    public string ExportFormat { get; set; } = "text/csv";

    public string Encoding { get; set; } = "UTF-8";

    /// <summary>Source list name (list exports).</summary>
    public string? List { get; set; }

    /// <summary>Source module name (module exports).</summary>
    public string? Module { get; set; }

    public List<ColumnDefinition> Columns { get; set; } = [];

    /// <summary>Module exports: leave out cells whose numeric line items are all zero or blank.</summary>
    public bool NonZeroOnly { get; set; }

    /// <summary>Module exports: keep only cells whose item in this list has the boolean property named by
    /// <see cref="FilterProperty"/> set (e.g. Versions / Approved).</summary>
    public string? FilterList { get; set; }

    public string? FilterProperty { get; set; }

    /// <summary>Module exports: the view's page selector, one item per list (e.g. Versions = Budget); other items are not exported.</summary>
    public Dictionary<string, string> Pages { get; set; } = [];

    /// <summary>
    /// Module exports: a dimension laid across the columns (a grid view): after <see cref="Columns"/>, one column per item
    /// of this list, headed by the item's code, holding <see cref="ColumnLineItem"/>; a row per combination of the other
    /// dimensions that has a value in any of them.
    /// </summary>
    public string? ColumnDimension { get; set; }

    /// <summary>The line item shown in the <see cref="ColumnDimension"/> columns.</summary>
    public string? ColumnLineItem { get; set; }
}

public sealed class ProcessDefinition
{
    /// <summary>12 digits starting 118.</summary>
    public string Id { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    /// <summary>Import and export ids run in order.</summary>
    public List<string> Actions { get; set; } = [];
}
