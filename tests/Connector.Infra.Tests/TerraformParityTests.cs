using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Connector.Infra.Tests.Tools;

namespace Connector.Infra.Tests;

/// <summary>
/// infra/terraform against infra/main.bicep for everything issue 13 added: the same inputs, the same kinds of
/// resources, the same network, diagnostics, alerts and operator roles.
/// </summary>
public sealed partial class TerraformParityTests
{
    /// <summary>Terraform variable names that are not the snake_case of the Bicep parameter.</summary>
    private static readonly Dictionary<string, string> Renamed = new()
    {
        ["storageSkuName"] = "storage_replication_type",
        ["selfTestSchedule"] = "selftest_schedule",
        ["selfTestWorkspaceId"] = "selftest_workspace_id",
        ["selfTestModelId"] = "selftest_model_id",
        ["instanceMemoryMB"] = "instance_memory_mb",
    };

    /// <summary>The Terraform resource type of each Bicep resource type; null where Terraform has it inline.</summary>
    private static readonly Dictionary<string, string?> ResourceTypes = new()
    {
        ["Microsoft.Resources/resourceGroups"] = "azurerm_resource_group",
        ["Microsoft.ManagedIdentity/userAssignedIdentities"] = "azurerm_user_assigned_identity",
        ["Microsoft.Storage/storageAccounts"] = "azurerm_storage_account",
        ["Microsoft.Storage/storageAccounts/blobServices"] = null, // blob_properties of azurerm_storage_account
        ["Microsoft.Storage/storageAccounts/blobServices/containers"] = "azurerm_storage_container",
        ["Microsoft.Storage/storageAccounts/managementPolicies"] = "azurerm_storage_management_policy",
        ["Microsoft.OperationalInsights/workspaces"] = "azurerm_log_analytics_workspace",
        ["Microsoft.Insights/components"] = "azurerm_application_insights",
        ["Microsoft.KeyVault/vaults"] = "azurerm_key_vault",
        ["Microsoft.Authorization/roleAssignments"] = "azurerm_role_assignment",
        ["Microsoft.Insights/diagnosticSettings"] = "azurerm_monitor_diagnostic_setting",
        ["Microsoft.Insights/actionGroups"] = "azurerm_monitor_action_group",
        ["Microsoft.Insights/scheduledQueryRules"] = "azurerm_monitor_scheduled_query_rules_alert_v2",
        ["Microsoft.Network/publicIPAddresses"] = "azurerm_public_ip",
        ["Microsoft.Network/natGateways"] = "azurerm_nat_gateway",
        ["Microsoft.Network/virtualNetworks"] = "azurerm_virtual_network",
        ["Microsoft.Network/privateDnsZones"] = "azurerm_private_dns_zone",
        ["Microsoft.Network/privateDnsZones/virtualNetworkLinks"] = "azurerm_private_dns_zone_virtual_network_link",
        ["Microsoft.Network/privateEndpoints"] = "azurerm_private_endpoint",
        ["Microsoft.Network/privateEndpoints/privateDnsZoneGroups"] = null, // private_dns_zone_group of azurerm_private_endpoint
        ["Microsoft.Web/serverfarms"] = "azurerm_service_plan",
        ["Microsoft.Web/sites"] = "azapi_resource",
        ["Microsoft.Web/sites/config"] = "azapi_resource",
    };

    private static readonly Lazy<Terraform.Module> LazyModule = new(() =>
    {
        (CommandResult result, JsonObject? parsed) = Terraform.Parse(Terraform.Files);
        return new Terraform.Module(parsed ?? throw new InvalidOperationException(result.Transcript));
    });

    private static Terraform.Module Module => LazyModule.Value;

    [Fact]
    public void Variables_AreTheBicepParameters()
    {
        var parameters = Bicep.MainCompiled.Template!["parameters"]!.AsObject().Select(p => p.Key)
            .Select(name => Renamed.TryGetValue(name, out string? renamed) ? renamed : SnakeCase(name))
            .ToHashSet();
        var variables = Module.Variables.Keys.ToHashSet();
        Assert.Empty(parameters.Except(variables));
        Assert.Empty(variables.Except(parameters));
    }

    [Fact]
    public void EveryKindOfResourceTheBicepDeploys_IsInTheTerraform()
    {
        var bicepTypes = new[] { Deployment.Full, Deployment.Network, Deployment.LandingZone }
            .SelectMany(d => d.Resources).Select(r => r["type"]!.GetValue<string>()).ToHashSet();
        foreach (string type in bicepTypes)
        {
            Assert.True(ResourceTypes.TryGetValue(type, out string? terraform), $"{type} has no Terraform counterpart in this test's map");
            if (terraform is not null)
            {
                Assert.True(Module.OfType(terraform).Any(), $"{type}: infra/terraform has no {terraform}");
            }
        }
    }

