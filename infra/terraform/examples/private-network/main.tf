# The connector inside a new virtual network: outbound through a NAT gateway with one static public IP (the address the
# firewall in front of the Sage agent admits: output outbound_public_ip), storage and Key Vault behind private endpoints,
# operators admitted from one office range, alerts by e-mail, the company's tags and naming prefix.

terraform {
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
  storage_use_azuread = true
}

provider "azapi" {}

variable "principal_id" {
  type        = string
  default     = ""
  description = "Your object id (az ad signed-in-user show --query id -o tsv), to write the secrets."
}

variable "operators_group_id" {
  type        = string
  default     = ""
  description = "Object id of the operators' Entra ID group."
}

module "connector" {
  source = "../.."

  environment_name = "connector-prod"
  location         = "westeurope"
  principal_id     = var.principal_id
  name_prefix      = "ctso"
  tags = {
    CostCenter = "FIN-42"
    Owner      = "finance-systems@example.com"
  }

  vnet_enabled           = true
  operator_ip_rules      = ["203.0.113.0/28"]
  operator_principal_ids = var.operators_group_id == "" ? [] : [var.operators_group_id]
  alert_email_addresses  = ["finance-ops@example.com"]

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
        user_name            = "integration@example.com"
        password_secret_name = "anaplan-abc-password"
      }
      cost_center_segment = "Department"
    }
  ]
}

output "outbound_public_ip" {
  description = "Admit this address, and only this one, on the firewall in front of the Sage agent."
  value       = module.connector.outbound_public_ip
}

output "key_vault_name" {
  value = module.connector.key_vault_name
}

output "connector_secret_names" {
  value = module.connector.connector_secret_names
}
