variable "function_name" {
  description = "Lambda function name; also names its role and log group."
  type        = string
}

variable "description" {
  description = "Function description."
  type        = string
  default     = ""
}

variable "package_type" {
  description = "Zip (code in S3) or Image (container image in ECR)."
  type        = string
  default     = "Zip"
  validation {
    condition     = contains(["Zip", "Image"], var.package_type)
    error_message = "package_type must be Zip or Image."
  }
}

variable "image_uri" {
  description = "ECR image URI, for package_type Image."
  type        = string
  default     = null
}

variable "image_command" {
  description = "Overrides the image CMD, for package_type Image; empty keeps the image's."
  type        = list(string)
  default     = []
}

variable "s3_bucket" {
  description = "Bucket holding the deployment zip, for package_type Zip."
  type        = string
  default     = null
}

variable "s3_key" {
  description = "Key of the deployment zip, for package_type Zip."
  type        = string
  default     = null
}

variable "runtime" {
  description = "Runtime identifier for package_type Zip, e.g. python3.12 or nodejs20.x."
  type        = string
  default     = "python3.12"
}

variable "handler" {
  description = "Handler for package_type Zip."
  type        = string
  default     = "app.handler"
}

variable "architecture" {
  description = "Instruction set: arm64 or x86_64."
  type        = string
  default     = "arm64"
  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "memory_size" {
  description = "Memory in MB (128-10240); CPU scales with it."
  type        = number
  default     = 512
  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be 128-10240."
  }
}

variable "timeout" {
  description = "Timeout in seconds (1-900)."
  type        = number
  default     = 30
  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be 1-900."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions; -1 leaves the function unreserved."
  type        = number
  default     = -1
}

variable "environment_variables" {
  description = "Environment variables (never secrets: pass secret ARNs instead)."
  type        = map(string)
  default     = {}
}

variable "tracing_mode" {
  description = "X-Ray tracing: Active or PassThrough."
  type        = string
  default     = "PassThrough"
  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention for the function's log group."
  type        = number
  default     = 30
}

variable "subnet_ids" {
  description = "Subnets to attach the function to; empty keeps it outside any VPC."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "Security groups for the VPC attachment."
  type        = list(string)
  default     = []
}

variable "policy_documents" {
  description = "IAM policy JSON documents granted to the function's role (inline)."
  type        = list(string)
  default     = []
}

variable "publish" {
  description = "Publish a numbered version on every change (for rollback)."
  type        = bool
  default     = true
}
