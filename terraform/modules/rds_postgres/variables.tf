variable "identifier" {
  description = "DB instance identifier; also names the subnet group, parameter group and security group."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL version, major (\"16\") or major.minor (\"16.8\")."
  type        = string
  default     = "16"
}

variable "instance_class" {
  description = "Instance class, e.g. db.t4g.micro."
  type        = string
}

variable "allocated_storage" {
  description = "Initial gp3 storage in GB."
  type        = number
  default     = 20
}

variable "max_allocated_storage" {
  description = "Storage autoscaling ceiling in GB; equal to allocated_storage turns autoscaling off."
  type        = number
  default     = 100
}

variable "db_name" {
  description = "Name of the initial database."
  type        = string
  default     = "app"
}

variable "master_username" {
  description = "Master user name; its password is generated and kept in Secrets Manager by RDS."
  type        = string
  default     = "app_admin"
}

variable "multi_az" {
  description = "Run a synchronous standby in a second AZ."
  type        = bool
  default     = false
}

variable "backup_retention_days" {
  description = "Automated backup (and point-in-time recovery) window in days, 1-35."
  type        = number
  default     = 7
  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be 1-35."
  }
}

variable "backup_window" {
  description = "Daily backup window (UTC)."
  type        = string
  default     = "03:00-04:00"
}

variable "maintenance_window" {
  description = "Weekly maintenance window (UTC)."
  type        = string
  default     = "sun:04:30-sun:05:30"
}

variable "deletion_protection" {
  description = "Refuse to delete the instance."
  type        = bool
  default     = true
}

variable "skip_final_snapshot" {
  description = "Skip the final snapshot on destroy (dev only)."
  type        = bool
  default     = false
}

variable "vpc_id" {
  description = "VPC of the instance."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (at least two AZs) for the subnet group."
  type        = list(string)
}

variable "allowed_security_group_ids" {
  description = "Security groups allowed to connect on 5432."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "KMS key for storage encryption; null uses the aws/rds key."
  type        = string
  default     = null
}

variable "performance_insights_enabled" {
  description = "Enable Performance Insights (not on the smallest burstable classes)."
  type        = bool
  default     = false
}

variable "parameters" {
  description = "Extra parameter group settings."
  type = list(object({
    name         = string
    value        = string
    apply_method = optional(string, "pending-reboot")
  }))
  default = []
}
