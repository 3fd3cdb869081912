variable "vnet_enabled" {
  type        = bool
  default     = false
  description = "Integrate the Function App into a virtual network (all outbound traffic through it); storage and Key Vault get private endpoints and refuse public access."
}

variable "existing_app_subnet_id" {
  type        = string
  default     = ""
  description = "Resource id of an existing subnet for the app, delegated to Microsoft.App/environments, /27 or larger. Empty: a new virtual network. Its outbound route (NAT gateway, firewall, VPN or ExpressRoute to on-premises) is the customer's."
}

variable "existing_private_endpoint_subnet_id" {
  type        = string
  default     = ""
  description = "Resource id of an existing subnet for the private endpoints; required with existing_app_subnet_id."

  validation {
    condition     = var.existing_app_subnet_id == "" || var.existing_private_endpoint_subnet_id != ""
    error_message = "existing_private_endpoint_subnet_id is required with existing_app_subnet_id (private endpoints cannot use the app's delegated subnet)."
  }
}

variable "vnet_address_prefix" {
  type        = string
  default     = "10.90.0.0/23"
  description = "Address space of a new virtual network."
}

variable "app_subnet_prefix" {
  type        = string
  default     = "10.90.0.0/24"
  description = "App subnet of a new virtual network (one address per instance, plus Azure's five)."
}

variable "private_endpoint_subnet_prefix" {
  type        = string
  default     = "10.90.1.0/26"
  description = "Private endpoint subnet of a new virtual network."
}

variable "nat_gateway_enabled" {
  type        = bool
  default     = true
  description = "With a new virtual network: send outbound traffic through a NAT gateway with one static public IP, the only address the agent's firewall admits (output outbound_public_ip)."
}

variable "create_private_dns_zones" {
  type        = bool
  default     = true
  description = "Create the private DNS zones of the private endpoints and link them to the virtual network. false when a hub's zones or an Azure Policy (DeployIfNotExists) register private endpoints."
}

variable "operator_ip_rules" {
  type        = list(string)
  default     = []
  description = "With vnet_enabled: public addresses or CIDR ranges still admitted to storage and Key Vault (operators running azd deploy, the connector CLI or Durable Functions Monitor from outside the network). Empty: public access disabled."
}
