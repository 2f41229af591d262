variable "name" {
  description = "API name."
  type        = string
}

variable "integration_type" {
  description = "AWS_PROXY for a Lambda function, HTTP_PROXY for an HTTP backend."
  type        = string
  default     = "AWS_PROXY"
  validation {
    condition     = contains(["AWS_PROXY", "HTTP_PROXY"], var.integration_type)
    error_message = "integration_type must be AWS_PROXY or HTTP_PROXY."
  }
}

variable "integration_uri" {
  description = "Lambda invoke ARN (AWS_PROXY) or backend URL, may contain {proxy} (HTTP_PROXY)."
  type        = string
}

variable "lambda_function_name" {
  description = "Function to grant invoke permission to, for AWS_PROXY; empty otherwise."
  type        = string
  default     = ""
}

variable "route_keys" {
  description = "Routes sent to the integration, e.g. [\"$default\"] or [\"ANY /backend/{proxy+}\"]."
  type        = list(string)
  default     = ["$default"]
}

variable "timeout_ms" {
  description = "Integration timeout in milliseconds (50-30000)."
  type        = number
  default     = 30000
  validation {
    condition     = var.timeout_ms >= 50 && var.timeout_ms <= 30000
    error_message = "timeout_ms must be 50-30000."
  }
}

variable "throttle_rate_limit" {
  description = "Steady-state requests per second for the default route settings."
  type        = number
  default     = 100
}

variable "throttle_burst_limit" {
  description = "Burst requests for the default route settings."
  type        = number
  default     = 200
}

variable "cors_allow_origins" {
  description = "Origins allowed by CORS; empty disables the CORS configuration."
  type        = list(string)
  default     = []
}

variable "jwt_issuer" {
  description = "Issuer URL of a JWT authorizer applied to all routes; empty means no authorizer."
  type        = string
  default     = ""
}

variable "jwt_audience" {
  description = "Accepted audiences for the JWT authorizer."
  type        = list(string)
  default     = []
}

variable "log_retention_days" {
  description = "Retention of the access log group."
  type        = number
  default     = 30
}
