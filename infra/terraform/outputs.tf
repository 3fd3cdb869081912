output "resource_group_name" {
  description = "Resource group of every resource."
  value       = azurerm_resource_group.this.name
}

output "function_app_name" {
  description = "Function App name (azd: SERVICE_API_NAME)."
  value       = azapi_resource.function_app.name
}

output "function_app_uri" {
  description = "Base URL of the Function App; the operator API is under /api/."
  value       = "https://${azapi_resource.function_app.output.properties.defaultHostName}"
}

output "key_vault_name" {
  description = "Key Vault the connector secrets go into (az keyvault secret set --vault-name ...)."
  value       = local.key_vault_name
}

output "key_vault_uri" {
  description = "Key Vault URI (Credentials__KeyVaultUri)."
  value       = local.key_vault_uri
}

output "storage_account_name" {
  description = "Storage account of host state, the task hub and staging data."
  value       = azurerm_storage_account.this.name
}

output "identity_client_id" {
  description = "Client id of the Function App's user-assigned identity."
  value       = azurerm_user_assigned_identity.this.client_id
}

output "task_hub_name" {
  description = "Durable Functions task hub (TASKHUB_NAME)."
  value       = local.names.task_hub
}

output "app_setting_names" {
  description = "Names of the app settings the Function App gets (values stay in state)."
  value       = sort(keys(local.app_settings))
}

output "log_analytics_workspace_id" {
  description = "Log Analytics workspace of Application Insights and the diagnostic settings."
  value       = local.log_analytics_workspace_id
}

output "connector_secret_names" {
  description = "The Key Vault secrets the connections name: put each into the vault before the first run."
  value = distinct(compact(flatten([
    for c in var.connections : [c.sage.api_key_secret_name, c.anaplan.password_secret_name, c.anaplan.certificate_secret_name, c.anaplan.private_key_secret_name]
  ])))
}

output "outbound_public_ip" {
  description = "The static public IP of the NAT gateway: the only address the firewall in front of the Sage agent must admit. Empty without one."
  value       = local.nat_enabled ? azurerm_public_ip.nat[0].ip_address : ""
}
