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
    /// <summary>The deploying principal of <see cref="Full"/>.</summary>
    public const string DeployerPrincipalId = "6c1f0f0e-5a4b-4c3d-8e2f-000000000001";

    /// <summary>
    /// Two connections in Bicep syntax: the first sets every field of the parameter type, the second only the required
    /// ones (Certificate authentication). Secret fields hold Key Vault secret names, as in production.
    /// </summary>
    public const string Connections = """
        [
          {
            id: 'abc'
            sage: {
              baseUrl: 'https://sage-agent.example.com:8443'
              company: 'ABC'
              apiKeySecretName: 'sage-abc-apikey'
              tlsMode: 'Pinned'
              pinnedFingerprints: [
                'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89'
                '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'
              ]
            }
            anaplan: {
              authUrl: 'https://auth.anaplan.com'
              apiUrl: 'https://api.anaplan.com/2/0'
              workspaceId: '8a81b09d5e8c6f27015ece3402487d33'
              modelId: 'F1D5C6C1E2C64E5AA2D4A5E8D8E5B9A1'
              authMode: 'Basic'
              userName: 'integration@example.com'
              passwordSecretName: 'anaplan-abc-password'
              certificateSecretName: 'anaplan-abc-certificate'
              privateKeySecretName: 'anaplan-abc-private-key'
            }
            costCenterSegment: 'Department'
            actuals: {
              enabled: true
              schedule: '0 15 2 * * *'
              timeZone: 'America/New_York'
            }
            budgets: {
              enabled: true
              schedule: '0 0 6 * * 1-5'
              timeZone: 'UTC'
              export: 'Approved Budget'
              version: 'Forecast'
              offsetAccount: '9999-00'
            }
          }
          {
            id: 'def-2'
            sage: {
              baseUrl: 'https://sage-def.example.com'
              company: 'DEF'
              apiKeySecretName: 'sage-def-apikey'
            }
            anaplan: {
              workspaceId: '8a81b09d5e8c6f27015ece3402487d34'
              modelId: 'F1D5C6C1E2C64E5AA2D4A5E8D8E5B9A2'
              authMode: 'Certificate'
              certificateSecretName: 'anaplan-def-certificate'
              privateKeySecretName: 'anaplan-def-private-key'
            }
            costCenterSegment: '3'
          }
        ]
        """;

    private static readonly Lazy<Deployment> FullDeployment = new(() => new(Bicep.Snapshot(new Dictionary<string, string>
    {
        ["environmentName"] = "'infratest'",
        ["location"] = $"'{Bicep.Location}'",
        ["principalId"] = $"'{DeployerPrincipalId}'",
        ["connections"] = Connections,
    })));

    private static readonly Lazy<Deployment> MinimalDeployment = new(() => new(Bicep.Snapshot(new Dictionary<string, string>
    {
        ["environmentName"] = "'infratest'",
        ["location"] = $"'{Bicep.Location}'",
    })));

    private Deployment(JsonObject snapshot)
    {
        this.Resources = snapshot["predictedResources"]!.AsArray().Select(r => r!.AsObject()).ToList();
        this.Outputs = snapshot["outputs"]!.AsObject();
    }

    /// <summary>Gets the deployment with a deploying principal and <see cref="Connections"/>.</summary>
    public static Deployment Full => FullDeployment.Value;

    /// <summary>Gets the deployment with parameter defaults only (no deploying principal, no connection).</summary>
    public static Deployment Minimal => MinimalDeployment.Value;

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
            Assert.StartsWith($"/subscriptions/{Bicep.SubscriptionId}/providers/Microsoft.Authorization/roleDefinitions/", roleDefinitionId);
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
