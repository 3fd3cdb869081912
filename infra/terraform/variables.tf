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
  description = "Extra tags for every resource."
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
    })
    cost_center_segment = string
    actuals = optional(object({
      enabled   = optional(bool)
      schedule  = optional(string)
      time_zone = optional(string)
    }), {})
    budgets = optional(object({
      enabled        = optional(bool)
      schedule       = optional(string)
      time_zone      = optional(string)
      export         = optional(string)
      version        = optional(string)
      offset_account = optional(string)
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
}
