# The portal context (name, tier, team, ...) is in portal_context.tf and the region in
# aws_region.tf, both shared with the other blueprints.

# Form fields (each has an entry in blueprint.yaml).
variable "image_uri" {
  description = "ECR image of the Flask app with the Lambda Web Adapter."
  type        = string
  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$", var.image_uri))
    error_message = "image_uri must be an ECR image URI with a tag or digest."
  }
}

variable "lambda_memory_mb" {
  description = "Memory of the function in MB (seed: 512)."
  type        = number
  default     = 512
  validation {
    condition     = var.lambda_memory_mb >= 128 && var.lambda_memory_mb <= 10240
    error_message = "lambda_memory_mb must be 128-10240."
  }
}

variable "lambda_timeout_seconds" {
  description = "Timeout of the function in seconds (seed: 30)."
  type        = number
  default     = 30
  validation {
    condition     = var.lambda_timeout_seconds >= 3 && var.lambda_timeout_seconds <= 900
    error_message = "lambda_timeout_seconds must be 3-900."
  }
}

variable "use_api_gateway" {
  description = "Also put an HTTP API (API Gateway v2) in front of the function; the function URL always exists."
  type        = bool
  default     = false
}

variable "function_url_auth_type" {
  description = "Auth of the function URL: NONE (public) or AWS_IAM (signed requests only)."
  type        = string
  default     = "NONE"
  validation {
    condition     = contains(["NONE", "AWS_IAM"], var.function_url_auth_type)
    error_message = "function_url_auth_type must be NONE or AWS_IAM."
  }
}

variable "enable_xray" {
  description = "Active X-Ray tracing on the function."
  type        = bool
  default     = true
}

variable "aurora_engine_version" {
  description = "Aurora PostgreSQL version; auto-pause needs 13.15, 14.12, 15.7, 16.3 or later."
  type        = string
  default     = "16.6"
  validation {
    condition     = can(regex("^1[3-7]\\.[0-9]+$", var.aurora_engine_version))
    error_message = "aurora_engine_version must look like 16.6."
  }
}

variable "aurora_min_acu" {
  description = "Minimum Aurora capacity units when auto-pause is off (seed: 0.5)."
  type        = number
  default     = 0.5
  validation {
    condition     = var.aurora_min_acu >= 0.5 && var.aurora_min_acu <= 256
    error_message = "aurora_min_acu must be 0.5-256."
  }
}

variable "aurora_max_acu" {
  description = "Maximum Aurora capacity units (seed: 1 dev, 4-8 production)."
  type        = number
  default     = 1
  validation {
    condition     = var.aurora_max_acu >= 1 && var.aurora_max_acu <= 256
    error_message = "aurora_max_acu must be 1-256."
  }
}

variable "aurora_auto_pause" {
  description = "Let Aurora scale to 0 ACU and pause when idle (min capacity becomes 0)."
  type        = bool
  default     = true
}

variable "aurora_auto_pause_seconds" {
  description = "Idle seconds before Aurora pauses (seed: 5 minutes)."
  type        = number
  default     = 300
  validation {
    condition     = var.aurora_auto_pause_seconds >= 300 && var.aurora_auto_pause_seconds <= 86400
    error_message = "aurora_auto_pause_seconds must be 300-86400."
  }
}

variable "aurora_backup_retention_days" {
  description = "Aurora backup (point-in-time recovery) window in days (seed: 7-35 in production)."
  type        = number
  default     = 1
  validation {
    condition     = var.aurora_backup_retention_days >= 1 && var.aurora_backup_retention_days <= 35
    error_message = "aurora_backup_retention_days must be 1-35."
  }
}

variable "deletion_protection" {
  description = "Protect the Aurora cluster from deletion and keep a final snapshot."
  type        = bool
  default     = false
}

variable "vpc_cidr" {
  description = "CIDR of the VPC."
  type        = string
  default     = "10.30.0.0/16"
  validation {
    condition     = can(cidrnetmask(var.vpc_cidr))
    error_message = "vpc_cidr must be a valid IPv4 CIDR."
  }
}

variable "vpc_interface_endpoints" {
  description = "Interface endpoints in the private subnets (no NAT); the function needs secretsmanager."
  type        = list(string)
  default     = ["secretsmanager"]
  validation {
    condition     = contains(var.vpc_interface_endpoints, "secretsmanager")
    error_message = "vpc_interface_endpoints must include secretsmanager: the function reads the database secret."
  }
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention (seed: 14 days)."
  type        = number
  default     = 14
  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 180, 365], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 180, 365."
  }
}

variable "alarm_email" {
  description = "Email address for alarm and budget notifications."
  type        = string
  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an email address."
  }
}

variable "alarm_latency_p95_ms" {
  description = "Alarm when the function's p95 duration exceeds this many milliseconds."
  type        = number
  default     = 3000
  validation {
    condition     = var.alarm_latency_p95_ms >= 100
    error_message = "alarm_latency_p95_ms must be at least 100."
  }
}

variable "monthly_budget_usd" {
  description = "Monthly cost budget in USD for this environment's resources (seed: ~$45-50 in dev)."
  type        = number
  default     = 50
  validation {
    condition     = var.monthly_budget_usd >= 1 && var.monthly_budget_usd <= 100000
    error_message = "monthly_budget_usd must be 1-100000."
  }
}
