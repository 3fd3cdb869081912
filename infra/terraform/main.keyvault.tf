# Key Vault for the third-party secrets (Sage agent API keys, Anaplan passwords, certificates, private keys), RBAC
# permission model only. The app reads secrets by name (Credentials__Store=KeyVault); operators write them with
# `az keyvault secret set`. No secret value is ever a Terraform variable or output.

resource "azurerm_key_vault" "this" {
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
  public_network_access_enabled   = true
  tags                            = local.tags

  network_acls {
    default_action = "Allow"
    bypass         = "AzureServices"
  }
}

resource "azurerm_role_assignment" "secrets_reader" {
  scope                = azurerm_key_vault.this.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_user_assigned_identity.this.principal_id
  principal_type       = "ServicePrincipal"
}

# Lets the deploying principal write the connector secrets; never read by the app.
resource "azurerm_role_assignment" "secrets_writer" {
  count = var.principal_id == "" ? 0 : 1

  scope                = azurerm_key_vault.this.id
  role_definition_name = "Key Vault Secrets Officer"
  principal_id         = var.principal_id
  principal_type       = var.principal_type
}
