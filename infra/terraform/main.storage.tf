# Host state (AzureWebJobsStorage), the Durable Functions task hub (Azure Storage backend), the Flex Consumption
# deployment package and the connector's staging blobs and tables. Entra ID only: shared keys are disabled. In a
# virtual network it refuses public traffic (private endpoints carry the app's), except from the operators' addresses.

locals {
  # Flex Consumption pulls the app package from this container with the app's identity.
  deployment_container_name = substr("app-package-${lower(local.names.function_app)}", 0, 63)

  # Durable Functions on the Azure Storage backend: blobs (leases, large payloads, the deployment package), queues
  # (control and work-item queues), tables (history and instances).
  storage_data_roles = [
    "Storage Blob Data Owner",
    "Storage Queue Data Contributor",
    "Storage Table Data Contributor",
  ]

  # Operators reach the same task hub as a client (the connector CLI, Durable Functions Monitor) and the audit tables
  # and staging blobs: contributor on each service.
  operator_roles = [
    "Storage Blob Data Contributor",
    "Storage Queue Data Contributor",
    "Storage Table Data Contributor",
  ]
  operator_assignments = {
    for pair in setproduct(var.operator_principal_ids, local.operator_roles) : "${pair[0]}/${pair[1]}" => {
      principal = pair[0]
      role      = pair[1]
    }
  }
}

resource "azurerm_storage_account" "this" {
  name                             = local.names.storage
  resource_group_name              = azurerm_resource_group.this.name
  location                         = var.location
  account_kind                     = "StorageV2"
  account_tier                     = "Standard"
  account_replication_type         = var.storage_replication_type
  access_tier                      = "Hot"
  shared_access_key_enabled        = false
  default_to_oauth_authentication  = true
  allow_nested_items_to_be_public  = false
  cross_tenant_replication_enabled = false
  min_tls_version                  = "TLS1_2"
  https_traffic_only_enabled       = true
  public_network_access_enabled    = !var.vnet_enabled || length(var.operator_ip_rules) > 0
  tags                             = local.tags

  network_rules {
    default_action = var.vnet_enabled ? "Deny" : "Allow"
    bypass         = var.vnet_enabled ? ["None"] : ["AzureServices"]
    ip_rules       = var.vnet_enabled ? var.operator_ip_rules : []
  }

  blob_properties {
    delete_retention_policy {
      days = 7
    }
  }
}

resource "azurerm_storage_container" "deployment" {
  name                  = local.deployment_container_name
  storage_account_id    = azurerm_storage_account.this.id
  container_access_type = "private"
}

resource "azurerm_storage_container" "staging" {
  name                  = var.staging_container_name
  storage_account_id    = azurerm_storage_account.this.id
  container_access_type = "private"
}

# The backstop of the connector's retention job: staged run files (never what later runs still read, kept under
# state/) are deleted some days after the job should have purged their run, should the job not have run.
resource "azurerm_storage_management_policy" "staging" {
  count              = var.retention_days > 0 ? 1 : 0
  storage_account_id = azurerm_storage_account.this.id

  rule {
    name    = "expire-run-staging"
    enabled = true
    filters {
      blob_types   = ["blockBlob"]
      prefix_match = ["${var.staging_container_name}/runs/"]
    }
    actions {
      base_blob {
        delete_after_days_since_modification_greater_than = var.retention_days + 7
      }
    }
  }

  depends_on = [azurerm_storage_container.staging]
}

resource "azurerm_role_assignment" "storage_data" {
  for_each = toset(local.storage_data_roles)

  scope                = azurerm_storage_account.this.id
  role_definition_name = each.value
  principal_id         = azurerm_user_assigned_identity.this.principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "operator_data" {
  for_each = local.operator_assignments

  scope                = azurerm_storage_account.this.id
  role_definition_name = each.value.role
  principal_id         = each.value.principal
  principal_type       = var.operator_principal_type
}
