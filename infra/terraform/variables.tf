variable "environment_name" {
  type        = string
  description = "Name of the environment; seeds the unique resource names and the default task hub."

  validation {
    condition     = length(var.environment_name) >= 1 && length(var.environment_name) <= 64
    error_message = "environment_name must be 1 to 64 characters."
  }
}

variable "location" {
  type        = string
  description = "Region of every resource; must offer the Flex Consumption plan."
}

variable "principal_id" {
  type        = string
  default     = ""
  description = "Object id of the deploying user or pipeline: gets \"Key Vault Secrets Officer\" to write the connector secrets. Empty for none."
}

variable "principal_type" {
  type        = string
  default     = "User"
  description = "Kind of principal_id: User, Group or ServicePrincipal."

  validation {
    condition     = contains(["User", "Group", "ServicePrincipal"], var.principal_type)
    error_message = "principal_type must be User, Group or ServicePrincipal."
  }
}

variable "tags" {
  type        = map(string)
  default     = {}
  description = "Tags of every resource (the subscription's tag policies usually require some); azd-env-name is added."
}

variable "name_prefix" {
  type        = string
  default     = ""
  description = "Prefix of every generated name: up to 8 lower-case letters and digits (a company or cost-centre code). Empty for none."

  validation {
    condition     = can(regex("^[a-z0-9]{0,8}$", var.name_prefix))
    error_message = "name_prefix must be up to 8 lower-case letters and digits."
  }
}

variable "existing_key_vault_id" {
  type        = string
  default     = ""
  description = "Resource id of an existing Key Vault in RBAC mode for the connector secrets (any resource group of the tenant). Empty: a new vault."
}

# Name overrides: empty means prefix + a token unique to subscription, environment and region.
variable "resource_group_name" {
  type        = string
  default     = ""
  description = "Resource group name override."
}

variable "function_app_name" {
  type        = string
  default     = ""
  description = "Function App name override."
}

variable "app_service_plan_name" {
  type        = string
  default     = ""
  description = "Flex Consumption plan name override."
}

variable "key_vault_name" {
  type        = string
  default     = ""
  description = "Key Vault name override."
}

variable "identity_name" {
  type        = string
  default     = ""
  description = "User-assigned identity name override."
}

variable "log_analytics_name" {
  type        = string
  default     = ""
  description = "Log Analytics workspace name override."
}

variable "application_insights_name" {
  type        = string
  default     = ""
  description = "Application Insights name override."
}

variable "key_vault_purge_protection" {
  type        = bool
  default     = true
  description = "Turn on Key Vault purge protection (irreversible; recommended for production)."
}

variable "functions_runtime_version" {
  type        = string
  default     = "10.0"
  description = ".NET version of the dotnet-isolated Flex Consumption runtime."
}

variable "instance_memory_mb" {
  type        = number
  default     = 2048
  description = "Memory of each Function App instance in MB."

  validation {
    condition     = contains([512, 2048, 4096], var.instance_memory_mb)
    error_message = "instance_memory_mb must be 512, 2048 or 4096."
  }
}

variable "maximum_instance_count" {
  type        = number
  default     = 40
  description = "Most instances the Function App scales out to."

  validation {
    condition     = var.maximum_instance_count >= 1 && var.maximum_instance_count <= 1000
    error_message = "maximum_instance_count must be between 1 and 1000."
  }
}

# Settings the app reads.
variable "task_hub_name" {
  type        = string
  default     = ""
  description = "Durable Functions task hub (TASKHUB_NAME): 3-45 letters and digits, starting with a letter. Empty: \"Connector\" + the resource token, one hub per environment."

  validation {
    condition     = var.task_hub_name == "" || can(regex("^[A-Za-z][A-Za-z0-9]{2,44}$", var.task_hub_name))
    error_message = "task_hub_name must be 3 to 45 letters and digits, starting with a letter."
  }
}

variable "selftest_schedule" {
  type        = string
  default     = "0 30 1 * * *"
  description = "Six-field cron of the daily durable self-test (SELFTEST_SCHEDULE)."
}

