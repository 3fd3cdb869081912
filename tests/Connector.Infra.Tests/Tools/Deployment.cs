using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Connector.Infra.Tests.Tools;

/// <summary>
/// What infra/main.bicep would deploy, from <c>bicep snapshot</c>: every resource with its name, scope and properties
/// evaluated; values only known after deployment stay ARM expressions.
/// </summary>
internal sealed partial class Deployment
{
    /// <summary>The deploying principal of the samples (infra/snapshots/samples.bicep).</summary>
    public const string DeployerPrincipalId = "6c1f0f0e-5a4b-4c3d-8e2f-000000000001";

    /// <summary>The operators' group of the samples.</summary>
    public const string OperatorsGroupId = "6c1f0f0e-5a4b-4c3d-8e2f-000000000002";

    /// <summary>The parameter files under infra/snapshots, each with its committed snapshot.</summary>
    public static readonly string[] SnapshotNames = ["minimal", "vnet-off", "vnet-on", "vnet-existing"];

    private static readonly Lazy<Deployment> FullDeployment = new(() => Load("vnet-off"));

    private static readonly Lazy<Deployment> MinimalDeployment = new(() => Load("minimal"));

    private static readonly Lazy<Deployment> NetworkDeployment = new(() => Load("vnet-on"));

    private static readonly Lazy<Deployment> LandingZoneDeployment = new(() => Load("vnet-existing"));

    private Deployment(JsonObject snapshot)
    {
        this.Resources = snapshot["predictedResources"]!.AsArray().Select(r => r!.AsObject()).ToList();
        this.Outputs = snapshot["outputs"]!.AsObject();
    }

    /// <summary>Gets the deployment without a virtual network, with a deploying principal, operators, alert e-mails, tags
    /// and the sample connections (infra/snapshots/vnet-off.bicepparam).</summary>
    public static Deployment Full => FullDeployment.Value;

    /// <summary>Gets the deployment with parameter defaults only (no deploying principal, no connection).</summary>
    public static Deployment Minimal => MinimalDeployment.Value;

    /// <summary>Gets <see cref="Full"/> inside a new virtual network (infra/snapshots/vnet-on.bicepparam).</summary>
    public static Deployment Network => NetworkDeployment.Value;

    /// <summary>Gets the deployment into the customer's subnets, vault and workspace, with a name prefix and operator IP
    /// rules (infra/snapshots/vnet-existing.bicepparam).</summary>
    public static Deployment LandingZone => LandingZoneDeployment.Value;

    /// <summary>Gets infra/snapshots.</summary>
    public static string SnapshotDirectory => Path.Combine(Connector.Testing.RepositoryRoot.Path, "infra", "snapshots");

    /// <summary>Reads a committed snapshot (<c>bicep snapshot --mode validate</c> proves it current: see BicepSnapshotTests).</summary>
    public static Deployment Load(string name)
        => new(JsonNode.Parse(File.ReadAllText(Path.Combine(SnapshotDirectory, name + ".snapshot.json")))!.AsObject());

    /// <summary>Gets the predicted resources.</summary>
    public IReadOnlyList<JsonObject> Resources { get; }

    /// <summary>Gets the deployment outputs.</summary>
    public JsonObject Outputs { get; }

    /// <summary>Gets the user-assigned identity's resource id.</summary>
    public string IdentityId => Id(this.Single("Microsoft.ManagedIdentity/userAssignedIdentities"));

    /// <summary>Gets the Function App's app settings.</summary>
    public IReadOnlyDictionary<string, string> AppSettings
        => this.Single("Microsoft.Web/sites/config")["properties"]!.AsObject()
            .ToDictionary(p => p.Key, p => p.Value!.GetValue<string>(), StringComparer.Ordinal);

    public static string Id(JsonObject resource) => resource["id"]!.GetValue<string>();

    public static string Text(JsonNode? node, string path)
    {
        foreach (string part in path.Split('.'))
        {
            node = node?[part];
        }

        return node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node?.ToJsonString() ?? "(missing)";
    }

    /// <summary>The ARM expression a deployment evaluates to the given property of a resource created in it.</summary>
    public static Regex RuntimeReference(string resourceId, string property)
        => new($@"^\[reference\('{Regex.Escape(resourceId)}', '[0-9a-z-]+'\)\.{Regex.Escape(property)}\]$");

    public IEnumerable<JsonObject> OfType(string type) => this.Resources.Where(r => r["type"]!.GetValue<string>() == type);

    public JsonObject Single(string type) => this.OfType(type).Single();

    /// <summary>Role assignments as (scope resource id, principal, role definition id, name).</summary>
    public IEnumerable<(string Scope, string Principal, string RoleId, string Name)> RoleAssignments()
        => this.OfType("Microsoft.Authorization/roleAssignments").Select(r =>
        {
            string roleDefinitionId = Text(r, "properties.roleDefinitionId");
            // A built-in role's id in the subscription of the assignment (a customer's vault may be in another one).
            Assert.Matches("^/subscriptions/[0-9a-f-]{36}/providers/Microsoft.Authorization/roleDefinitions/[0-9a-f-]{36}$", roleDefinitionId);
            string id = Id(r);
            Match scope = ExtensionScope().Match(id);
            Assert.True(scope.Success, $"cannot read the scope of role assignment {id}");
            return (scope.Groups["scope"].Value, Text(r, "properties.principalId"), roleDefinitionId.Split('/')[^1], Text(r, "name"));
        });

    // A role assignment id is <scope>/providers/Microsoft.Authorization/roleAssignments/<name>, or, while its name waits
    // for a runtime value, [extensionResourceId('<scope>', 'Microsoft.Authorization/roleAssignments', <name>)].
    [GeneratedRegex(@"^(?:\[extensionResourceId\('(?<scope>[^']+)'|(?<scope>.+)/providers/Microsoft\.Authorization/roleAssignments/)")]
    private static partial Regex ExtensionScope();
}
