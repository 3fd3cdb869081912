using System.Text.Json.Nodes;
using Connector.Infra.Tests.Tools;

namespace Connector.Infra.Tests;

/// <summary>
/// The network switch, read from the snapshots: without it, public endpoints and nothing else; with it, the app in a
/// delegated subnet, all its outbound traffic through a NAT gateway's static IP (the address the agent's firewall
/// admits), and storage and Key Vault behind private endpoints with public access off; or, in the customer's landing
/// zone, their subnets, vault and DNS.
/// </summary>
public sealed class BicepNetworkTests
{
    private static readonly string[] NetworkTypes =
    [
        "Microsoft.Network/virtualNetworks", "Microsoft.Network/natGateways", "Microsoft.Network/publicIPAddresses",
        "Microsoft.Network/privateEndpoints", "Microsoft.Network/privateDnsZones",
    ];

    [Fact]
    public void VnetOff_NoNetworkResources_PublicEndpoints_NoOutboundAddress()
    {
        Deployment full = Deployment.Full;
        Assert.DoesNotContain(full.Resources, r => NetworkTypes.Contains(Type(r)));
        Assert.Equal("(missing)", Deployment.Text(full.Single("Microsoft.Web/sites"), "properties.virtualNetworkSubnetId"));
        Assert.Equal("Enabled", Deployment.Text(full.Single("Microsoft.Storage/storageAccounts"), "properties.publicNetworkAccess"));
        Assert.Equal("Enabled", Deployment.Text(full.Single("Microsoft.KeyVault/vaults"), "properties.publicNetworkAccess"));
        Assert.Equal(string.Empty, full.Outputs["OUTBOUND_PUBLIC_IP"]!.GetValue<string>());
    }

    [Fact]
    public void VnetOn_TheAppIsInADelegatedSubnet_AndSendsEverythingThroughIt()
    {
        Deployment network = Deployment.Network;
        JsonObject site = network.Single("Microsoft.Web/sites");
        JsonObject app = Subnet(network, "app");
        Assert.Equal($"{Deployment.Id(network.Single("Microsoft.Network/virtualNetworks"))}/subnets/app", Deployment.Text(site, "properties.virtualNetworkSubnetId"));
        Assert.Equal("true", Deployment.Text(site, "properties.outboundVnetRouting.allTraffic"));
        Assert.Equal("Microsoft.App/environments", Deployment.Text(app["properties"]!["delegations"]![0], "properties.serviceName"));
    }

    [Fact]
    public void VnetOn_OutboundLeavesFromOneStaticIp_WhichIsAnOutput()
    {
        Deployment network = Deployment.Network;
        JsonObject nat = network.Single("Microsoft.Network/natGateways");
        JsonObject ip = network.Single("Microsoft.Network/publicIPAddresses");
        Assert.Equal(Deployment.Id(nat), Deployment.Text(Subnet(network, "app"), "properties.natGateway.id"));
        Assert.Equal(Deployment.Id(ip), Deployment.Text(nat["properties"]!["publicIpAddresses"]!.AsArray().Single(), "id"));
        Assert.Equal("Static", Deployment.Text(ip, "properties.publicIPAllocationMethod"));
        Assert.Equal("Standard", Deployment.Text(ip, "sku.name"));

        // No other way out: the subnet has no default outbound access.
        Assert.Equal("false", Deployment.Text(Subnet(network, "app"), "properties.defaultOutboundAccess"));
        Assert.Matches(Deployment.RuntimeReference(Deployment.Id(ip), "ipAddress"), network.Outputs["OUTBOUND_PUBLIC_IP"]!.GetValue<string>());
    }

    [Fact]
    public void VnetOn_StorageAndKeyVault_RefusePublicTraffic()
    {
        Deployment network = Deployment.Network;
        foreach (string type in new[] { "Microsoft.Storage/storageAccounts", "Microsoft.KeyVault/vaults" })
        {
            JsonObject resource = network.Single(type);
            Assert.Equal("Disabled", Deployment.Text(resource, "properties.publicNetworkAccess"));
            Assert.Equal("Deny", Deployment.Text(resource, "properties.networkAcls.defaultAction"));
            Assert.Equal("None", Deployment.Text(resource, "properties.networkAcls.bypass"));
        }
    }

