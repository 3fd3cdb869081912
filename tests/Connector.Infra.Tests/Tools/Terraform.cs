using System.Text.Json.Nodes;
using Connector.Testing;

namespace Connector.Infra.Tests.Tools;

/// <summary>
/// The Terraform configuration under infra/terraform, parsed with HCL's own parser (npm package @cdktf/hcl2json,
/// installed by <c>npm ci</c>). Terraform itself cannot be installed here, so nothing is planned: the tests read the
/// configuration as written.
/// </summary>
internal static class Terraform
{
    /// <summary>Gets infra/terraform.</summary>
    public static string ModuleDirectory => Path.Combine(RepositoryRoot.Path, "infra", "terraform");

    /// <summary>Gets every .tf file under infra/terraform, examples included.</summary>
    public static IReadOnlyList<string> Files =>
        Directory.GetFiles(ModuleDirectory, "*.tf", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();

    /// <summary>Parses the files; the result maps each path to its JSON form.</summary>
    public static (CommandResult Result, JsonObject? Parsed) Parse(IEnumerable<string> files)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "hcl2json.js");
        string library = Path.Combine(RepositoryRoot.Path, "node_modules", "@cdktf", "hcl2json");
        if (!Directory.Exists(library))
        {
            throw new DirectoryNotFoundException($"{library} is missing: run `npm ci` at the repository root first.");
        }

        CommandResult result = Processes.Run("node", [script, RepositoryRoot.Path, .. files], RepositoryRoot.Path);
        return (result, result.ExitCode == 0 ? JsonNode.Parse(result.StandardOutput)!.AsObject() : null);
    }

    /// <summary>The module (not the examples) merged into one document: blocks of all its files side by side.</summary>
    public sealed class Module
    {
        public Module(JsonObject parsed)
        {
            foreach ((string file, JsonNode? document) in parsed)
            {
                if (Path.GetDirectoryName(file) != ModuleDirectory)
                {
                    continue;
                }

                foreach ((string kind, JsonNode? blocks) in document!.AsObject())
                {
                    switch (kind)
                    {
                        case "resource":
                        case "data":
                            foreach ((string type, JsonNode? byName) in blocks!.AsObject())
                            {
                                foreach ((string name, JsonNode? body) in byName!.AsObject())
                                {
                                    this.Resources[$"{(kind == "data" ? "data." : string.Empty)}{type}.{name}"] = body!.AsArray().Single()!.AsObject();
                                }
                            }

                            break;
                        case "locals":
                            foreach (JsonNode? block in blocks!.AsArray())
                            {
                                foreach ((string name, JsonNode? value) in block!.AsObject())
                                {
                                    this.Locals[name] = value;
                                }
                            }

                            break;
                        case "variable":
                            foreach ((string name, JsonNode? body) in blocks!.AsObject())
                            {
                                this.Variables[name] = body!.AsArray().Single()!.AsObject();
                            }

                            break;
                    }
                }
            }
        }

        /// <summary>Gets resources and data sources by address (<c>azurerm_key_vault.this</c>).</summary>
        public Dictionary<string, JsonObject> Resources { get; } = [];

        /// <summary>Gets locals by name.</summary>
        public Dictionary<string, JsonNode?> Locals { get; } = [];

        /// <summary>Gets variable blocks by name.</summary>
        public Dictionary<string, JsonObject> Variables { get; } = [];

        /// <summary>Gets the resources of one type, by address.</summary>
        public IEnumerable<KeyValuePair<string, JsonObject>> OfType(string type)
            => this.Resources.Where(r => r.Key.StartsWith(type + ".", StringComparison.Ordinal));

        /// <summary>Gets the one resource of a type.</summary>
        public JsonObject Single(string type) => this.OfType(type).Single().Value;
    }
}
