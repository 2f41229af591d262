# The portal context (name, tier, team, ...) is in portal_context.tf and the region in
# aws_region.tf, both shared with the other blueprints.

# Form fields (each has an entry in blueprint.yaml).
variable "lambda_code_s3_bucket" {
  description = "S3 bucket holding the API's deployment zip (uploaded by CI)."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.lambda_code_s3_bucket))
    error_message = "lambda_code_s3_bucket must be a valid S3 bucket name."
  }
}

variable "lambda_code_s3_key" {
  description = "Object key of the deployment zip, e.g. api/1.4.2.zip."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()/-]+\\.zip$", var.lambda_code_s3_key))
    error_message = "lambda_code_s3_key must be an S3 key ending in .zip."
  }
}

variable "lambda_runtime" {
  description = "Python runtime of the API function."
  type        = string
  default     = "python3.12"
  validation {
    condition     = contains(["python3.11", "python3.12", "python3.13"], var.lambda_runtime)
    error_message = "lambda_runtime must be python3.11, python3.12 or python3.13."
  }
}

variable "lambda_handler" {
  description = "Handler of the API function (module.function)."
  type        = string
  default     = "app.main.handler"
  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_.]*\\.[A-Za-z_][A-Za-z0-9_]*$", var.lambda_handler))
    error_message = "lambda_handler must look like package.module.function."
  }
}

variable "lambda_memory_mb" {
  description = "Memory of the API function in MB; CPU scales with it."
  type        = number
  default     = 512
  validation {
    condition     = var.lambda_memory_mb >= 128 && var.lambda_memory_mb <= 10240
    error_message = "lambda_memory_mb must be 128-10240."
  }
}

variable "lambda_timeout_seconds" {
  description = "Timeout of the API function; API Gateway stops waiting after 29 s."
  type        = number
  default     = 29
  validation {
    condition     = var.lambda_timeout_seconds >= 3 && var.lambda_timeout_seconds <= 29
    error_message = "lambda_timeout_seconds must be 3-29."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Concurrent executions reserved for the API (-1 = share the account pool of 1000)."
  type        = number
  default     = -1
  validation {
    condition     = var.lambda_reserved_concurrency >= -1 && var.lambda_reserved_concurrency <= 1000
    error_message = "lambda_reserved_concurrency must be -1 to 1000."
  }
}

variable "api_throttle_rate_limit" {
  description = "API Gateway steady-state requests per second."
  type        = number
  default     = 50
  validation {
    condition     = var.api_throttle_rate_limit >= 1 && var.api_throttle_rate_limit <= 10000
    error_message = "api_throttle_rate_limit must be 1-10000."
  }
}

variable "api_throttle_burst_limit" {
  description = "API Gateway burst requests."
  type        = number
  default     = 100
  validation {
    condition     = var.api_throttle_burst_limit >= 1 && var.api_throttle_burst_limit <= 5000
    error_message = "api_throttle_burst_limit must be 1-5000."
  }
}

variable "api_access_logging" {
  description = "Write API Gateway access logs (needs the account-level API Gateway CloudWatch role)."
  type        = bool
  default     = true
}

variable "dynamodb_gsi_names" {
  description = "Global secondary indexes of the single table; each NAME is keyed on NAMEPK/NAMESK."
  type        = list(string)
  default     = ["GSI1", "GSI2"]
  validation {
    condition     = length(var.dynamodb_gsi_names) <= 20 && alltrue([for n in var.dynamodb_gsi_names : can(regex("^[A-Za-z][A-Za-z0-9]{0,29}$", n))])
    error_message = "Up to 20 GSI names, letters and digits only."
  }
}

variable "deletion_protection" {
  description = "Protect the DynamoDB table from deletion."
  type        = bool
  default     = false
}

variable "enable_daily_export" {
  description = "Export the table to S3 every day at 02:00 UTC (on top of PITR)."
  type        = bool
  default     = false
}

variable "export_retention_days" {
  description = "Days to keep daily table exports."
  type        = number
  default     = 30
  validation {
    condition     = var.export_retention_days >= 1 && var.export_retention_days <= 3650
    error_message = "export_retention_days must be 1-3650."
  }
}

variable "domain_name" {
  description = "Custom domain for the web app (the API gets api.<domain>); empty uses AWS host names."
  type        = string
  default     = ""
  validation {
    condition     = var.domain_name == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be empty or a lowercase DNS name."
  }
}

variable "hosted_zone_id" {
  description = "Route 53 hosted zone of domain_name (needed when domain_name is set)."
  type        = string
  default     = ""
  validation {
    condition     = var.hosted_zone_id == "" || can(regex("^Z[A-Z0-9]{1,31}$", var.hosted_zone_id))
    error_message = "hosted_zone_id must be empty or a Route 53 zone id (Z...)."
  }
}

variable "cloudfront_price_class" {
  description = "CloudFront edge locations to use (cost versus reach)."
  type        = string
  default     = "PriceClass_100"
  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.cloudfront_price_class)
    error_message = "cloudfront_price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention for the function and API logs."
  type        = number
  default     = 30
  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 180, 365], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 180, 365."
  }
}

variable "alarm_email" {
  description = "Email address that receives alarm notifications (SNS)."
  type        = string
  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an email address."
  }
}

variable "alarm_lambda_error_rate_percent" {
  description = "Alarm when the function's error rate exceeds this percentage over 5 minutes."
  type        = number
  default     = 5
  validation {
    condition     = var.alarm_lambda_error_rate_percent > 0 && var.alarm_lambda_error_rate_percent <= 100
    error_message = "alarm_lambda_error_rate_percent must be above 0 and at most 100."
  }
}

variable "alarm_api_5xx_per_minute" {
  description = "Alarm when API Gateway returns more 5xx responses than this in one minute."
  type        = number
  default     = 10
  validation {
    condition     = var.alarm_api_5xx_per_minute >= 1
    error_message = "alarm_api_5xx_per_minute must be at least 1."
  }
}

variable "jwt_secret_key" {
  description = "JWT signing key stored in Secrets Manager; empty leaves the secret for operators to fill."
  type        = string
  default     = ""
  sensitive   = true
}

variable "oauth_client_id" {
  description = "OAuth (BlueSky) client id, stored with the app secret."
  type        = string
  default     = ""
}

variable "oauth_client_secret" {
  description = "OAuth (BlueSky) client secret, stored with the app secret."
  type        = string
  default     = ""
  sensitive   = true
}