variable "selftest_workspace_id" {
  type        = string
  default     = "selftest"
  description = "Anaplan workspace id the self-test locks (SelfTest__WorkspaceId)."
}

variable "selftest_model_id" {
  type        = string
  default     = "selftest"
  description = "Anaplan model id the self-test locks (SelfTest__ModelId)."
}

variable "schedule_tick" {
  type        = string
  default     = "0 */5 * * * *"
  description = "Six-field cron of the scheduler tick that starts due connection flows (SCHEDULE_TICK)."
}

variable "ops_read_only" {
  type        = bool
  default     = false
  description = "Refuse the operator API's write actions (Ops__ReadOnly)."
}

variable "retention_schedule" {
  type        = string
  default     = "0 15 3 * * *"
  description = "Six-field cron of the daily retention purge (RETENTION_SCHEDULE; what it purges: retention_days)."
}

variable "retention_days" {
  type        = number
  default     = 90
  description = "Days after which a finished run is purged with its audit and staging (Connector__Retention__Days; 0 keeps runs forever). The staging container's lifecycle rule deletes run staging (runs/) a week later still, as a backstop."

  validation {
    condition     = var.retention_days >= 0
    error_message = "retention_days must be 0 or more."
  }
}

variable "durable_retry_first_interval" {
  type        = string
  default     = "00:00:05"
  description = "First interval of the connector's durable retries (Durable__RetryFirstInterval, hh:mm:ss, more than 0 and at most 00:02:00): each next wait is twice the last, the number of attempts does not change. Runs in flight keep working when it changes."

  validation {
    condition     = can(regex("^\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?$", var.durable_retry_first_interval))
    error_message = "durable_retry_first_interval must be hh:mm:ss (fractions allowed), e.g. 00:00:05."
  }
}

variable "table_prefix" {
  type        = string
  default     = "Connector"
  description = "Prefix of the connector's audit, mapping and watermark tables (Connector__Storage__TablePrefix)."
}

variable "additional_app_settings" {
  type        = map(string)
  default     = {}
  description = "More app settings (name: value). The app settings are replaced as a whole on every apply: a setting added in the portal is lost, put it here. Values only, never secrets."
}

variable "app_service_authentication" {
  type        = bool
  default     = false
  description = "Set true only together with App Service authentication (Easy Auth) on the app: then the platform's principal is recorded as who changed a mapping (Ops__AppServiceAuthentication); otherwise \"function key\"."
}

