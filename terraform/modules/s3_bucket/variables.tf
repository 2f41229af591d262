variable "bucket_name" {
  description = "Globally unique bucket name."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 lowercase letters, digits, dots or hyphens."
  }
}

variable "force_destroy" {
  description = "Allow Terraform to delete the bucket even when it still holds objects (dev only)."
  type        = bool
  default     = false
}

variable "versioning_enabled" {
  description = "Keep every version of every object."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key for SSE-KMS default encryption; null uses SSE-S3 (AES256)."
  type        = string
  default     = null
}

variable "lifecycle_rules" {
  description = "Lifecycle rules. Days set to null leave that action out."
  type = list(object({
    id                                  = string
    prefix                              = optional(string, "")
    transition_days                     = optional(number)
    transition_storage_class            = optional(string, "STANDARD_IA")
    expiration_days                     = optional(number)
    noncurrent_transition_days          = optional(number)
    noncurrent_transition_storage_class = optional(string, "GLACIER")
    noncurrent_expiration_days          = optional(number)
    abort_incomplete_upload_days        = optional(number, 7)
  }))
  default = []
}

variable "policy_documents" {
  description = "Extra bucket policy JSON documents merged with the deny-insecure-transport statement."
  type        = list(string)
  default     = []
}
