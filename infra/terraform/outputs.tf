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
  value       = azurerm_key_vault.this.name
}

output "key_vault_uri" {
  description = "Key Vault URI (Credentials__KeyVaultUri)."
  value       = azurerm_key_vault.this.vault_uri
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
