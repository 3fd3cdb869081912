terraform {
  required_version = ">= 1.9"

  required_providers {
    # rbac_authorization_enabled on azurerm_key_vault needs 4.42 or later.
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.42"
    }
    # The Function App itself is an azapi resource: azurerm_function_app_flex_consumption (4.x) cannot set
    # keyVaultReferenceIdentity (hashicorp/terraform-provider-azurerm#28928) and, with identity-based storage, injects
    # an AzureWebJobsStorage connection string with an empty key that stops the host (#29693, #30732).
    azapi = {
      source  = "Azure/azapi"
      version = "~> 2.0"
    }
  }
}