    [Fact]
    public void Network_SameSwitch_SameSubnets_SameNat_SamePrivateEndpoints()
    {
        JsonObject app = Module.Resources["azurerm_subnet.app"];
        Assert.Equal("Microsoft.App/environments", app["delegation"]![0]!["service_delegation"]![0]!["name"]!.GetValue<string>());
        Assert.False(app["default_outbound_access_enabled"]!.GetValue<bool>());
        Assert.Equal("${azurerm_subnet.app[0].id}", Module.Resources["azurerm_subnet_nat_gateway_association.app"]["subnet_id"]!.GetValue<string>());
        Assert.Equal("Static", Module.Single("azurerm_public_ip")["allocation_method"]!.GetValue<string>());
        Assert.Equal("Standard", Module.Single("azurerm_public_ip")["sku"]!.GetValue<string>());

        // The same endpoints as the Bicep's vnet-on snapshot: blob, queue, table and vault.
        string targets = Module.Locals["private_endpoint_targets"]!.GetValue<string>();
        var bicepGroups = Deployment.Network.OfType("Microsoft.Network/privateEndpoints")
            .Select(e => e["properties"]!["privateLinkServiceConnections"]![0]!["properties"]!["groupIds"]![0]!.GetValue<string>());
        Assert.All(bicepGroups, group => Assert.Contains($"\"{group}\"", targets, StringComparison.Ordinal));

        // The app in the subnet, everything routed through it.
        JsonNode properties = Module.Resources["azapi_resource.function_app"]["body"]!["properties"]!;
        Assert.Equal("${var.vnet_enabled ? local.app_subnet_id : null}", properties["virtualNetworkSubnetId"]!.GetValue<string>());
        Assert.Contains("allTraffic = true", properties["outboundVnetRouting"]!.GetValue<string>(), StringComparison.Ordinal);

        // Storage and the vault refuse public traffic unless operator ranges are given.
        foreach (JsonObject resource in new[] { Module.Single("azurerm_storage_account"), Module.Single("azurerm_key_vault") })
        {
            Assert.Equal("${!var.vnet_enabled || length(var.operator_ip_rules) > 0}", resource["public_network_access_enabled"]!.GetValue<string>());
        }
    }

    [Fact]
    public void Alerts_SameQueriesFiles_SameSeverities_SameDimensions()
    {
        JsonObject rules = Module.Locals["alert_rules"]!.AsObject();
        var bicep = Deployment.Full.OfType("Microsoft.Insights/scheduledQueryRules")
            .ToDictionary(r => Regex.Match(Deployment.Text(r, "name"), "alert-connector-(.+)-[a-z0-9]{13}$").Groups[1].Value, r => r);
        Assert.Equal(bicep.Keys.Order(StringComparer.Ordinal), rules.Select(r => r.Key).Order(StringComparer.Ordinal));
        foreach ((string name, JsonNode? rule) in rules)
        {
            Assert.Equal($"${{file(\"${{path.module}}/../alerts/{name}.kql\")}}", rule!["query"]!.GetValue<string>());
            Assert.Equal(Deployment.Text(bicep[name], "properties.severity"), rule["severity"]!.ToJsonString());
        }

        JsonObject alert = Module.Single("azurerm_monitor_scheduled_query_rules_alert_v2");
        Assert.Equal("${azurerm_application_insights.this.id}", alert["scopes"]!.AsArray().Single()!.GetValue<string>());
        Assert.Equal(["ConnectionId", "Flow"], alert["criteria"]![0]!["dimension"]!.AsArray().Select(d => d!["name"]!.GetValue<string>()));
        Assert.False(alert["auto_mitigation_enabled"]!.GetValue<bool>());
    }

    [Fact]
    public void Diagnostics_SameCategories()
    {
        Assert.Equal("FunctionAppLogs", Module.Resources["azurerm_monitor_diagnostic_setting.function_app"]["enabled_log"]![0]!["category"]!.GetValue<string>());
        Assert.Equal("AuditEvent", Module.Resources["azurerm_monitor_diagnostic_setting.key_vault"]["enabled_log"]![0]!["category"]!.GetValue<string>());
        Assert.Equal(["StorageDelete", "StorageWrite"], Module.Locals["storage_log_categories"]!.AsArray().Select(c => c!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Equal(["blob", "queue", "table"], Module.Locals["storage_diagnostic_targets"]!.AsObject().Select(t => t.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Operators_SameRoles()
    {
        var bicep = Deployment.Full.RoleAssignments().Where(a => a.Principal == Deployment.OperatorsGroupId).Select(a => a.RoleId).Order();
        var terraform = Module.Locals["operator_roles"]!.AsArray().Select(r => Expectations.Roles[r!.GetValue<string>()]).Order();
        Assert.Equal(bicep, terraform);
    }

    [Fact]
    public void Outputs_TheOutboundAddressAndTheSecretNames()
    {
        JsonObject outputs = Terraform.Parse([Path.Combine(Terraform.ModuleDirectory, "outputs.tf")]).Parsed!.Single().Value!["output"]!.AsObject();
        Assert.Contains("azurerm_public_ip.nat[0].ip_address", outputs["outbound_public_ip"]![0]!["value"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("api_key_secret_name", outputs["connector_secret_names"]![0]!["value"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    /// <summary>camelCase to snake_case (existingKeyVaultId → existing_key_vault_id).</summary>
    private static string SnakeCase(string name) => UpperCase().Replace(name, m => "_" + m.Value.ToLowerInvariant());

    [GeneratedRegex("[A-Z]")]
    private static partial Regex UpperCase();
}