variable "connections" {
  description = "The connections (Connector__Connections__{i}__...): each a Sage 100 company paired with an Anaplan model. The *_secret_name fields are Key Vault secret names, never secret values. Unset optional fields keep the app's defaults."
  default     = []
  type = list(object({
    id = string
    sage = object({
      base_url            = string
      company             = string
      api_key_secret_name = string
      tls_mode            = optional(string)
      pinned_fingerprints = optional(list(string), [])
      timeout             = optional(string)
      max_retry_attempts  = optional(number)
      retry_base_delay    = optional(string)
      page_size           = optional(number)
    })
    anaplan = object({
      auth_url                = optional(string)
      api_url                 = optional(string)
      workspace_id            = string
      model_id                = string
      auth_mode               = optional(string)
      user_name               = optional(string)
      password_secret_name    = optional(string)
      certificate_secret_name = optional(string)
      private_key_secret_name = optional(string)
      chunk_size_mb           = optional(number)
      requests_per_minute     = optional(number)
      poll_interval           = optional(string)
      task_timeout            = optional(string)
    })
    cost_center_segment = string
    period_format       = optional(string)
    period_year         = optional(string)
    period13            = optional(string)
    period13_format     = optional(string)
    account_format      = optional(string)
    actuals = optional(object({
      enabled             = optional(bool)
      schedule            = optional(string)
      time_zone           = optional(string)
      prior_periods       = optional(number)
      gl_rows_per_file    = optional(number)
      gl_files_per_import = optional(number)
      incremental_overlap = optional(string)
      imports = optional(object({
        accounts     = optional(string)
        cost_centers = optional(string)
        vendors      = optional(string)
        gl_actuals   = optional(string)
        ap_actuals   = optional(string)
      }), {})
      exports = optional(object({
        accounts     = optional(string)
        cost_centers = optional(string)
      }), {})
      lists = optional(object({
        accounts     = optional(string)
        cost_centers = optional(string)
      }), {})
      # Column overrides per import: header (its letters and digits, e.g. CostCenter for "Cost Center") to a field,
      # or "=" and a fixed value.
      columns = optional(object({
        accounts     = optional(map(string), {})
        cost_centers = optional(map(string), {})
        vendors      = optional(map(string), {})
        gl_actuals   = optional(map(string), {})
        ap_actuals   = optional(map(string), {})
      }), {})
      read_back = optional(object({
        gl_export = optional(string)
        ap_export = optional(string)
        gl_columns = optional(object({
          account     = optional(string)
          cost_center = optional(string)
          period      = optional(string)
          debit       = optional(string)
          credit      = optional(string)
          net         = optional(string)
        }), {})
        ap_columns = optional(object({
          vendor         = optional(string)
          cost_center    = optional(string)
          period         = optional(string)
          invoice_amount = optional(string)
          invoice_count  = optional(string)
        }), {})
      }), {})
    }), {})
    budgets = optional(object({
      enabled            = optional(bool)
      schedule           = optional(string)
      time_zone          = optional(string)
      export             = optional(string)
      layout             = optional(string)
      columns = optional(object({
        account     = optional(string)
        cost_center = optional(string)
        period      = optional(string)
        version     = optional(string)
        amount      = optional(string)
      }), {})
      version            = optional(string)
      offset_account     = optional(string)
      source_journal     = optional(string)
      grouping           = optional(string)
      max_parallel_posts = optional(number)
      post_batch_size    = optional(number)
    }), {})
  }))

  validation {
    condition     = alltrue([for c in var.connections : can(regex("^[a-z0-9][a-z0-9-]{0,39}$", c.id))])
    error_message = "Each connection id must be 1 to 40 lower-case letters, digits or '-', starting with a letter or digit."
  }

  validation {
    condition     = alltrue([for c in var.connections : c.sage.tls_mode == null || contains(["System", "Pinned", "InsecureSkipVerify"], coalesce(c.sage.tls_mode, "System"))])
    error_message = "sage.tls_mode must be System, Pinned or InsecureSkipVerify."
  }

  validation {
    condition     = alltrue([for c in var.connections : c.anaplan.auth_mode == null || contains(["Basic", "Certificate"], coalesce(c.anaplan.auth_mode, "Basic"))])
    error_message = "anaplan.auth_mode must be Basic or Certificate."
  }

  validation {
    condition     = alltrue([for c in var.connections : c.period_year == null || contains(["Fiscal", "Calendar"], coalesce(c.period_year, "Fiscal"))])
    error_message = "period_year must be Fiscal or Calendar."
  }

  validation {
    condition     = alltrue([for c in var.connections : c.period13 == null || contains(["Own", "Fold", "Skip"], coalesce(c.period13, "Own"))])
    error_message = "period13 must be Own, Fold or Skip."
  }

  validation {
    condition     = alltrue([for c in var.connections : c.budgets.layout == null || contains(["Rows", "PeriodColumns"], coalesce(c.budgets.layout, "Rows"))])
    error_message = "budgets.layout must be Rows or PeriodColumns."
  }

  validation {
    condition     = alltrue([for c in var.connections : c.budgets.grouping == null || contains(["VersionPeriodCostCenter", "VersionPeriod", "VersionPeriodAccount"], coalesce(c.budgets.grouping, "VersionPeriod"))])
    error_message = "budgets.grouping must be VersionPeriodCostCenter, VersionPeriod or VersionPeriodAccount."
  }

  validation {
    condition     = alltrue([for c in var.connections : c.anaplan.chunk_size_mb == null || (coalesce(c.anaplan.chunk_size_mb, 10) >= 1 && coalesce(c.anaplan.chunk_size_mb, 10) <= 50)])
    error_message = "anaplan.chunk_size_mb must be between 1 and 50."
  }
}
