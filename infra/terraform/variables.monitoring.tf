variable "existing_log_analytics_workspace_id" {
  type        = string
  default     = ""
  description = "Resource id of an existing Log Analytics workspace for Application Insights and every diagnostic setting. Empty: a new workspace."
}

variable "log_retention_in_days" {
  type        = number
  default     = 30
  description = "Days a new Log Analytics workspace keeps data."

  validation {
    condition     = var.log_retention_in_days >= 30 && var.log_retention_in_days <= 730
    error_message = "log_retention_in_days must be between 30 and 730."
  }
}

variable "operator_principal_ids" {
  type        = list(string)
  default     = []
  description = "Object ids of the operators (a group, preferably): storage data roles for the connector CLI and Durable Functions Monitor."
}

variable "operator_principal_type" {
  type        = string
  default     = "Group"
  description = "Kind of operator_principal_ids: User, Group or ServicePrincipal."

  validation {
    condition     = contains(["User", "Group", "ServicePrincipal"], var.operator_principal_type)
    error_message = "operator_principal_type must be User, Group or ServicePrincipal."
  }
}

variable "alert_email_addresses" {
  type        = list(string)
  default     = []
  description = "E-mail addresses told when a run fails or completes with failures or differences (a new action group). Empty: none."
}

variable "alert_action_group_ids" {
  type        = list(string)
  default     = []
  description = "Resource ids of existing action groups the run alerts notify as well."
}