    [Fact]
    public void VnetOn_PrivateEndpointsForBlobQueueTableAndVault_InTheirSubnet_WithDnsZonesLinkedToTheVnet()
    {
        Deployment network = Deployment.Network;
        string storage = Deployment.Id(network.Single("Microsoft.Storage/storageAccounts"));
        string vault = Deployment.Id(network.Single("Microsoft.KeyVault/vaults"));
        string vnet = Deployment.Id(network.Single("Microsoft.Network/virtualNetworks"));

        var endpoints = Endpoints(network);
        Assert.Equal(
            [("blob", storage), ("queue", storage), ("table", storage), ("vault", vault)],
            endpoints.Select(e => (e.Group, e.Target)).Order());
        Assert.All(endpoints, e => Assert.Equal($"{vnet}/subnets/private-endpoints", e.Subnet));

        // Each endpoint registers in the zone of its service, and every zone resolves in the VNet.
        var zones = network.OfType("Microsoft.Network/privateDnsZones").Select(Deployment.Id).ToList();
        Assert.Equal(4, zones.Count);
        foreach (JsonObject group in network.OfType("Microsoft.Network/privateEndpoints/privateDnsZoneGroups"))
        {
            string endpoint = Deployment.Id(group).Split("/privateDnsZoneGroups/")[0];
            string service = endpoints.Single(e => e.Id == endpoint).Group;
            string zone = Deployment.Text(group["properties"]!["privateDnsZoneConfigs"]![0], "properties.privateDnsZoneId");
            Assert.Contains(zone, zones);
            Assert.Contains(service == "vault" ? "'.vault.', '.vaultcore.'" : $"'{service}'", zone, StringComparison.Ordinal);
        }

        var links = network.OfType("Microsoft.Network/privateDnsZones/virtualNetworkLinks").ToList();
        Assert.Equal(4, links.Count);
        Assert.All(links, l => Assert.Equal(vnet, Deployment.Text(l, "properties.virtualNetwork.id")));
        Assert.All(links, l => Assert.Equal("false", Deployment.Text(l, "properties.registrationEnabled")));
    }

    [Fact]
    public void VnetOn_TheAppStartsOnlyOnceItsPrivatePathsExist()
    {
        // The host reaches storage from its first start: the site must come after the endpoints and DNS zone groups.
        var compiled = Bicep.MainCompiled.Template!;
        string dependencies = compiled["resources"]!["api"]!["dependsOn"]!.ToJsonString();
        Assert.Contains("privateEndpoints", dependencies, StringComparison.Ordinal);
        Assert.Contains("keyVaultAccess", dependencies, StringComparison.Ordinal);
        Assert.Contains("rbac", dependencies, StringComparison.Ordinal);
    }

