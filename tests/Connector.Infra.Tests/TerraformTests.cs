using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Connector.Infra.Tests.Tools;

namespace Connector.Infra.Tests;

/// <summary>
/// infra/terraform against the same expectations as the Bicep: every file parses (HCL's parser), and the resources,
/// roles and app settings it declares are the ones infra/main.bicep deploys.
/// </summary>
public sealed partial class TerraformTests
{
    private static readonly Lazy<(CommandResult Result, JsonObject? Parsed)> Parsed = new(() => Terraform.Parse(Terraform.Files));

    private static readonly Lazy<Terraform.Module> LazyModule = new(() => new Terraform.Module(ParsedFiles));

    /// <summary>Bicep resource types of the Terraform expressions that are role assignment scopes.</summary>
    private static readonly Dictionary<string, string> ScopeTypes = new()
    {
        ["${azurerm_storage_account.this.id}"] = "Microsoft.Storage/storageAccounts",
        ["${local.key_vault_id}"] = "Microsoft.KeyVault/vaults",
        ["${azurerm_application_insights.this.id}"] = "Microsoft.Insights/components",
    };

    private static readonly string[] SettingGroups = ["local.connector_settings", "local.connection_settings", "local.platform_settings"];

    private static JsonObject ParsedFiles => Parsed.Value.Parsed ?? throw new InvalidOperationException(Parsed.Value.Result.Transcript);

    private static Terraform.Module Module => LazyModule.Value;

    [Fact]
    public void EveryFile_ParsesAsHcl_AndTheModuleIsSplitByConcern()
    {
        Assert.True(Parsed.Value.Result.ExitCode == 0, Parsed.Value.Result.Transcript);
        var files = ParsedFiles.Select(f => Path.GetRelativePath(Terraform.ModuleDirectory, f.Key).Replace('\\', '/')).ToList();
        Assert.Equal(Terraform.Files.Count, files.Count);
        string[] expected =
        [
            "providers.tf", "variables.tf", "main.storage.tf", "variables.storage.tf", "main.functionapp.tf", "main.keyvault.tf",
            "main.monitoring.tf", "variables.monitoring.tf", "main.network.tf", "variables.network.tf", "main.identity.tf", "outputs.tf",
            "examples/basic/main.tf", "examples/private-network/main.tf",
        ];
        Assert.DoesNotContain(expected, f => !files.Contains(f));
    }

