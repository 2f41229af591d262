# The portal context (name, tier, team, ...) is in portal_context.tf and the region in
# aws_region.tf, both shared with the other blueprints.

# Form fields (each has an entry in blueprint.yaml).
variable "ami_id" {
  description = "ARM64 AMI built by image.pkr.hcl (the portal fills it from its image inventory)."
  type        = string
  validation {
    condition     = can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id must be an AMI id (ami-...)."
  }
}

variable "instance_type" {
  description = "Graviton instance type of the server (seed: m7g.medium in production)."
  type        = string
  default     = "t4g.small"
  validation {
    condition     = contains(["t4g.small", "t4g.medium", "t4g.large", "m7g.medium", "m7g.large", "m7g.xlarge"], var.instance_type)
    error_message = "instance_type must be one of the offered Graviton (arm64) types."
  }
}

variable "data_volume_size_gb" {
  description = "Size of the gp3 /data volume holding PostgreSQL and Redis data (seed: 30 GB)."
  type        = number
  default     = 30
  validation {
    condition     = var.data_volume_size_gb >= 10 && var.data_volume_size_gb <= 16384
    error_message = "data_volume_size_gb must be 10-16384."
  }
}

variable "data_volume_iops" {
  description = "Provisioned IOPS of the gp3 data volume (3000 is included in the price)."
  type        = number
  default     = 3000
  validation {
    condition     = var.data_volume_iops >= 3000 && var.data_volume_iops <= 16000
    error_message = "data_volume_iops must be 3000-16000."
  }
}

variable "data_volume_throughput_mbps" {
  description = "Throughput of the gp3 data volume in MB/s (125 is included in the price)."
  type        = number
  default     = 125
  validation {
    condition     = var.data_volume_throughput_mbps >= 125 && var.data_volume_throughput_mbps <= 1000
    error_message = "data_volume_throughput_mbps must be 125-1000."
  }
}

variable "ssh_key_name" {
  description = "EC2 key pair for SSH; empty relies on SSM Session Manager only."
  type        = string
  default     = ""
}

variable "ssh_allowed_cidrs" {
  description = "CIDRs allowed to SSH (port 22); empty closes SSH (use Session Manager)."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for c in var.ssh_allowed_cidrs : can(cidrnetmask(c))])
    error_message = "ssh_allowed_cidrs must be IPv4 CIDRs."
  }
}

variable "nextjs_code_s3_bucket" {
  description = "S3 bucket holding the Next.js server function zip (e.g. an OpenNext build)."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.nextjs_code_s3_bucket))
    error_message = "nextjs_code_s3_bucket must be a valid S3 bucket name."
  }
}

variable "nextjs_code_s3_key" {
  description = "Object key of the Next.js server function zip."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()/-]+\\.zip$", var.nextjs_code_s3_key))
    error_message = "nextjs_code_s3_key must be an S3 key ending in .zip."
  }
}

variable "nextjs_memory_mb" {
  description = "Memory of the Next.js SSR function in MB."
  type        = number
  default     = 1024
  validation {
    condition     = var.nextjs_memory_mb >= 128 && var.nextjs_memory_mb <= 10240
    error_message = "nextjs_memory_mb must be 128-10240."
  }
}

variable "api_jwt_issuer" {
  description = "Issuer URL of a JWT authorizer on the HTTP API (e.g. Clerk); empty leaves auth to the API."
  type        = string
  default     = ""
  validation {
    condition     = var.api_jwt_issuer == "" || can(regex("^https://", var.api_jwt_issuer))
    error_message = "api_jwt_issuer must be empty or an https URL."
  }
}

variable "api_jwt_audience" {
  description = "Audiences accepted by the JWT authorizer."
  type        = list(string)
  default     = []
}

variable "domain_name" {
  description = "Site domain, e.g. zmanim.example.org; empty uses the cloudfront.net name."
  type        = string
  default     = ""
  validation {
    condition     = var.domain_name == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be empty or a lowercase DNS name."
  }
}

variable "hosted_zone_id" {
  description = "Route 53 hosted zone of domain_name."
  type        = string
  default     = ""
  validation {
    condition     = var.hosted_zone_id == "" || can(regex("^Z[A-Z0-9]{1,31}$", var.hosted_zone_id))
    error_message = "hosted_zone_id must be empty or a Route 53 zone id (Z...)."
  }
}

variable "cloudfront_price_class" {
  description = "CloudFront edge locations to use."
  type        = string
  default     = "PriceClass_100"
  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.cloudfront_price_class)
    error_message = "cloudfront_price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "enable_health_check" {
  description = "Route 53 health check on the API health URL with an alarm (seed: enableHealthCheck)."
  type        = bool
  default     = true
}

variable "health_check_path" {
  description = "Path checked through CloudFront (seed: /backend/api/v1/health)."
  type        = string
  default     = "/backend/api/v1/health"
  validation {
    condition     = can(regex("^/[A-Za-z0-9/_.-]*$", var.health_check_path))
    error_message = "health_check_path must start with / ."
  }
}

variable "health_check_search_string" {
  description = "Text the health response must contain (seed: healthy)."
  type        = string
  default     = "healthy"
  validation {
    condition     = length(var.health_check_search_string) >= 1 && length(var.health_check_search_string) <= 255
    error_message = "health_check_search_string must be 1-255 characters."
  }
}

variable "backup_retention_days" {
  description = "Days to keep pg_dump files in the backup bucket."
  type        = number
  default     = 30
  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 3650
    error_message = "backup_retention_days must be 1-3650."
  }
}

variable "snapshot_retention_count" {
  description = "Daily EBS snapshots of the data volume to keep (Data Lifecycle Manager)."
  type        = number
  default     = 7
  validation {
    condition     = var.snapshot_retention_count >= 1 && var.snapshot_retention_count <= 1000
    error_message = "snapshot_retention_count must be 1-1000."
  }
}

variable "ssm_secret_names" {
  description = "SecureString parameters created under /<name>/ with a placeholder value for operators to set (seed's SSM list)."
  type        = list(string)
  default     = ["postgres-password", "redis-password", "clerk-secret-key", "clerk-publishable-key", "jwt-secret", "restic-password", "mapbox-public-token", "mapbox-api-key"]
  validation {
    condition     = alltrue([for n in var.ssm_secret_names : can(regex("^[a-z0-9][a-z0-9-]{0,62}$", n))])
    error_message = "ssm_secret_names must be lowercase names with hyphens."
  }
}

variable "origin_verify_key" {
  description = "Shared secret CloudFront sends as X-Origin-Verify so the API can reject direct calls; stored in SSM."
  type        = string
  default     = ""
  sensitive   = true
}

variable "vpc_cidr" {
  description = "CIDR of the VPC (one public subnet)."
  type        = string
  default     = "10.50.0.0/16"
  validation {
    condition     = can(cidrnetmask(var.vpc_cidr))
    error_message = "vpc_cidr must be a valid IPv4 CIDR."
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
  description = "Email address that receives alarm notifications."
  type        = string
  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an email address."
  }
}
