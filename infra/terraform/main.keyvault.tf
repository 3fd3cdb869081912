# Key Vault for the third-party secrets (Sage agent API keys, Anaplan passwords, certificates, private keys), RBAC
# permission model only: a new one, or the customer's (existing_key_vault_id, any resource group of the tenant). The app
# reads secrets by name (Credentials__Store=KeyVault); operators write them with `az keyvault secret set`. No secret
# value is ever a Terraform variable or output. Every access is audited to Log Analytics (AuditEvent).

locals {
  use_existing_vault = var.existing_key_vault_id != ""
  key_vault_id       = local.use_existing_vault ? var.existing_key_vault_id : azurerm_key_vault.this[0].id
  key_vault_name     = local.use_existing_vault ? element(split("/", var.existing_key_vault_id), 8) : azurerm_key_vault.this[0].name
  key_vault_uri      = local.use_existing_vault ? "https://${local.key_vault_name}.vault.azure.net/" : azurerm_key_vault.this[0].vault_uri
}

resource "azurerm_key_vault" "this" {
  count = local.use_existing_vault ? 0 : 1

  name                            = local.names.key_vault
  location                        = var.location
  resource_group_name             = azurerm_resource_group.this.name
  tenant_id                       = data.azurerm_client_config.current.tenant_id
  sku_name                        = "standard"
  rbac_authorization_enabled      = true
  soft_delete_retention_days      = 90
  purge_protection_enabled        = var.key_vault_purge_protection
  enabled_for_deployment          = false
  enabled_for_disk_encryption     = false
  enabled_for_template_deployment = false
  public_network_access_enabled   = !var.vnet_enabled || length(var.operator_ip_rules) > 0
  tags                            = local.tags

  network_acls {
    default_action = var.vnet_enabled ? "Deny" : "Allow"
    bypass         = var.vnet_enabled ? "None" : "AzureServices"
    ip_rules       = var.vnet_enabled ? var.operator_ip_rules : []
  }
}

resource "azurerm_role_assignment" "secrets_reader" {
  scope                = local.key_vault_id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_user_assigned_identity.this.principal_id
  principal_type       = "ServicePrincipal"
}

# Lets the deploying principal write the connector secrets; never read by the app.
resource "azurerm_role_assignment" "secrets_writer" {
  count = var.principal_id == "" ? 0 : 1

  scope                = local.key_vault_id
  role_definition_name = "Key Vault Secrets Officer"
  principal_id         = var.principal_id
  principal_type       = var.principal_type
}

resource "azurerm_monitor_diagnostic_setting" "key_vault" {
  name                           = "connector-audit"
  target_resource_id             = local.key_vault_id
  log_analytics_workspace_id     = local.log_analytics_workspace_id
  log_analytics_destination_type = "Dedicated"

  enabled_log {
    category = "AuditEvent"
  }

  enabled_metric {
    category = "AllMetrics"
  }
}
