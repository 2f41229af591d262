# The portal context (name, tier, team, ...) is in portal_context.tf, shared by all blueprints.

# Form fields.
variable "app_replicas" {
  description = "How many application instances the sandbox pretends to run."
  type        = number
  default     = 1
  validation {
    condition     = var.app_replicas >= 1 && var.app_replicas <= 10 && floor(var.app_replicas) == var.app_replicas
    error_message = "The app_replicas must be a whole number from 1 to 10."
  }
}

variable "greeting" {
  description = "A message the sandbox writes to its log during apply."
  type        = string
  default     = "hello from the sandbox"
  validation {
    condition     = length(var.greeting) <= 200
    error_message = "The greeting must be at most 200 characters."
  }
}

variable "enable_cache" {
  description = "Whether to create the pretend cache."
  type        = bool
  default     = false
}

variable "cache_size_mb" {
  description = "Size of the pretend cache in MB (only with enable_cache)."
  type        = number
  default     = 256
  validation {
    condition     = var.cache_size_mb >= 64 && var.cache_size_mb <= 4096
    error_message = "The cache_size_mb must be between 64 and 4096."
  }
}

variable "apply_seconds" {
  description = "Seconds each instance takes to 'boot' during apply, to exercise live logs and cancels."
  type        = number
  default     = 0
  validation {
    condition     = var.apply_seconds >= 0 && var.apply_seconds <= 600
    error_message = "The apply_seconds must be between 0 and 600."
  }
}

variable "image_id" {
  description = "Id of the machine image the pretend instances boot from (empty for none)."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^[A-Za-z0-9:._-]{0,64}$", var.image_id))
    error_message = "The image_id must be at most 64 letters, digits or :._- characters."
  }
}

variable "api_token" {
  description = "A secret the sandbox app receives; the portal must never store or log it in clear."
  type        = string
  default     = ""
  sensitive   = true
}
