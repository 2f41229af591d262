# The context every blueprint receives from the portal on every run (not form fields). Each
# blueprint links this file in as portal_context.tf, so the six root modules share one copy.
variable "name" {
  description = "Environment name, DNS-safe; prefixes every resource name."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "The name must be 3-32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "tier" {
  description = "Tier: dev, staging or prod."
  type        = string
  validation {
    condition     = contains(["dev", "staging", "prod"], var.tier)
    error_message = "The tier must be dev, staging or prod."
  }
}

variable "team" {
  description = "Owning team's slug, used in tags."
  type        = string
}

variable "cost_centre" {
  description = "Cost centre of the owning team, used in tags."
  type        = string
}

variable "blueprint" {
  description = "Blueprint slug, used in tags."
  type        = string
}

variable "blueprint_version" {
  description = "Blueprint version, used in tags."
  type        = string
}
