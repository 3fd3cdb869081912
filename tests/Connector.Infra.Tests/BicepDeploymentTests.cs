using System.Text.Json.Nodes;
using Connector.Infra.Tests.Tools;

namespace Connector.Infra.Tests;

/// <summary>
/// The resources infra/main.bicep deploys, as <c>bicep snapshot</c> predicts them offline: names, scopes and properties
/// evaluated through every module and loop.
/// </summary>
public sealed class BicepDeploymentTests
{
    private static Deployment Deployment => Deployment.Full;

    [Fact]
    public void StorageAccount_EntraIdOnly_Tls12_NoPublicBlobs()
    {
        JsonNode properties = Deployment.Single("Microsoft.Storage/storageAccounts")["properties"]!;
        Assert.False(properties["allowSharedKeyAccess"]!.GetValue<bool>());
        Assert.True(properties["defaultToOAuthAuthentication"]!.GetValue<bool>());
        Assert.Equal("TLS1_2", properties["minimumTlsVersion"]!.GetValue<string>());
        Assert.False(properties["allowBlobPublicAccess"]!.GetValue<bool>());
        Assert.True(properties["supportsHttpsTrafficOnly"]!.GetValue<bool>());
    }

    [Fact]
    public void StorageAccount_HasTheDeploymentAndStagingContainers_Private()
    {
        string account = Deployment.Id(Deployment.Single("Microsoft.Storage/storageAccounts"));
        var containers = Deployment.OfType("Microsoft.Storage/storageAccounts/blobServices/containers").ToList();
        Assert.All(containers, c => Assert.Equal("None", Deployment.Text(c, "properties.publicAccess")));
        var names = containers.Select(c => Deployment.Id(c)).ToList();
        Assert.All(names, id => Assert.StartsWith(account + "/blobServices/default/containers/", id));

        string deployment = Deployment.Text(Deployment.Single("Microsoft.Web/sites"), "properties.functionAppConfig.deployment.storage.value");
        Assert.Contains(names, id => deployment.EndsWith($"'{id.Split('/')[^1]}')]", StringComparison.Ordinal));
        Assert.Equal("connector-staging", Deployment.AppSettings["Connector__Storage__StagingContainer"]);
        Assert.Contains(names, id => id.EndsWith("/containers/connector-staging", StringComparison.Ordinal));
    }

    [Fact]
    public void KeyVault_RbacOnly_SoftDeleteAndPurgeProtection()
    {
        JsonNode properties = Deployment.Single("Microsoft.KeyVault/vaults")["properties"]!;
        Assert.True(properties["enableRbacAuthorization"]!.GetValue<bool>());
        Assert.Null(properties["accessPolicies"]);
        Assert.True(properties["enableSoftDelete"]!.GetValue<bool>());
        Assert.True(properties["enablePurgeProtection"]!.GetValue<bool>());
        Assert.Equal(Bicep.TenantId, properties["tenantId"]!.GetValue<string>());
    }

    [Fact]
    public void ApplicationInsights_LocalAuthDisabled_WorkspaceBased()
    {
        JsonObject insights = Deployment.Single("Microsoft.Insights/components");
        Assert.True(insights["properties"]!["DisableLocalAuth"]!.GetValue<bool>());
        Assert.Equal(Deployment.Id(Deployment.Single("Microsoft.OperationalInsights/workspaces")), Deployment.Text(insights, "properties.WorkspaceResourceId"));
    }

    [Fact]
    public void Identity_HoldsExactlyTheDataRolesTheAppNeeds_NamedGuidOfScopePrincipalRole()
    {
        var principal = Deployment.RuntimeReference(Deployment.IdentityId, "principalId");
        var assignments = Deployment.RoleAssignments().Where(a => principal.IsMatch(a.Principal)).ToList();

        var expected = Expectations.IdentityRoles
            .Select(e => (Deployment.Id(Deployment.Single(e.ScopeType)), Expectations.Roles[e.Role]))
            .Order()
            .ToList();
        Assert.Equal(expected, assignments.Select(a => (a.Scope, a.RoleId)).Order().ToList());

        // The principal id is only known at deployment time, so the name stays an expression: guid(scope, principal, role).
        Assert.All(assignments, a =>
            Assert.Equal($"[guid('{a.Scope}', {a.Principal[1..^1]}, '{a.RoleId}')]", a.Name));
        Assert.All(
            Deployment.OfType("Microsoft.Authorization/roleAssignments").Where(r => principal.IsMatch(Deployment.Text(r, "properties.principalId"))),
            r => Assert.Equal("ServicePrincipal", Deployment.Text(r, "properties.principalType")));
    }

