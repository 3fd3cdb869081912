# User-assigned managed identity of the Function App: the one principal that reaches storage, Key Vault and
# Application Insights.
resource "azurerm_user_assigned_identity" "this" {
  name                = local.names.identity
  location            = var.location
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags
}
