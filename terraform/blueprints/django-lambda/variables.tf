# The portal context (name, tier, team, ...) is in portal_context.tf and the region in
# aws_region.tf, both shared with the other blueprints.

# Form fields (each has an entry in blueprint.yaml).
variable "image_uri" {
  description = "ECR image of the Django app (Python 3.13 Lambda container image)."
  type        = string
  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$", var.image_uri))
    error_message = "image_uri must be an ECR image URI with a tag or digest."
  }
}

variable "lambda_memory_mb" {
  description = "Memory of the Django function in MB (seed: 512 dev/staging, 1024 production)."
  type        = number
  default     = 512
  validation {
    condition     = var.lambda_memory_mb >= 256 && var.lambda_memory_mb <= 10240
    error_message = "lambda_memory_mb must be 256-10240."
  }
}

variable "lambda_timeout_seconds" {
  description = "Timeout of the Django function in seconds (seed: 30)."
  type        = number
  default     = 30
  validation {
    condition     = var.lambda_timeout_seconds >= 3 && var.lambda_timeout_seconds <= 900
    error_message = "lambda_timeout_seconds must be 3-900."
  }
}

variable "keep_warm_minutes" {
  description = "Ping the function every N minutes to avoid cold starts; 0 turns keep-warm off (seed: off dev, 10 staging, 4 production)."
  type        = number
  default     = 0
  validation {
    condition     = var.keep_warm_minutes == 0 || (var.keep_warm_minutes >= 1 && var.keep_warm_minutes <= 60)
    error_message = "keep_warm_minutes must be 0 or 1-60."
  }
}

variable "enable_xray" {
  description = "Active X-Ray tracing on the function and API stage (seed: production)."
  type        = bool
  default     = false
}

variable "api_throttle_rate_limit" {
  description = "API Gateway steady-state requests per second."
  type        = number
  default     = 20
  validation {
    condition     = var.api_throttle_rate_limit >= 1 && var.api_throttle_rate_limit <= 10000
    error_message = "api_throttle_rate_limit must be 1-10000."
  }
}

variable "api_throttle_burst_limit" {
  description = "API Gateway burst requests."
  type        = number
  default     = 40
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

variable "database_mode" {
  description = "shared: use an existing PostgreSQL (dev/staging share one); dedicated: create an RDS instance for this environment."
  type        = string
  default     = "shared"
  validation {
    condition     = contains(["shared", "dedicated"], var.database_mode)
    error_message = "database_mode must be shared or dedicated."
  }
}

variable "shared_database_secret_arn" {
  description = "Secrets Manager secret with the shared database's connection details (host, port, dbname, username, password)."
  type        = string
  default     = ""
  validation {
    condition     = var.shared_database_secret_arn == "" || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.shared_database_secret_arn))
    error_message = "shared_database_secret_arn must be empty or a Secrets Manager secret ARN."
  }
}

variable "shared_database_subnet_ids" {
  description = "Private subnets from which the shared database is reachable; the function joins them."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for s in var.shared_database_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "shared_database_subnet_ids must be subnet ids."
  }
}

variable "shared_database_client_security_group_id" {
  description = "Security group the shared database admits on 5432; attached to the function and import task."
  type        = string
  default     = ""
  validation {
    condition     = var.shared_database_client_security_group_id == "" || can(regex("^sg-[0-9a-f]{8,17}$", var.shared_database_client_security_group_id))
    error_message = "shared_database_client_security_group_id must be empty or a security group id."
  }
}

variable "db_instance_class" {
  description = "Instance class of the dedicated database (seed: db.t3.micro dev to db.t3.small production)."
  type        = string
  default     = "db.t3.micro"
  validation {
    condition     = contains(["db.t3.micro", "db.t3.small", "db.t3.medium", "db.t4g.micro", "db.t4g.small", "db.t4g.medium", "db.m7g.large"], var.db_instance_class)
    error_message = "db_instance_class must be one of the offered classes."
  }
}

variable "db_allocated_storage_gb" {
  description = "Initial gp3 storage of the dedicated database in GB (seed: 20)."
  type        = number
  default     = 20
  validation {
    condition     = var.db_allocated_storage_gb >= 20 && var.db_allocated_storage_gb <= 1000
    error_message = "db_allocated_storage_gb must be 20-1000."
  }
}

variable "db_max_allocated_storage_gb" {
  description = "Storage autoscaling ceiling in GB."
  type        = number
  default     = 100
  validation {
    condition     = var.db_max_allocated_storage_gb >= 20 && var.db_max_allocated_storage_gb <= 2000
    error_message = "db_max_allocated_storage_gb must be 20-2000."
  }
}

variable "db_backup_retention_days" {
  description = "Automated backup and point-in-time recovery window in days (seed: 7)."
  type        = number
  default     = 7
  validation {
    condition     = var.db_backup_retention_days >= 1 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be 1-35."
  }
}

variable "db_deletion_protection" {
  description = "Protect the dedicated database from deletion and keep a final snapshot."
  type        = bool
  default     = true
}

variable "import_task_cpu" {
  description = "CPU units of the Fargate import task (seed: 2 vCPU = 2048)."
  type        = number
  default     = 2048
  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.import_task_cpu)
    error_message = "import_task_cpu must be a Fargate CPU size (256-16384)."
  }
}

variable "import_task_memory_mb" {
  description = "Memory of the Fargate import task in MB (seed: 4 GB = 4096); must suit the CPU size."
  type        = number
  default     = 4096
  validation {
    condition     = var.import_task_memory_mb >= 512 && var.import_task_memory_mb <= 122880
    error_message = "import_task_memory_mb must be 512-122880."
  }
}

variable "import_image_uri" {
  description = "Image of the TIGER/shapefile import task; empty reuses image_uri."
  type        = string
  default     = ""
  validation {
    condition     = var.import_image_uri == "" || can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$", var.import_image_uri))
    error_message = "import_image_uri must be empty or an ECR image URI."
  }
}

variable "vpc_cidr" {
  description = "CIDR of the VPC created in dedicated mode."
  type        = string
  default     = "10.40.0.0/16"
  validation {
    condition     = can(cidrnetmask(var.vpc_cidr))
    error_message = "vpc_cidr must be a valid IPv4 CIDR."
  }
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention (seed: 7 days for cost)."
  type        = number
  default     = 7
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

variable "api_domain_name" {
  description = "Optional custom domain for the API (regional ACM certificate); empty uses the execute-api URL."
  type        = string
  default     = ""
  validation {
    condition     = var.api_domain_name == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,}$", var.api_domain_name))
    error_message = "api_domain_name must be empty or a lowercase DNS name."
  }
}

variable "hosted_zone_id" {
  description = "Route 53 hosted zone of api_domain_name."
  type        = string
  default     = ""
  validation {
    condition     = var.hosted_zone_id == "" || can(regex("^Z[A-Z0-9]{1,31}$", var.hosted_zone_id))
    error_message = "hosted_zone_id must be empty or a Route 53 zone id (Z...)."
  }
}

variable "django_secret_key" {
  description = "Django SECRET_KEY stored in Secrets Manager; empty leaves the secret for operators to fill."
  type        = string
  default     = ""
  sensitive   = true
}