    [Fact]
    public void Deployer_GetsSecretsOfficerOnTheVaultOnly_WithADeterministicName()
    {
        var assignments = Deployment.RoleAssignments().Where(a => a.Principal == Deployment.DeployerPrincipalId).ToList();
        (string scope, _, string roleId, string name) = Assert.Single(assignments);
        Assert.Equal(Deployment.Id(Deployment.Single("Microsoft.KeyVault/vaults")), scope);
        Assert.Equal(Expectations.Roles["Key Vault Secrets Officer"], roleId);
        Assert.Equal(ArmGuid.Of(scope, Deployment.DeployerPrincipalId, roleId), name);
    }

    [Fact]
    public void WithoutDeployerPrincipal_OnlyTheIdentityGetsRoles()
    {
        Deployment minimal = Deployment.Minimal;
        var principal = Deployment.RuntimeReference(minimal.IdentityId, "principalId");
        Assert.All(minimal.RoleAssignments(), a => Assert.Matches(principal, a.Principal));
        Assert.Equal(Expectations.IdentityRoles.Length, minimal.RoleAssignments().Count());
    }

    [Fact]
    public void Plan_IsFlexConsumptionOnLinux()
    {
        JsonObject plan = Deployment.Single("Microsoft.Web/serverfarms");
        Assert.Equal("FC1", Deployment.Text(plan, "sku.name"));
        Assert.Equal("FlexConsumption", Deployment.Text(plan, "sku.tier"));
        Assert.True(plan["properties"]!["reserved"]!.GetValue<bool>());
    }

    [Fact]
    public void FunctionApp_DotnetIsolated10_OnThePlan_WithTheUserAssignedIdentityEverywhere()
    {
        JsonObject site = Deployment.Single("Microsoft.Web/sites");
        string identity = Deployment.IdentityId;
        Assert.Equal("functionapp,linux", Deployment.Text(site, "kind"));
        Assert.Equal(Deployment.Id(Deployment.Single("Microsoft.Web/serverfarms")), Deployment.Text(site, "properties.serverFarmId"));
        Assert.Equal("dotnet-isolated", Deployment.Text(site, "properties.functionAppConfig.runtime.name"));
        Assert.Equal("10.0", Deployment.Text(site, "properties.functionAppConfig.runtime.version"));

        Assert.Equal("UserAssigned", Deployment.Text(site, "identity.type"));
        Assert.Equal(new[] { identity }, site["identity"]!["userAssignedIdentities"]!.AsObject().Select(p => p.Key));
        Assert.Equal(identity, Deployment.Text(site, "properties.keyVaultReferenceIdentity"));
        Assert.Equal("UserAssignedIdentity", Deployment.Text(site, "properties.functionAppConfig.deployment.storage.authentication.type"));
        Assert.Equal(identity, Deployment.Text(site, "properties.functionAppConfig.deployment.storage.authentication.userAssignedIdentityResourceId"));
    }

    [Fact]
    public void Names_ArePrefixPlusTokenFromAbbreviations_AndStableAcrossDeployments()
    {
        // Names depend on subscription, environment and region only: another parameter set, the same resources.
        // (Role assignments and the e-mail action group depend on the principals and addresses given.)
        static List<string> NonRoleResources(Deployment d) => d.Resources.Select(Deployment.Id)
            .Where(id => !id.Contains("Microsoft.Authorization/roleAssignments", StringComparison.Ordinal))
            .Where(id => !id.Contains("Microsoft.Insights/actionGroups", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(NonRoleResources(Deployment), NonRoleResources(Deployment.Minimal));

        var abbreviations = JsonNode.Parse(File.ReadAllText(Path.Combine(Connector.Testing.RepositoryRoot.Path, "infra", "abbreviations.json")))!.AsObject();
        string storage = Deployment.Text(Deployment.Single("Microsoft.Storage/storageAccounts"), "name");
        string token = storage[abbreviations["storageStorageAccounts"]!.GetValue<string>().Length..];
        Assert.Matches("^[a-z0-9]{13}$", token);
        Assert.Equal($"{abbreviations["keyVaultVaults"]}{token}", Deployment.Text(Deployment.Single("Microsoft.KeyVault/vaults"), "name"));
        Assert.Equal($"{abbreviations["webSitesFunctions"]}connector-{token}", Deployment.Text(Deployment.Single("Microsoft.Web/sites"), "name"));
        Assert.Equal($"Connector{token}", Deployment.AppSettings["TASKHUB_NAME"]);
    }

    [Fact]
    public void Outputs_NameTheResourcesAndCarryNoSecret()
    {
        string outputs = Deployment.Outputs.ToJsonString();
        Assert.Equal(Deployment.Text(Deployment.Single("Microsoft.Web/sites"), "name"), Deployment.Outputs["SERVICE_API_NAME"]!.GetValue<string>());
        Assert.Equal(Deployment.Text(Deployment.Single("Microsoft.KeyVault/vaults"), "name"), Deployment.Outputs["AZURE_KEY_VAULT_NAME"]!.GetValue<string>());
        Assert.All(Expectations.SecretMarkers, marker => Assert.DoesNotContain(marker, outputs, StringComparison.OrdinalIgnoreCase));
    }
}
