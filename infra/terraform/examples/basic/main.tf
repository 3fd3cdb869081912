# One environment with one connection (Sage 100 company ABC ⇄ one Anaplan model, Basic authentication).
# Before the first run of the flows, put the two secrets named below into the Key Vault (see infra/README.md).

terraform {
  # Versions are constrained by the module (providers.tf); the root only maps the provider names to their sources.
  required_providers {
    azurerm = {
      source = "hashicorp/azurerm"
    }
    azapi = {
      source = "Azure/azapi"
    }
  }
}

provider "azurerm" {
  features {}
  # Shared keys are disabled on the storage account: any storage data-plane call must use Entra ID.
  storage_use_azuread = true
}

provider "azapi" {}

variable "environment_name" {
  type        = string
  default     = "connector-dev"
  description = "Environment name."
}

variable "location" {
  type        = string
  default     = "westeurope"
  description = "Region (must offer Flex Consumption)."
}

variable "principal_id" {
  type        = string
  default     = ""
  description = "Your object id (az ad signed-in-user show --query id -o tsv), to write the secrets."
}

module "connector" {
  source = "../.."

  environment_name = var.environment_name
  location         = var.location
  principal_id     = var.principal_id

  connections = [
    {
      id = "abc"
      sage = {
        base_url            = "https://sage-agent.example.com:8443"
        company             = "ABC"
        api_key_secret_name = "sage-abc-apikey"
        tls_mode            = "Pinned"
        pinned_fingerprints = ["AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"]
      }
      anaplan = {
        workspace_id         = "8a81b09d5e8c6f27015ece3402487d33"
        model_id             = "F1D5C6C1E2C64E5AA2D4A5E8D8E5B9A1"
        auth_mode            = "Basic"
        user_name            = "integration@example.com"
        password_secret_name = "anaplan-abc-password"
      }
      cost_center_segment = "Department"
      actuals = {
        enabled   = true
        schedule  = "0 0 2 * * *"
        time_zone = "America/New_York"
      }
      budgets = {
        enabled        = false
        offset_account = "9999"
      }
    }
  ]
}

output "function_app_name" {
  value = module.connector.function_app_name
}

output "key_vault_name" {
  value = module.connector.key_vault_name
}