    [Fact]
    public void Providers_AzurermVersion4()
    {
        JsonObject terraform = ParsedFiles[Path.Combine(Terraform.ModuleDirectory, "providers.tf")]!["terraform"]!.AsArray().Single()!.AsObject();
        JsonNode providers = terraform["required_providers"]!.AsArray().Single()!;
        Assert.Equal("hashicorp/azurerm", providers["azurerm"]!["source"]!.GetValue<string>());
        Assert.StartsWith("~> 4.", providers["azurerm"]!["version"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_NeverReadsStorageKeysOrConnectionStrings()
    {
        string all = string.Concat(Terraform.Files.Select(File.ReadAllText));
        foreach (string attribute in new[] { "primary_access_key", "secondary_access_key", "primary_connection_string", "azurerm_storage_account_sas", "azurerm_storage_account_blob_container_sas", "storage_access_key" })
        {
            Assert.DoesNotContain(attribute, all, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void StorageAccount_SharedKeysOff_Tls12_NoPublicBlobs()
    {
        JsonObject storage = Module.Single("azurerm_storage_account");
        Assert.False(storage["shared_access_key_enabled"]!.GetValue<bool>());
        Assert.True(storage["default_to_oauth_authentication"]!.GetValue<bool>());
        Assert.Equal("TLS1_2", storage["min_tls_version"]!.GetValue<string>());
        Assert.False(storage["allow_nested_items_to_be_public"]!.GetValue<bool>());
    }

    [Fact]
    public void KeyVault_RbacOnly_AndApplicationInsights_LocalAuthOff()
    {
        JsonObject vault = Module.Single("azurerm_key_vault");
        Assert.Equal("${local.use_existing_vault ? 0 : 1}", vault["count"]!.GetValue<string>());
        Assert.True(vault["rbac_authorization_enabled"]!.GetValue<bool>());
        Assert.Null(vault["access_policy"]);
        Assert.True(Module.Single("azurerm_application_insights")["local_authentication_disabled"]!.GetValue<bool>());
    }

    [Fact]
    public void IdentityRoles_AreTheOnesTheBicepAssigns()
    {
        var terraform = RoleAssignments()
            .Where(a => a.Principal == "${azurerm_user_assigned_identity.this.principal_id}")
            .Select(a => (a.ScopeType, RoleId: Expectations.Roles[a.Role]))
            .Order()
            .ToList();

        Deployment bicep = Deployment.Full;
        var principal = Deployment.RuntimeReference(bicep.IdentityId, "principalId");
        var types = bicep.Resources.ToDictionary(Deployment.Id, r => r["type"]!.GetValue<string>());
        var expected = bicep.RoleAssignments()
            .Where(a => principal.IsMatch(a.Principal))
            .Select(a => (ScopeType: types[a.Scope], a.RoleId))
            .Order()
            .ToList();

        Assert.Equal(expected, terraform);
    }

    [Fact]
    public void Deployer_GetsSecretsOfficerOnTheVault_OnlyWhenGiven()
    {
        var deployer = RoleAssignments().Where(a => a.Principal == "${var.principal_id}").ToList();
        (string scopeType, string role, _, JsonObject resource) = Assert.Single(deployer);
        Assert.Equal("Microsoft.KeyVault/vaults", scopeType);
        Assert.Equal("Key Vault Secrets Officer", role);
        Assert.Matches(@"^\$\{var\.principal_id == """" \? 0 : 1\}$", resource["count"]!.GetValue<string>());
    }

    [Fact]
    public void AppSettingNames_AreTheOnesTheBicepEmits()
    {
        // Connection keys are compared as templates: Connector__Connections__${i}__..., fingerprints __${j}, column
        // overrides __${header}.
        // The sample's additional settings are the template's input, not its own settings.
        var bicep = Deployment.Full.AppSettings.Keys
            .Where(k => k != "Logging__LogLevel__Connector")
            .Select(k => ColumnHeader().Replace(PinnedIndex().Replace(ConnectionIndex().Replace(k, "${1}${i}__"), "${1}${j}"), "${1}${header}"))
            .ToHashSet();
        var terraform = Module.Locals["connector_settings"]!.AsObject().Select(p => p.Key)
            .Concat(Module.Locals["platform_settings"]!.AsObject().Select(p => p.Key))
            .Concat(ConnectionKeyTemplate().Matches(Module.Locals["connection_settings"]!.GetValue<string>()).Select(m => m.Groups[1].Value))
            .ToHashSet();

        Assert.Empty(bicep.Except(terraform));
        Assert.Empty(terraform.Except(bicep));
    }

    [Fact]
    public void AppSettings_AreAllAppliedToTheFunctionApp()
    {
        string merged = Module.Locals["app_settings"]!.GetValue<string>();
        Assert.All(SettingGroups, part => Assert.Contains(part, merged, StringComparison.Ordinal));

        JsonObject settings = Module.Resources["azapi_resource.app_settings"];
        Assert.StartsWith("Microsoft.Web/sites/config@", settings["type"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("appsettings", settings["name"]!.GetValue<string>());
        Assert.Equal("${azapi_resource.function_app.id}", settings["parent_id"]!.GetValue<string>());
        Assert.Equal("${local.app_settings}", settings["body"]!["properties"]!.GetValue<string>());
        Assert.Equal("managedidentity", Module.Locals["platform_settings"]!["AzureWebJobsStorage__credential"]!.GetValue<string>());
        Assert.Equal("KeyVault", Module.Locals["connector_settings"]!["Credentials__Store"]!.GetValue<string>());
    }

    [Fact]
    public void FunctionApp_FlexConsumption_DotnetIsolated10_UserAssignedIdentityEverywhere()
    {
        JsonObject plan = Module.Single("azurerm_service_plan");
        Assert.Equal("FC1", plan["sku_name"]!.GetValue<string>());
        Assert.Equal("Linux", plan["os_type"]!.GetValue<string>());

        JsonObject app = Module.Resources["azapi_resource.function_app"];
        const string identity = "${azurerm_user_assigned_identity.this.id}";
        Assert.StartsWith("Microsoft.Web/sites@", app["type"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("UserAssigned", app["identity"]!.AsArray().Single()!["type"]!.GetValue<string>());
        JsonNode body = app["body"]!;
        Assert.Equal("functionapp,linux", body["kind"]!.GetValue<string>());
        JsonNode properties = body["properties"]!;
        Assert.Equal("${azurerm_service_plan.this.id}", properties["serverFarmId"]!.GetValue<string>());
        Assert.Equal(identity, properties["keyVaultReferenceIdentity"]!.GetValue<string>());
        Assert.True(properties["httpsOnly"]!.GetValue<bool>());
        JsonNode config = properties["functionAppConfig"]!;
        Assert.Equal("dotnet-isolated", config["runtime"]!["name"]!.GetValue<string>());
        Assert.Equal("${var.functions_runtime_version}", config["runtime"]!["version"]!.GetValue<string>());
        Assert.Equal("10.0", Module.Variables["functions_runtime_version"]["default"]!.GetValue<string>());
        Assert.Equal("UserAssignedIdentity", config["deployment"]!["storage"]!["authentication"]!["type"]!.GetValue<string>());
        Assert.Equal(identity, config["deployment"]!["storage"]!["authentication"]!["userAssignedIdentityResourceId"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("basic")]
    [InlineData("private-network")]
    public void Example_CallsTheModuleWithOneConnection_AndOnlyDeclaredVariables(string example)
    {
        JsonObject call = ParsedFiles[Path.Combine(Terraform.ModuleDirectory, "examples", example, "main.tf")]!["module"]!["connector"]!.AsArray().Single()!.AsObject();
        Assert.Equal("../..", call["source"]!.GetValue<string>());
        var arguments = call.Select(p => p.Key).Where(k => k is not ("source" or "version" or "providers" or "depends_on")).ToList();
        Assert.DoesNotContain(arguments, a => !Module.Variables.ContainsKey(a));
        Assert.DoesNotContain(Module.Variables.Where(v => !v.Value.ContainsKey("default")).Select(v => v.Key), v => !arguments.Contains(v));

        JsonObject connection = Assert.Single(call["connections"]!.AsArray())!.AsObject();
        Assert.Matches("^[a-z0-9][a-z0-9-]{0,39}$", connection["id"]!.GetValue<string>());
        Assert.EndsWith("-apikey", connection["sage"]!["api_key_secret_name"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    /// <summary>Every azurerm_role_assignment, one entry per role it assigns (for_each over a local list included).</summary>
    private static IEnumerable<(string ScopeType, string Role, string Principal, JsonObject Resource)> RoleAssignments()
    {
        foreach ((_, JsonObject resource) in Module.OfType("azurerm_role_assignment"))
        {
            string scope = resource["scope"]!.GetValue<string>();
            Assert.True(ScopeTypes.ContainsKey(scope), resource.ToJsonString());
            string principal = resource["principal_id"]!.GetValue<string>();
            string role = resource["role_definition_name"]!.GetValue<string>();
            IEnumerable<string> roles = role switch
            {
                // for_each over a list of role names
                "${each.value}" => Module.Locals[ForEachLocal().Match(resource["for_each"]!.GetValue<string>()).Groups[1].Value]!.AsArray().Select(r => r!.GetValue<string>()),
                // for_each over operator × role pairs: the roles are local.operator_roles
                "${each.value.role}" => Module.Locals["operator_roles"]!.AsArray().Select(r => r!.GetValue<string>()),
                _ => [role],
            };
            foreach (string name in roles)
            {
                yield return (ScopeTypes[scope], name, principal, resource);
            }
        }
    }

    [GeneratedRegex(@"^\$\{toset\(local\.([a-z_]+)\)\}$")]
    private static partial Regex ForEachLocal();

    [GeneratedRegex(@"^(Connector__Connections__)\d+__")]
    private static partial Regex ConnectionIndex();

    [GeneratedRegex(@"(__PinnedFingerprints__)\d+$")]
    private static partial Regex PinnedIndex();

    [GeneratedRegex(@"(__Actuals__Columns__[A-Za-z]+__)[A-Za-z0-9_.]+$")]
    private static partial Regex ColumnHeader();

    [GeneratedRegex(@"""(Connector__Connections__\$\{i\}__[A-Za-z0-9]+(?:__[A-Za-z0-9]+)*(?:__\$\{j\}|__\$\{header\})?)""")]
    private static partial Regex ConnectionKeyTemplate();
}
