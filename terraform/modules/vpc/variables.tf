variable "name" {
  description = "Name prefix for the VPC and its parts."
  type        = string
}

variable "cidr_block" {
  description = "VPC IPv4 CIDR; each subnet gets a /20 when the VPC is a /16."
  type        = string
  default     = "10.0.0.0/16"
  validation {
    condition     = can(cidrnetmask(var.cidr_block))
    error_message = "cidr_block must be a valid IPv4 CIDR."
  }
}

variable "az_count" {
  description = "Number of availability zones to spread subnets over (1-3)."
  type        = number
  default     = 2
  validation {
    condition     = var.az_count >= 1 && var.az_count <= 3
    error_message = "az_count must be 1-3."
  }
}

variable "create_public_subnets" {
  description = "Create public subnets with an internet gateway."
  type        = bool
  default     = true
}

variable "create_private_subnets" {
  description = "Create private subnets (no route to the internet unless NAT is on)."
  type        = bool
  default     = true
}

variable "nat_gateway_mode" {
  description = "none, single (one NAT for all AZs, cheaper) or per_az (one per AZ, highly available)."
  type        = string
  default     = "none"
  validation {
    condition     = contains(["none", "single", "per_az"], var.nat_gateway_mode)
    error_message = "nat_gateway_mode must be none, single or per_az."
  }
}

variable "gateway_endpoints" {
  description = "Free gateway endpoints for the private route tables: s3 and/or dynamodb."
  type        = list(string)
  default     = ["s3"]
  validation {
    condition     = alltrue([for e in var.gateway_endpoints : contains(["s3", "dynamodb"], e)])
    error_message = "gateway_endpoints may only contain s3 and dynamodb."
  }
}

variable "interface_endpoints" {
  description = "Interface endpoint service suffixes (e.g. secretsmanager, logs, ecr.api) placed in the private subnets."
  type        = list(string)
  default     = []
}

variable "flow_logs_enabled" {
  description = "Send VPC flow logs (rejected traffic) to CloudWatch Logs."
  type        = bool
  default     = false
}

variable "flow_log_retention_days" {
  description = "Retention of the flow log group."
  type        = number
  default     = 30
}

variable "public_subnet_tags" {
  description = "Extra tags on public subnets (e.g. kubernetes.io/role/elb)."
  type        = map(string)
  default     = {}
}

variable "private_subnet_tags" {
  description = "Extra tags on private subnets (e.g. kubernetes.io/role/internal-elb)."
  type        = map(string)
  default     = {}
}