    [Fact]
    public void LandingZone_UsesTheCustomersSubnetsVaultAndWorkspace_AndCreatesNoneOfThem()
    {
        Deployment landing = Deployment.LandingZone;
        Assert.DoesNotContain(landing.Resources, r => Type(r) is "Microsoft.Network/virtualNetworks" or "Microsoft.Network/natGateways"
            or "Microsoft.Network/publicIPAddresses" or "Microsoft.Network/privateDnsZones" or "Microsoft.KeyVault/vaults"
            or "Microsoft.OperationalInsights/workspaces");

        const string spoke = "/subscriptions/00000000-0000-0000-0000-0000000000cc/resourceGroups/rg-hub-network/providers/Microsoft.Network/virtualNetworks/vnet-spoke-finance";
        const string vault = "/subscriptions/00000000-0000-0000-0000-0000000000cc/resourceGroups/rg-finance-secrets/providers/Microsoft.KeyVault/vaults/kv-finance-shared";
        const string workspace = "/subscriptions/00000000-0000-0000-0000-0000000000cc/resourceGroups/rg-ops/providers/Microsoft.OperationalInsights/workspaces/log-central";
        Assert.Equal($"{spoke}/subnets/snet-connector-app", Deployment.Text(landing.Single("Microsoft.Web/sites"), "properties.virtualNetworkSubnetId"));

        // Storage endpoints in their subnet, registered by their DNS policy (no zone groups); their vault keeps its setup.
        var endpoints = Endpoints(landing);
        Assert.Equal(["blob", "queue", "table"], endpoints.Select(e => e.Group).Order());
        Assert.All(endpoints, e => Assert.Equal($"{spoke}/subnets/snet-private-endpoints", e.Subnet));
        Assert.Empty(landing.OfType("Microsoft.Network/privateEndpoints/privateDnsZoneGroups"));

        // Their vault: the app reads it, the deployer writes it, its audit log goes to their workspace.
        const string vaultUri = "[format('https://{0}{1}/', 'kv-finance-shared', environment().suffixes.keyvaultDns)]";
        Assert.Equal(vaultUri, landing.Outputs["AZURE_KEY_VAULT_URI"]!.GetValue<string>());
        Assert.Equal(vaultUri, landing.AppSettings["Credentials__KeyVaultUri"]);
        Assert.Equal(2, landing.RoleAssignments().Count(a => a.Scope == vault));
        JsonObject audit = landing.OfType("Microsoft.Insights/diagnosticSettings").Single(d => Deployment.Id(d).StartsWith(vault + "/", StringComparison.Ordinal));
        Assert.Equal(workspace, Deployment.Text(audit, "properties.workspaceId"));
        Assert.Equal(workspace, Deployment.Text(landing.Single("Microsoft.Insights/components"), "properties.WorkspaceResourceId"));
        Assert.Equal(string.Empty, landing.Outputs["OUTBOUND_PUBLIC_IP"]!.GetValue<string>());
    }

    [Fact]
    public void LandingZone_OperatorRanges_StillReachStorage_EverythingElseIsDenied()
    {
        JsonObject storage = Deployment.LandingZone.Single("Microsoft.Storage/storageAccounts");
        Assert.Equal("Enabled", Deployment.Text(storage, "properties.publicNetworkAccess"));
        Assert.Equal("Deny", Deployment.Text(storage, "properties.networkAcls.defaultAction"));
        Assert.Equal("203.0.113.0/28", Deployment.Text(storage["properties"]!["networkAcls"]!["ipRules"]![0], "value"));
    }

    [Fact]
    public void LandingZone_NamesCarryThePrefix()
    {
        Deployment landing = Deployment.LandingZone;
        // Top-level resources of the connector's group (role assignments and diagnostic settings are named otherwise).
        var named = landing.Resources
            .Where(r => Deployment.Id(r).Contains("/resourceGroups/ctso-rg-infratest", StringComparison.Ordinal) && Type(r).Split('/').Length == 2)
            .Where(r => Type(r) is not ("Microsoft.Authorization/roleAssignments" or "Microsoft.Insights/diagnosticSettings"))
            .ToList();
        Assert.Contains(named, r => Type(r) == "Microsoft.Web/sites");
        Assert.All(named, r => Assert.StartsWith(Type(r) == "Microsoft.Storage/storageAccounts" ? "ctsost" : "ctso-", Deployment.Text(r, "name"), StringComparison.Ordinal));
        Assert.StartsWith("ctso-", landing.Outputs["AZURE_RESOURCE_GROUP"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static string Type(JsonObject resource) => resource["type"]!.GetValue<string>();

    private static JsonObject Subnet(Deployment deployment, string name)
        => deployment.Single("Microsoft.Network/virtualNetworks")["properties"]!["subnets"]!.AsArray()
            .Single(s => s!["name"]!.GetValue<string>() == name)!.AsObject();

    private static List<(string Id, string Group, string Target, string Subnet)> Endpoints(Deployment deployment)
        => deployment.OfType("Microsoft.Network/privateEndpoints").Select(e =>
        {
            JsonNode connection = e["properties"]!["privateLinkServiceConnections"]!.AsArray().Single()!;
            return (
                Deployment.Id(e),
                connection["properties"]!["groupIds"]!.AsArray().Single()!.GetValue<string>(),
                Deployment.Text(connection, "properties.privateLinkServiceId"),
                Deployment.Text(e, "properties.subnet.id"));
        }).ToList();
}
