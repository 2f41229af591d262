variable "name" {
  description = "Secret name, e.g. <environment>/app."
  type        = string
}

variable "description" {
  description = "What the secret holds."
  type        = string
  default     = ""
}

variable "kms_key_id" {
  description = "KMS key ARN or id to encrypt the secret; null uses the aws/secretsmanager key."
  type        = string
  default     = null
}

variable "recovery_window_in_days" {
  description = "Days a deleted secret can still be restored (0 deletes at once, 7-30 otherwise)."
  type        = number
  default     = 7
  validation {
    condition     = var.recovery_window_in_days == 0 || (var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30)
    error_message = "recovery_window_in_days must be 0 or 7-30."
  }
}

variable "create_version" {
  description = "Write secret_string as the first version. Kept separate from the value because a sensitive value cannot decide a count."
  type        = bool
  default     = false
}

variable "secret_string" {
  description = "Secret value (usually JSON). Only used when create_version is true."
  type        = string
  default     = null
  sensitive   = true
}
