# Sage 100 ⇄ Anaplan connector: the Terraform twin of infra/main.bicep. The same resources, roles and app settings;
# files are split by concern (main.<part>.tf with variables.<part>.tf).

data "azurerm_client_config" "current" {}

locals {
  # Terraform has no uniqueString(): a 13-character token from the same inputs plays its part.
  resource_token = substr(sha1("${data.azurerm_client_config.current.subscription_id}-${var.environment_name}-${var.location}"), 0, 13)
  tags           = merge(var.tags, { "azd-env-name" = var.environment_name })
  # Hyphenated names get "<prefix>-"; storage accounts (letters and digits only) get the bare prefix.
  dash = var.name_prefix == "" ? "" : "${var.name_prefix}-"

  names = {
    resource_group          = var.resource_group_name != "" ? var.resource_group_name : "${local.dash}rg-${var.environment_name}"
    function_app            = var.function_app_name != "" ? var.function_app_name : "${local.dash}func-connector-${local.resource_token}"
    plan                    = var.app_service_plan_name != "" ? var.app_service_plan_name : "${local.dash}plan-${local.resource_token}"
    storage                 = var.storage_account_name != "" ? var.storage_account_name : "${var.name_prefix}st${local.resource_token}"
    key_vault               = var.key_vault_name != "" ? var.key_vault_name : "${local.dash}kv${local.resource_token}"
    identity                = var.identity_name != "" ? var.identity_name : "${local.dash}id-connector-${local.resource_token}"
    log_analytics           = var.log_analytics_name != "" ? var.log_analytics_name : "${local.dash}log-${local.resource_token}"
    application_insights    = var.application_insights_name != "" ? var.application_insights_name : "${local.dash}appi-${local.resource_token}"
    vnet                    = "${local.dash}vnet-${local.resource_token}"
    nat_gateway             = "${local.dash}ng-${local.resource_token}"
    public_ip               = "${local.dash}pip-ng-${local.resource_token}"
    private_endpoint_prefix = "${local.dash}pe-"
    action_group            = "${local.dash}ag-connector-${local.resource_token}"
    alert_prefix            = "${local.dash}alert-connector-"
    task_hub                = var.task_hub_name != "" ? var.task_hub_name : "Connector${local.resource_token}"
  }
}

resource "azurerm_resource_group" "this" {
  name     = local.names.resource_group
  location = var.location
  tags     = local.tags
}
