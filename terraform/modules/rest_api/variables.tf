variable "name" {
  description = "API name."
  type        = string
}

variable "lambda_function_name" {
  description = "Name of the Lambda function every route proxies to."
  type        = string
}

variable "lambda_invoke_arn" {
  description = "Invoke ARN of that Lambda function."
  type        = string
}

variable "stage_name" {
  description = "Stage name, part of the invoke URL."
  type        = string
  default     = "api"
}

variable "integration_timeout_ms" {
  description = "Integration timeout in milliseconds (50-29000)."
  type        = number
  default     = 29000
  validation {
    condition     = var.integration_timeout_ms >= 50 && var.integration_timeout_ms <= 29000
    error_message = "integration_timeout_ms must be 50-29000."
  }
}

variable "throttle_rate_limit" {
  description = "Steady-state requests per second across the stage."
  type        = number
  default     = 100
}

variable "throttle_burst_limit" {
  description = "Burst of requests allowed above the rate limit."
  type        = number
  default     = 200
}

variable "xray_tracing_enabled" {
  description = "Trace requests through API Gateway with X-Ray."
  type        = bool
  default     = false
}

variable "access_logs_enabled" {
  description = "Write JSON access logs. Needs the account-level API Gateway CloudWatch role, set once per account and region."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the access log group."
  type        = number
  default     = 30
}

variable "domain_name" {
  description = "Custom domain for the API; empty uses the execute-api URL only."
  type        = string
  default     = ""
}

variable "certificate_arn" {
  description = "Regional ACM certificate for domain_name."
  type        = string
  default     = null
}

variable "hosted_zone_id" {
  description = "Route 53 zone in which to create the alias for domain_name."
  type        = string
  default     = null
}
