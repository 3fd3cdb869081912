# The Function App on a Flex Consumption plan (Linux, dotnet-isolated), every connection identity-based. The site and
# its settings are azapi resources (see providers.tf for why azurerm_function_app_flex_consumption is not used); the
# request bodies are the ones infra/app/api.bicep deploys.

locals {
  # Flex Consumption takes the worker runtime and version from functionAppConfig.runtime, and refuses
  # FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE and the WEBSITE_CONTENT* settings.
  platform_settings = {
    AzureWebJobsStorage__credential           = "managedidentity"
    AzureWebJobsStorage__clientId             = azurerm_user_assigned_identity.this.client_id
    AzureWebJobsStorage__blobServiceUri       = azurerm_storage_account.this.primary_blob_endpoint
    AzureWebJobsStorage__queueServiceUri      = azurerm_storage_account.this.primary_queue_endpoint
    AzureWebJobsStorage__tableServiceUri      = azurerm_storage_account.this.primary_table_endpoint
    APPLICATIONINSIGHTS_CONNECTION_STRING     = azurerm_application_insights.this.connection_string
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING = "ClientId=${azurerm_user_assigned_identity.this.client_id};Authorization=AAD"
    # DefaultAzureCredential in the worker picks the user-assigned identity from this.
    AZURE_CLIENT_ID = azurerm_user_assigned_identity.this.client_id
  }

  # Values only: every secret stays in Key Vault and is read there by name (Credentials__Store=KeyVault).
  connector_settings = {
    TASKHUB_NAME                                = local.names.task_hub
    SELFTEST_SCHEDULE                           = var.selftest_schedule
    SelfTest__WorkspaceId                       = var.selftest_workspace_id
    SelfTest__ModelId                           = var.selftest_model_id
    SCHEDULE_TICK                               = var.schedule_tick
    Ops__ReadOnly                               = tostring(var.ops_read_only)
    Ops__AppServiceAuthentication               = tostring(var.app_service_authentication)
    Credentials__Store                          = "KeyVault"
    Credentials__KeyVaultUri                    = azurerm_key_vault.this.vault_uri
    Connector__Storage__BlobServiceUri          = azurerm_storage_account.this.primary_blob_endpoint
    Connector__Storage__TableServiceUri         = azurerm_storage_account.this.primary_table_endpoint
    Connector__Storage__ManagedIdentityClientId = azurerm_user_assigned_identity.this.client_id
    Connector__Storage__StagingContainer        = var.staging_container_name
  }

  # One indexed key per ConnectionOptions property (Connector__Connections__{i}__...); unset optional fields are left
  # out so the app's defaults apply. The *Reference settings carry Key Vault secret names.
  connection_settings = merge({}, [
    for i, c in var.connections : merge(
      {
        for key, value in {
          "Connector__Connections__${i}__Id"                            = c.id
          "Connector__Connections__${i}__CostCenterSegment"             = c.cost_center_segment
          "Connector__Connections__${i}__Sage__BaseUrl"                 = c.sage.base_url
          "Connector__Connections__${i}__Sage__Company"                 = c.sage.company
          "Connector__Connections__${i}__Sage__ApiKeyReference"         = c.sage.api_key_secret_name
          "Connector__Connections__${i}__Sage__TlsMode"                 = c.sage.tls_mode
          "Connector__Connections__${i}__Anaplan__AuthUrl"              = c.anaplan.auth_url
          "Connector__Connections__${i}__Anaplan__ApiUrl"               = c.anaplan.api_url
          "Connector__Connections__${i}__Anaplan__WorkspaceId"          = c.anaplan.workspace_id
          "Connector__Connections__${i}__Anaplan__ModelId"              = c.anaplan.model_id
          "Connector__Connections__${i}__Anaplan__AuthMode"             = c.anaplan.auth_mode
          "Connector__Connections__${i}__Anaplan__UserName"             = c.anaplan.user_name
          "Connector__Connections__${i}__Anaplan__PasswordReference"    = c.anaplan.password_secret_name
          "Connector__Connections__${i}__Anaplan__CertificateReference" = c.anaplan.certificate_secret_name
          "Connector__Connections__${i}__Anaplan__PrivateKeyReference"  = c.anaplan.private_key_secret_name
          "Connector__Connections__${i}__Actuals__Enabled"              = c.actuals.enabled == null ? null : tostring(c.actuals.enabled)
          "Connector__Connections__${i}__Actuals__Schedule"             = c.actuals.schedule
          "Connector__Connections__${i}__Actuals__TimeZone"             = c.actuals.time_zone
          "Connector__Connections__${i}__Budgets__Enabled"              = c.budgets.enabled == null ? null : tostring(c.budgets.enabled)
          "Connector__Connections__${i}__Budgets__Schedule"             = c.budgets.schedule
          "Connector__Connections__${i}__Budgets__TimeZone"             = c.budgets.time_zone
          "Connector__Connections__${i}__Budgets__Export"               = c.budgets.export
          "Connector__Connections__${i}__Budgets__Version"              = c.budgets.version
          "Connector__Connections__${i}__Budgets__OffsetAccount"        = c.budgets.offset_account
        } : key => value if value != null && value != ""
      },
      { for j, fingerprint in c.sage.pinned_fingerprints : "Connector__Connections__${i}__Sage__PinnedFingerprints__${j}" => fingerprint }
    )
  ]...)

  app_settings = merge(local.connector_settings, local.connection_settings, local.platform_settings)
}

resource "azurerm_service_plan" "this" {
  name                = local.names.plan
  location            = var.location
  resource_group_name = azurerm_resource_group.this.name
  os_type             = "Linux"
  sku_name            = "FC1"
  tags                = local.tags
}

resource "azapi_resource" "function_app" {
  type      = "Microsoft.Web/sites@2024-04-01"
  name      = local.names.function_app
  parent_id = azurerm_resource_group.this.id
  location  = var.location
  tags      = merge(local.tags, { "azd-service-name" = "api" })

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.this.id]
  }

  body = {
    kind = "functionapp,linux"
    properties = {
      serverFarmId              = azurerm_service_plan.this.id
      httpsOnly                 = true
      keyVaultReferenceIdentity = azurerm_user_assigned_identity.this.id
      siteConfig = {
        minTlsVersion = "1.2"
        ftpsState     = "Disabled"
      }
      functionAppConfig = {
        deployment = {
          storage = {
            type  = "blobContainer"
            value = "${azurerm_storage_account.this.primary_blob_endpoint}${azurerm_storage_container.deployment.name}"
            authentication = {
              type                           = "UserAssignedIdentity"
              userAssignedIdentityResourceId = azurerm_user_assigned_identity.this.id
            }
          }
        }
        scaleAndConcurrency = {
          instanceMemoryMB     = var.instance_memory_mb
          maximumInstanceCount = var.maximum_instance_count
        }
        runtime = {
          name    = "dotnet-isolated"
          version = var.functions_runtime_version
        }
      }
    }
  }

  response_export_values = ["properties.defaultHostName"]

  # The host reaches storage with the identity from its first start: grant the roles first.
  depends_on = [
    azurerm_role_assignment.storage_data,
    azurerm_role_assignment.telemetry_publisher,
    azurerm_role_assignment.secrets_reader,
  ]
}

resource "azapi_resource" "app_settings" {
  type      = "Microsoft.Web/sites/config@2024-04-01"
  name      = "appsettings"
  parent_id = azapi_resource.function_app.id

  body = {
    properties = local.app_settings
  }
}
