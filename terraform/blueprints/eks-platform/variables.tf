# The portal context (name, tier, team, ...) is in portal_context.tf and the region in
# aws_region.tf, both shared with the other blueprints.

# Form fields (each has an entry in blueprint.yaml).
variable "vpc_cidr" {
  description = "CIDR of the VPC."
  type        = string
  default     = "10.60.0.0/16"
  validation {
    condition     = can(cidrnetmask(var.vpc_cidr))
    error_message = "vpc_cidr must be a valid IPv4 CIDR."
  }
}

variable "az_count" {
  description = "Availability zones to spread subnets, NAT and the database standby over (2-3)."
  type        = number
  default     = 2
  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3."
  }
}

variable "nat_gateway_mode" {
  description = "single (one NAT gateway, cheaper) or per_az (one per AZ, survives an AZ outage)."
  type        = string
  default     = "single"
  validation {
    condition     = contains(["single", "per_az"], var.nat_gateway_mode)
    error_message = "nat_gateway_mode must be single or per_az."
  }
}

variable "eks_version" {
  description = "Kubernetes version of the EKS cluster."
  type        = string
  default     = "1.33"
  validation {
    condition     = contains(["1.31", "1.32", "1.33", "1.34"], var.eks_version)
    error_message = "eks_version must be 1.31, 1.32, 1.33 or 1.34."
  }
}

variable "eks_public_endpoint" {
  description = "Expose the Kubernetes API endpoint publicly (restricted to eks_public_access_cidrs)."
  type        = bool
  default     = false
}

# Never the whole internet: the Kubernetes API is the cluster's control plane.
variable "eks_public_access_cidrs" {
  description = "CIDRs allowed to reach the public Kubernetes API endpoint (office or VPN ranges)."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for c in var.eks_public_access_cidrs : can(cidrnetmask(c)) && c != "0.0.0.0/0"])
    error_message = "eks_public_access_cidrs must be IPv4 CIDRs, and not 0.0.0.0/0."
  }
}

