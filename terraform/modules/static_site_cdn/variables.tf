variable "name" {
  description = "Name prefix for the distribution, origin access control and bucket."
  type        = string
}

variable "bucket_name" {
  description = "Name of the private S3 bucket holding the static files."
  type        = string
}

variable "force_destroy" {
  description = "Allow deleting the bucket while it holds objects (dev only)."
  type        = bool
  default     = false
}

variable "aliases" {
  description = "Custom domain names served by the distribution; needs acm_certificate_arn."
  type        = list(string)
  default     = []
}

variable "acm_certificate_arn" {
  description = "us-east-1 ACM certificate for the aliases; null uses the cloudfront.net certificate."
  type        = string
  default     = null
}

variable "price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"
  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "default_root_object" {
  description = "Object served for the root URL; empty for none (e.g. when the default origin is an app)."
  type        = string
  default     = "index.html"
}

variable "spa_fallback" {
  description = "Answer 403/404 from S3 with /index.html (single-page apps); only when S3 is the default origin."
  type        = bool
  default     = true
}

variable "custom_origins" {
  description = "Extra HTTPS origins (API Gateway, Lambda function URLs), each with the path patterns routed to it."
  type = list(object({
    origin_id     = string
    domain_name   = string
    path_patterns = list(string)
    origin_path   = optional(string, "")
  }))
  default = []
}

variable "default_origin_id" {
  description = "Origin for the default cache behaviour: \"s3\" or one of the custom origin ids."
  type        = string
  default     = "s3"
}

variable "s3_path_patterns" {
  description = "Path patterns served from S3 when the default origin is a custom one, e.g. /_next/static/*."
  type        = list(string)
  default     = []
}

variable "origin_verify_header_enabled" {
  description = "Send an X-Origin-Verify header to custom origins so they can reject requests that bypass CloudFront."
  type        = bool
  default     = false
}

variable "origin_verify_header_value" {
  description = "Value of the X-Origin-Verify header."
  type        = string
  default     = ""
  sensitive   = true
}

variable "web_acl_arn" {
  description = "Optional WAF (CLOUDFRONT scope) web ACL ARN."
  type        = string
  default     = null
}

variable "bucket_lifecycle_rules" {
  description = "Lifecycle rules for the static bucket (see the s3_bucket module)."
  type        = any
  default     = []
}
