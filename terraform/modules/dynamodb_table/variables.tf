variable "table_name" {
  description = "Table name."
  type        = string
}

variable "hash_key" {
  description = "Partition key attribute name."
  type        = string
  default     = "PK"
}

variable "hash_key_type" {
  description = "Partition key type: S, N or B."
  type        = string
  default     = "S"
  validation {
    condition     = contains(["S", "N", "B"], var.hash_key_type)
    error_message = "hash_key_type must be S, N or B."
  }
}

variable "range_key" {
  description = "Sort key attribute name, or null for a hash-only table."
  type        = string
  default     = null
}

variable "range_key_type" {
  description = "Sort key type: S, N or B."
  type        = string
  default     = "S"
  validation {
    condition     = contains(["S", "N", "B"], var.range_key_type)
    error_message = "range_key_type must be S, N or B."
  }
}

variable "global_secondary_indexes" {
  description = "Global secondary indexes; their key attributes are declared as strings unless typed."
  type = list(object({
    name               = string
    hash_key           = string
    hash_key_type      = optional(string, "S")
    range_key          = optional(string)
    range_key_type     = optional(string, "S")
    projection_type    = optional(string, "ALL")
    non_key_attributes = optional(list(string))
  }))
  default = []
}

variable "ttl_attribute" {
  description = "Attribute holding an expiry epoch time; empty disables TTL."
  type        = string
  default     = ""
}

variable "point_in_time_recovery" {
  description = "Enable continuous backups (point-in-time recovery)."
  type        = bool
  default     = true
}

variable "pitr_recovery_period_days" {
  description = "How many days back point-in-time recovery reaches (1-35)."
  type        = number
  default     = 35
  validation {
    condition     = var.pitr_recovery_period_days >= 1 && var.pitr_recovery_period_days <= 35
    error_message = "pitr_recovery_period_days must be 1-35."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the table."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "Customer managed KMS key; null uses the AWS owned key."
  type        = string
  default     = null
}

variable "stream_enabled" {
  description = "Enable DynamoDB Streams (NEW_AND_OLD_IMAGES)."
  type        = bool
  default     = false
}
