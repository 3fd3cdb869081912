variable "storage_account_name" {
  type        = string
  default     = ""
  description = "Storage account name override (3-24 lower-case letters and digits)."
}

variable "storage_replication_type" {
  type        = string
  default     = "LRS"
  description = "Storage replication: LRS, ZRS, GRS or GZRS."

  validation {
    condition     = contains(["LRS", "ZRS", "GRS", "GZRS"], var.storage_replication_type)
    error_message = "storage_replication_type must be LRS, ZRS, GRS or GZRS."
  }
}

variable "staging_container_name" {
  type        = string
  default     = "connector-staging"
  description = "Blob container of the connector staging data (Connector__Storage__StagingContainer)."
}
