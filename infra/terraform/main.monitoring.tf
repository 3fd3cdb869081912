# Log Analytics (new, or the customer's) and workspace-based Application Insights with local (instrumentation-key)
# authentication disabled: telemetry is accepted only from Entra ID principals holding "Monitoring Metrics Publisher".
# Diagnostic settings of the app and storage (the vault's are in main.keyvault.tf), and the run alerts: the queries are
# the files in infra/alerts, the same ones infra/app/alerts.bicep loads.

locals {
  log_analytics_workspace_id = var.existing_log_analytics_workspace_id != "" ? var.existing_log_analytics_workspace_id : azurerm_log_analytics_workspace.this[0].id

  # Durable Functions polls its queues and tables every few seconds: writes and deletes are logged, reads are not.
  storage_log_categories = ["StorageWrite", "StorageDelete"]
  storage_diagnostic_targets = {
    blob  = "${azurerm_storage_account.this.id}/blobServices/default"
    queue = "${azurerm_storage_account.this.id}/queueServices/default"
    table = "${azurerm_storage_account.this.id}/tableServices/default"
  }

  alert_rules = {
    "run-failed" = {
      display_name = "Connector run failed"
      description  = "A Sage 100 / Anaplan connector run failed: nothing after the failing step was done. Rewind or replay it after fixing the cause (connector runs show <run id>)."
      severity     = 1
      query        = file("${path.module}/../alerts/run-failed.kql")
    }
    "run-completed-with-problems" = {
      display_name = "Connector run completed with failures or differences"
      description  = "A Sage 100 / Anaplan connector run completed, but rows or entries failed, or the totals of the two sides differ. Its audit names each record."
      severity     = 2
      query        = file("${path.module}/../alerts/run-completed-with-problems.kql")
    }
  }
  alert_action_group_ids = concat(length(var.alert_email_addresses) > 0 ? [azurerm_monitor_action_group.this[0].id] : [], var.alert_action_group_ids)
}

resource "azurerm_log_analytics_workspace" "this" {
  count = var.existing_log_analytics_workspace_id == "" ? 1 : 0

  name                = local.names.log_analytics
  location            = var.location
  resource_group_name = azurerm_resource_group.this.name
  sku                 = "PerGB2018"
  retention_in_days   = var.log_retention_in_days
  tags                = local.tags
}

resource "azurerm_application_insights" "this" {
  name                          = local.names.application_insights
  location                      = var.location
  resource_group_name           = azurerm_resource_group.this.name
  workspace_id                  = local.log_analytics_workspace_id
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

resource "azurerm_monitor_diagnostic_setting" "function_app" {
  name                           = "connector-diagnostics"
  target_resource_id             = azapi_resource.function_app.id
  log_analytics_workspace_id     = local.log_analytics_workspace_id
  log_analytics_destination_type = "Dedicated"

  enabled_log {
    category = "FunctionAppLogs"
  }

  enabled_metric {
    category = "AllMetrics"
  }
}

resource "azurerm_monitor_diagnostic_setting" "storage_account" {
  name                       = "connector-diagnostics"
  target_resource_id         = azurerm_storage_account.this.id
  log_analytics_workspace_id = local.log_analytics_workspace_id

  enabled_metric {
    category = "Transaction"
  }
}

resource "azurerm_monitor_diagnostic_setting" "storage_services" {
  for_each = local.storage_diagnostic_targets

  name                       = "connector-diagnostics"
  target_resource_id         = each.value
  log_analytics_workspace_id = local.log_analytics_workspace_id

  dynamic "enabled_log" {
    for_each = local.storage_log_categories
    content {
      category = enabled_log.value
    }
  }

  enabled_metric {
    category = "Transaction"
  }
}

resource "azurerm_monitor_action_group" "this" {
  count = length(var.alert_email_addresses) > 0 ? 1 : 0

  name                = local.names.action_group
  resource_group_name = azurerm_resource_group.this.name
  location            = "global"
  short_name          = "connector"
  enabled             = true
  tags                = local.tags

  dynamic "email_receiver" {
    for_each = var.alert_email_addresses
    content {
      name                    = "email-${email_receiver.key}"
      email_address           = email_receiver.value
      use_common_alert_schema = true
    }
  }
}

resource "azurerm_monitor_scheduled_query_rules_alert_v2" "runs" {
  for_each = local.alert_rules

  name                    = "${local.names.alert_prefix}${each.key}-${local.resource_token}"
  resource_group_name     = azurerm_resource_group.this.name
  location                = var.location
  display_name            = each.value.display_name
  description             = each.value.description
  severity                = each.value.severity
  enabled                 = true
  scopes                  = [azurerm_application_insights.this.id]
  evaluation_frequency    = "PT15M"
  window_duration         = "PT15M"
  auto_mitigation_enabled = false
  tags                    = local.tags

  criteria {
    query                   = each.value.query
    time_aggregation_method = "Count"
    operator                = "GreaterThan"
    threshold               = 0

    dimension {
      name     = "ConnectionId"
      operator = "Include"
      values   = ["*"]
    }

    dimension {
      name     = "Flow"
      operator = "Include"
      values   = ["*"]
    }

    failing_periods {
      number_of_evaluation_periods             = 1
      minimum_failing_periods_to_trigger_alert = 1
    }
  }

  action {
    action_groups = local.alert_action_group_ids
  }
}
