# The network (infra/core/network.bicep and infra/core/private-endpoints.bicep): with vnet_enabled, the Function App is
# integrated into a subnet (a new one behind a NAT gateway with a static public IP, or the customer's), and storage and
# Key Vault are reached through private endpoints whose DNS zones are linked to the virtual network.

locals {
  new_network = var.vnet_enabled && var.existing_app_subnet_id == ""
  nat_enabled = local.new_network && var.nat_gateway_enabled
  # /subscriptions/<s>/resourceGroups/<g>/providers/Microsoft.Network/virtualNetworks/<v>/subnets/<n> → the VNet's id.
  existing_vnet_id = var.existing_app_subnet_id == "" ? "" : join("/", slice(split("/", var.existing_app_subnet_id), 0, 9))

  app_subnet_id              = !var.vnet_enabled ? "" : (local.new_network ? azurerm_subnet.app[0].id : var.existing_app_subnet_id)
  private_endpoint_subnet_id = !var.vnet_enabled ? "" : (local.new_network ? azurerm_subnet.private_endpoints[0].id : var.existing_private_endpoint_subnet_id)
  vnet_id                    = !var.vnet_enabled ? "" : (local.new_network ? azurerm_virtual_network.this[0].id : local.existing_vnet_id)

  # Storage (blob, queue, table) always; the vault only when it is the connector's own (a customer's vault keeps its
  # own network setup).
  private_endpoint_targets = !var.vnet_enabled ? {} : merge(
    {
      for service in ["blob", "queue", "table"] : service => {
        resource_id = azurerm_storage_account.this.id
        group_id    = service
        zone        = "privatelink.${service}.core.windows.net"
      }
    },
    local.use_existing_vault ? {} : {
      vault = {
        resource_id = azurerm_key_vault.this[0].id
        group_id    = "vault"
        zone        = "privatelink.vaultcore.azure.net"
      }
    }
  )
}

resource "azurerm_public_ip" "nat" {
  count = local.nat_enabled ? 1 : 0

  name                = local.names.public_ip
  location            = var.location
  resource_group_name = azurerm_resource_group.this.name
  allocation_method   = "Static"
  sku                 = "Standard"
  ip_version          = "IPv4"
  tags                = local.tags
}

resource "azurerm_nat_gateway" "this" {
  count = local.nat_enabled ? 1 : 0

  name                    = local.names.nat_gateway
  location                = var.location
  resource_group_name     = azurerm_resource_group.this.name
  sku_name                = "Standard"
  idle_timeout_in_minutes = 4
  tags                    = local.tags
}

resource "azurerm_nat_gateway_public_ip_association" "this" {
  count = local.nat_enabled ? 1 : 0

  nat_gateway_id       = azurerm_nat_gateway.this[0].id
  public_ip_address_id = azurerm_public_ip.nat[0].id
}

resource "azurerm_virtual_network" "this" {
  count = local.new_network ? 1 : 0

  name                = local.names.vnet
  location            = var.location
  resource_group_name = azurerm_resource_group.this.name
  address_space       = [var.vnet_address_prefix]
  tags                = local.tags
}

resource "azurerm_subnet" "app" {
  count = local.new_network ? 1 : 0

  name                            = "app"
  resource_group_name             = azurerm_resource_group.this.name
  virtual_network_name            = azurerm_virtual_network.this[0].name
  address_prefixes                = [var.app_subnet_prefix]
  default_outbound_access_enabled = false

  # Flex Consumption integrates through a subnet delegated to Microsoft.App/environments.
  delegation {
    name = "flex-consumption"
    service_delegation {
      name    = "Microsoft.App/environments"
      actions = ["Microsoft.Network/virtualNetworks/subnets/join/action"]
    }
  }
}

resource "azurerm_subnet" "private_endpoints" {
  count = local.new_network ? 1 : 0

  name                              = "private-endpoints"
  resource_group_name               = azurerm_resource_group.this.name
  virtual_network_name              = azurerm_virtual_network.this[0].name
  address_prefixes                  = [var.private_endpoint_subnet_prefix]
  private_endpoint_network_policies = "Disabled"
  default_outbound_access_enabled   = false
}

resource "azurerm_subnet_nat_gateway_association" "app" {
  count = local.nat_enabled ? 1 : 0

  subnet_id      = azurerm_subnet.app[0].id
  nat_gateway_id = azurerm_nat_gateway.this[0].id
}

resource "azurerm_private_dns_zone" "this" {
  for_each = var.create_private_dns_zones ? local.private_endpoint_targets : {}

  name                = each.value.zone
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags
}

resource "azurerm_private_dns_zone_virtual_network_link" "this" {
  for_each = var.create_private_dns_zones ? local.private_endpoint_targets : {}

  name                  = "connector-${substr(sha1(local.vnet_id), 0, 13)}"
  resource_group_name   = azurerm_resource_group.this.name
  private_dns_zone_name = azurerm_private_dns_zone.this[each.key].name
  virtual_network_id    = local.vnet_id
  registration_enabled  = false
  tags                  = local.tags
}

resource "azurerm_private_endpoint" "this" {
  for_each = local.private_endpoint_targets

  name                = "${local.names.private_endpoint_prefix}${each.key}-${local.resource_token}"
  location            = var.location
  resource_group_name = azurerm_resource_group.this.name
  subnet_id           = local.private_endpoint_subnet_id
  tags                = local.tags

  private_service_connection {
    name                           = each.key
    private_connection_resource_id = each.value.resource_id
    subresource_names              = [each.value.group_id]
    is_manual_connection           = false
  }

  dynamic "private_dns_zone_group" {
    for_each = var.create_private_dns_zones ? [each.key] : []
    content {
      name                 = "default"
      private_dns_zone_ids = [azurerm_private_dns_zone.this[private_dns_zone_group.value].id]
    }
  }
}