variable "fargate_namespaces" {
  description = "Kubernetes namespaces whose pods run on Fargate (kube-system CoreDNS is always added)."
  type        = list(string)
  default     = ["default", "apps", "jobs"]
  validation {
    condition     = length(var.fargate_namespaces) >= 1 && alltrue([for n in var.fargate_namespaces : can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", n)) && n != "kube-system"])
    error_message = "fargate_namespaces must be DNS-label namespace names other than kube-system."
  }
}

variable "app_port" {
  description = "Container port the ALB target group sends traffic to."
  type        = number
  default     = 8000
  validation {
    condition     = var.app_port >= 1 && var.app_port <= 65535
    error_message = "app_port must be 1-65535."
  }
}

variable "app_health_check_path" {
  description = "HTTP path the ALB uses to check pod health."
  type        = string
  default     = "/health"
  validation {
    condition     = can(regex("^/[A-Za-z0-9/_.-]*$", var.app_health_check_path))
    error_message = "app_health_check_path must start with / ."
  }
}

variable "certificate_arn" {
  description = "Regional ACM certificate for the ALB's HTTPS listener; empty serves plain HTTP only."
  type        = string
  default     = ""
  validation {
    condition     = var.certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$", var.certificate_arn))
    error_message = "certificate_arn must be empty or an ACM certificate ARN."
  }
}

variable "domain_name" {
  description = "DNS name pointed at the ALB; empty skips the Route 53 record."
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

variable "db_instance_class" {
  description = "RDS PostgreSQL instance class."
  type        = string
  default     = "db.t4g.micro"
  validation {
    condition     = contains(["db.t4g.micro", "db.t4g.small", "db.t4g.medium", "db.t4g.large", "db.m7g.large", "db.m7g.xlarge", "db.r7g.large", "db.r7g.xlarge"], var.db_instance_class)
    error_message = "db_instance_class must be one of the offered classes."
  }
}

variable "db_engine_version" {
  description = "PostgreSQL major version (pgvector is available on RDS for both)."
  type        = string
  default     = "16"
  validation {
    condition     = contains(["16", "17"], var.db_engine_version)
    error_message = "db_engine_version must be 16 or 17."
  }
}

variable "db_allocated_storage_gb" {
  description = "Initial gp3 storage in GB."
  type        = number
  default     = 50
  validation {
    condition     = var.db_allocated_storage_gb >= 20 && var.db_allocated_storage_gb <= 16000
    error_message = "db_allocated_storage_gb must be 20-16000."
  }
}

variable "db_max_allocated_storage_gb" {
  description = "Storage autoscaling ceiling in GB."
  type        = number
  default     = 500
  validation {
    condition     = var.db_max_allocated_storage_gb >= 20 && var.db_max_allocated_storage_gb <= 16000
    error_message = "db_max_allocated_storage_gb must be 20-16000."
  }
}

variable "db_multi_az" {
  description = "Synchronous standby in another AZ (seed: Multi-AZ for critical components in prod)."
  type        = bool
  default     = false
}

variable "db_backup_retention_days" {
  description = "Automated backups and point-in-time recovery window in days (seed: e.g. 30)."
  type        = number
  default     = 7
  validation {
    condition     = var.db_backup_retention_days >= 1 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be 1-35."
  }
}

variable "db_deletion_protection" {
  description = "Protect the database from deletion and keep a final snapshot."
  type        = bool
  default     = false
}

variable "s3_glacier_transition_days" {
  description = "Move objects to Glacier Instant Retrieval after this many days (seed: Glacier for older data)."
  type        = number
  default     = 90
  validation {
    condition     = var.s3_glacier_transition_days >= 30 && var.s3_glacier_transition_days <= 3650
    error_message = "s3_glacier_transition_days must be 30-3650."
  }
}

variable "s3_noncurrent_expiration_days" {
  description = "Delete old object versions after this many days."
  type        = number
  default     = 90
  validation {
    condition     = var.s3_noncurrent_expiration_days >= 1 && var.s3_noncurrent_expiration_days <= 3650
    error_message = "s3_noncurrent_expiration_days must be 1-3650."
  }
}

variable "enable_s3_replication" {
  description = "Replicate the data bucket to another region (seed: cross-region replication for DR)."
  type        = bool
  default     = false
}

variable "replica_region" {
  description = "Region of the replica bucket; must differ from the deployment region."
  type        = string
  default     = "us-west-2"
  validation {
    condition     = contains(["us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2", "eu-central-1", "eu-north-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1"], var.replica_region)
    error_message = "replica_region must be one of the regions the platform supports."
  }
}

variable "sqs_visibility_timeout_seconds" {
  description = "How long a received message stays hidden from other workers."
  type        = number
  default     = 60
  validation {
    condition     = var.sqs_visibility_timeout_seconds >= 0 && var.sqs_visibility_timeout_seconds <= 43200
    error_message = "sqs_visibility_timeout_seconds must be 0-43200."
  }
}

variable "sqs_message_retention_seconds" {
  description = "How long unprocessed messages are kept (60 s - 14 days)."
  type        = number
  default     = 345600
  validation {
    condition     = var.sqs_message_retention_seconds >= 60 && var.sqs_message_retention_seconds <= 1209600
    error_message = "sqs_message_retention_seconds must be 60-1209600."
  }
}

variable "sqs_max_receive_count" {
  description = "Receives before a message moves to the dead-letter queue."
  type        = number
  default     = 5
  validation {
    condition     = var.sqs_max_receive_count >= 1 && var.sqs_max_receive_count <= 1000
    error_message = "sqs_max_receive_count must be 1-1000."
  }
}

variable "waf_rate_limit_per_5min" {
  description = "Requests one IP may make in 5 minutes before WAF blocks it."
  type        = number
  default     = 2000
  validation {
    condition     = var.waf_rate_limit_per_5min >= 100 && var.waf_rate_limit_per_5min <= 2000000000
    error_message = "waf_rate_limit_per_5min must be at least 100."
  }
}

variable "enable_cloudtrail" {
  description = "Create a multi-region CloudTrail trail for this environment (off if the organisation already has one)."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention for cluster, trail and flow logs."
  type        = number
  default     = 30
  validation {
    condition     = contains([7, 14, 30, 60, 90, 180, 365, 731], var.log_retention_days)
    error_message = "log_retention_days must be one of 7, 14, 30, 60, 90, 180, 365, 731."
  }
}

variable "alarm_email" {
  description = "Email address for non-urgent alarm notifications (seed: email for non-urgent)."
  type        = string
  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an email address."
  }
}
