# Sage 100 ⇄ Anaplan connector: the Terraform twin of infra/main.bicep. The same resources, roles and app settings;
# files are split by concern (main.<part>.tf with variables.<part>.tf).

data "azurerm_client_config" "current" {}

locals {
  # Terraform has no uniqueString(): a 13-character token from the same inputs plays its part.
  resource_token = substr(sha1("${data.azurerm_client_config.current.subscription_id}-${var.environment_name}-${var.location}"), 0, 13)
  tags           = merge(var.tags, { "azd-env-name" = var.environment_name })

  names = {
    resource_group       = var.resource_group_name != "" ? var.resource_group_name : "rg-${var.environment_name}"
    function_app         = var.function_app_name != "" ? var.function_app_name : "func-connector-${local.resource_token}"
    plan                 = var.app_service_plan_name != "" ? var.app_service_plan_name : "plan-${local.resource_token}"
    storage              = var.storage_account_name != "" ? var.storage_account_name : "st${local.resource_token}"
    key_vault            = var.key_vault_name != "" ? var.key_vault_name : "kv${local.resource_token}"
    identity             = var.identity_name != "" ? var.identity_name : "id-connector-${local.resource_token}"
    log_analytics        = var.log_analytics_name != "" ? var.log_analytics_name : "log-${local.resource_token}"
    application_insights = var.application_insights_name != "" ? var.application_insights_name : "appi-${local.resource_token}"
    task_hub             = var.task_hub_name != "" ? var.task_hub_name : "Connector${local.resource_token}"
  }
}

resource "azurerm_resource_group" "this" {
  name     = local.names.resource_group
  location = var.location
  tags     = local.tags
}
