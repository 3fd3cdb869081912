# Log Analytics and workspace-based Application Insights with local (instrumentation-key) authentication disabled:
# telemetry is accepted only from Entra ID principals holding "Monitoring Metrics Publisher".

resource "azurerm_log_analytics_workspace" "this" {
  name                = local.names.log_analytics
  location            = var.location
  resource_group_name = azurerm_resource_group.this.name
  sku                 = "PerGB2018"
  retention_in_days   = 30
  tags                = local.tags
}

resource "azurerm_application_insights" "this" {
  name                          = local.names.application_insights
  location                      = var.location
  resource_group_name           = azurerm_resource_group.this.name
  workspace_id                  = azurerm_log_analytics_workspace.this.id
  application_type              = "web"
  local_authentication_disabled = true
  tags                          = local.tags
}

resource "azurerm_role_assignment" "telemetry_publisher" {
  scope                = azurerm_application_insights.this.id
  role_definition_name = "Monitoring Metrics Publisher"
  principal_id         = azurerm_user_assigned_identity.this.principal_id
  principal_type       = "ServicePrincipal"
}
