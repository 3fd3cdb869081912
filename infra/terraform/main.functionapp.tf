# The Function App on a Flex Consumption plan (Linux, dotnet-isolated), every connection identity-based. The site and
# its settings are azapi resources (see providers.tf for why azurerm_function_app_flex_consumption is not used); the
# request bodies are the ones infra/app/api.bicep deploys. With a subnet, all outbound traffic goes through the virtual
# network (to the private endpoints, and out by the NAT gateway or the customer's own route to the Sage agent).

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
    RETENTION_SCHEDULE                          = var.retention_schedule
    SelfTest__WorkspaceId                       = var.selftest_workspace_id
    SelfTest__ModelId                           = var.selftest_model_id
    SCHEDULE_TICK                               = var.schedule_tick
    Ops__ReadOnly                               = tostring(var.ops_read_only)
    Ops__AppServiceAuthentication               = tostring(var.app_service_authentication)
    Credentials__Store                          = "KeyVault"
    Credentials__KeyVaultUri                    = local.key_vault_uri
    Connector__Storage__BlobServiceUri          = azurerm_storage_account.this.primary_blob_endpoint
    Connector__Storage__TableServiceUri         = azurerm_storage_account.this.primary_table_endpoint
    Connector__Storage__ManagedIdentityClientId = azurerm_user_assigned_identity.this.client_id
    Connector__Storage__StagingContainer        = var.staging_container_name
    Connector__Storage__TablePrefix             = var.table_prefix
    Connector__Retention__Days                  = tostring(var.retention_days)
    Durable__RetryFirstInterval                 = var.durable_retry_first_interval
  }

  # One indexed key per ConnectionOptions property (Connector__Connections__{i}__...); unset optional fields are left
  # out so the app's defaults apply, and a field set to "" is kept (it clears a default: no version column in the
  # budget view, no cost-centre list). The *Reference settings carry Key Vault secret names.
  connection_settings = merge({}, [
    for i, c in var.connections : merge(
      {
        for key, value in {
          "Connector__Connections__${i}__Id"                                          = c.id
          "Connector__Connections__${i}__CostCenterSegment"                           = c.cost_center_segment
          "Connector__Connections__${i}__PeriodFormat"                                = c.period_format
          "Connector__Connections__${i}__PeriodYear"                                  = c.period_year
          "Connector__Connections__${i}__Period13"                                    = c.period13
          "Connector__Connections__${i}__Period13Format"                              = c.period13_format
          "Connector__Connections__${i}__AccountFormat"                               = c.account_format
          "Connector__Connections__${i}__Sage__BaseUrl"                               = c.sage.base_url
          "Connector__Connections__${i}__Sage__Company"                               = c.sage.company
          "Connector__Connections__${i}__Sage__ApiKeyReference"                       = c.sage.api_key_secret_name
          "Connector__Connections__${i}__Sage__TlsMode"                               = c.sage.tls_mode
          "Connector__Connections__${i}__Sage__Timeout"                               = c.sage.timeout
          "Connector__Connections__${i}__Sage__MaxRetryAttempts"                      = c.sage.max_retry_attempts == null ? null : tostring(c.sage.max_retry_attempts)
          "Connector__Connections__${i}__Sage__RetryBaseDelay"                        = c.sage.retry_base_delay
          "Connector__Connections__${i}__Sage__PageSize"                              = c.sage.page_size == null ? null : tostring(c.sage.page_size)
          "Connector__Connections__${i}__Anaplan__AuthUrl"                            = c.anaplan.auth_url
          "Connector__Connections__${i}__Anaplan__ApiUrl"                             = c.anaplan.api_url
          "Connector__Connections__${i}__Anaplan__WorkspaceId"                        = c.anaplan.workspace_id
          "Connector__Connections__${i}__Anaplan__ModelId"                            = c.anaplan.model_id
          "Connector__Connections__${i}__Anaplan__AuthMode"                           = c.anaplan.auth_mode
          "Connector__Connections__${i}__Anaplan__UserName"                           = c.anaplan.user_name
          "Connector__Connections__${i}__Anaplan__PasswordReference"                  = c.anaplan.password_secret_name
          "Connector__Connections__${i}__Anaplan__CertificateReference"               = c.anaplan.certificate_secret_name
          "Connector__Connections__${i}__Anaplan__PrivateKeyReference"                = c.anaplan.private_key_secret_name
          "Connector__Connections__${i}__Anaplan__ChunkSizeMb"                        = c.anaplan.chunk_size_mb == null ? null : tostring(c.anaplan.chunk_size_mb)
          "Connector__Connections__${i}__Anaplan__RequestsPerMinute"                  = c.anaplan.requests_per_minute == null ? null : tostring(c.anaplan.requests_per_minute)
          "Connector__Connections__${i}__Anaplan__PollInterval"                       = c.anaplan.poll_interval
          "Connector__Connections__${i}__Anaplan__TaskTimeout"                        = c.anaplan.task_timeout
          "Connector__Connections__${i}__Actuals__Enabled"                            = c.actuals.enabled == null ? null : tostring(c.actuals.enabled)
          "Connector__Connections__${i}__Actuals__Schedule"                           = c.actuals.schedule
          "Connector__Connections__${i}__Actuals__TimeZone"                           = c.actuals.time_zone
          "Connector__Connections__${i}__Actuals__PriorPeriods"                       = c.actuals.prior_periods == null ? null : tostring(c.actuals.prior_periods)
          "Connector__Connections__${i}__Actuals__GlRowsPerFile"                      = c.actuals.gl_rows_per_file == null ? null : tostring(c.actuals.gl_rows_per_file)
          "Connector__Connections__${i}__Actuals__GlFilesPerImport"                   = c.actuals.gl_files_per_import == null ? null : tostring(c.actuals.gl_files_per_import)
          "Connector__Connections__${i}__Actuals__IncrementalOverlap"                 = c.actuals.incremental_overlap
          "Connector__Connections__${i}__Actuals__Imports__Accounts"                  = c.actuals.imports.accounts
          "Connector__Connections__${i}__Actuals__Imports__CostCenters"               = c.actuals.imports.cost_centers
          "Connector__Connections__${i}__Actuals__Imports__Vendors"                   = c.actuals.imports.vendors
          "Connector__Connections__${i}__Actuals__Imports__GlActuals"                 = c.actuals.imports.gl_actuals
          "Connector__Connections__${i}__Actuals__Imports__ApActuals"                 = c.actuals.imports.ap_actuals
          "Connector__Connections__${i}__Actuals__Exports__Accounts"                  = c.actuals.exports.accounts
          "Connector__Connections__${i}__Actuals__Exports__CostCenters"               = c.actuals.exports.cost_centers
          "Connector__Connections__${i}__Actuals__Lists__Accounts"                    = c.actuals.lists.accounts
          "Connector__Connections__${i}__Actuals__Lists__CostCenters"                 = c.actuals.lists.cost_centers
          "Connector__Connections__${i}__Actuals__ReadBack__GlExport"                 = c.actuals.read_back.gl_export
          "Connector__Connections__${i}__Actuals__ReadBack__ApExport"                 = c.actuals.read_back.ap_export
          "Connector__Connections__${i}__Actuals__ReadBack__GlColumns__Account"       = c.actuals.read_back.gl_columns.account
          "Connector__Connections__${i}__Actuals__ReadBack__GlColumns__CostCenter"    = c.actuals.read_back.gl_columns.cost_center
          "Connector__Connections__${i}__Actuals__ReadBack__GlColumns__Period"        = c.actuals.read_back.gl_columns.period
          "Connector__Connections__${i}__Actuals__ReadBack__GlColumns__Debit"         = c.actuals.read_back.gl_columns.debit
          "Connector__Connections__${i}__Actuals__ReadBack__GlColumns__Credit"        = c.actuals.read_back.gl_columns.credit
          "Connector__Connections__${i}__Actuals__ReadBack__GlColumns__Net"           = c.actuals.read_back.gl_columns.net
          "Connector__Connections__${i}__Actuals__ReadBack__ApColumns__Vendor"        = c.actuals.read_back.ap_columns.vendor
          "Connector__Connections__${i}__Actuals__ReadBack__ApColumns__CostCenter"    = c.actuals.read_back.ap_columns.cost_center
          "Connector__Connections__${i}__Actuals__ReadBack__ApColumns__Period"        = c.actuals.read_back.ap_columns.period
          "Connector__Connections__${i}__Actuals__ReadBack__ApColumns__InvoiceAmount" = c.actuals.read_back.ap_columns.invoice_amount
          "Connector__Connections__${i}__Actuals__ReadBack__ApColumns__InvoiceCount"  = c.actuals.read_back.ap_columns.invoice_count
          "Connector__Connections__${i}__Budgets__Enabled"                            = c.budgets.enabled == null ? null : tostring(c.budgets.enabled)
          "Connector__Connections__${i}__Budgets__Schedule"                           = c.budgets.schedule
          "Connector__Connections__${i}__Budgets__TimeZone"                           = c.budgets.time_zone
          "Connector__Connections__${i}__Budgets__Export"                             = c.budgets.export
          "Connector__Connections__${i}__Budgets__Layout"                             = c.budgets.layout
          "Connector__Connections__${i}__Budgets__Columns__Account"                   = c.budgets.columns.account
          "Connector__Connections__${i}__Budgets__Columns__CostCenter"                = c.budgets.columns.cost_center
          "Connector__Connections__${i}__Budgets__Columns__Period"                    = c.budgets.columns.period
          "Connector__Connections__${i}__Budgets__Columns__Version"                   = c.budgets.columns.version
          "Connector__Connections__${i}__Budgets__Columns__Amount"                    = c.budgets.columns.amount
          "Connector__Connections__${i}__Budgets__Version"                            = c.budgets.version
          "Connector__Connections__${i}__Budgets__OffsetAccount"                      = c.budgets.offset_account
          "Connector__Connections__${i}__Budgets__SourceJournal"                      = c.budgets.source_journal
          "Connector__Connections__${i}__Budgets__Grouping"                           = c.budgets.grouping
          "Connector__Connections__${i}__Budgets__MaxParallelPosts"                   = c.budgets.max_parallel_posts == null ? null : tostring(c.budgets.max_parallel_posts)
          "Connector__Connections__${i}__Budgets__PostBatchSize"                      = c.budgets.post_batch_size == null ? null : tostring(c.budgets.post_batch_size)
        } : key => value if value != null
      },
      { for j, fingerprint in c.sage.pinned_fingerprints : "Connector__Connections__${i}__Sage__PinnedFingerprints__${j}" => fingerprint },
      { for header, source in c.actuals.columns.accounts : "Connector__Connections__${i}__Actuals__Columns__Accounts__${header}" => source },
      { for header, source in c.actuals.columns.cost_centers : "Connector__Connections__${i}__Actuals__Columns__CostCenters__${header}" => source },
      { for header, source in c.actuals.columns.vendors : "Connector__Connections__${i}__Actuals__Columns__Vendors__${header}" => source },
      { for header, source in c.actuals.columns.gl_actuals : "Connector__Connections__${i}__Actuals__Columns__GlActuals__${header}" => source },
      { for header, source in c.actuals.columns.ap_actuals : "Connector__Connections__${i}__Actuals__Columns__ApActuals__${header}" => source }
    )
  ]...)

  # Later maps win: the extra settings can never replace what the connector or the platform needs.
  app_settings = merge(var.additional_app_settings, local.connector_settings, local.connection_settings, local.platform_settings)
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
  type      = "Microsoft.Web/sites@2025-03-01"
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
      virtualNetworkSubnetId    = var.vnet_enabled ? local.app_subnet_id : null
      # Everything, not only private ranges: the agent's address is public, reached from the NAT gateway's IP (or
      # through the customer's route to on-premises).
      outboundVnetRouting = var.vnet_enabled ? { allTraffic = true } : null
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
    azurerm_private_endpoint.this,
    azurerm_subnet_nat_gateway_association.app,
  ]
}

resource "azapi_resource" "app_settings" {
  type      = "Microsoft.Web/sites/config@2025-03-01"
  name      = "appsettings"
  parent_id = azapi_resource.function_app.id

  body = {
    properties = local.app_settings
  }
}
