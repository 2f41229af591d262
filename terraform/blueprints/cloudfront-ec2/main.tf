data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id    = data.aws_caller_identity.current.account_id
  partition     = data.aws_partition.current.partition
  region        = data.aws_region.current.region
  is_prod       = var.tier == "prod"
  custom_domain = var.domain_name != ""
  site_host     = local.custom_domain ? var.domain_name : module.site.domain_name
  ssm_prefix    = "/${var.name}"
  verify_origin = nonsensitive(length(var.origin_verify_key) > 0)
}

# ---------------------------------------------------------------- network: one public subnet (seed)

module "vpc" {
  source = "../../modules/vpc"

  name                   = var.name
  cidr_block             = var.vpc_cidr
  az_count               = 1
  create_public_subnets  = true
  create_private_subnets = false
  nat_gateway_mode       = "none"
  gateway_endpoints      = []
}

resource "aws_security_group" "server" {
  name        = "${var.name}-server"
  description = "API server: HTTP from anywhere (API Gateway has no fixed IPs), SSH from allowed CIDRs"
  vpc_id      = module.vpc.vpc_id

  tags = { Name = "${var.name}-server" }
}

# Open to 0.0.0.0/0 on purpose: the HTTP API's HTTP_PROXY integration calls the server from
# API Gateway's shared public addresses, for which AWS publishes no prefix list. nginx listens on
# port 80 only (image.pkr.hcl), so 443 is not opened. Requests that skip API Gateway reach the
# same JWT-checked routes only if the app checks tokens itself; keep it doing so.
resource "aws_vpc_security_group_ingress_rule" "web" {
  # intentionally-public: API Gateway HTTP integrations come from AWS-owned addresses with no prefix list
  # checkov:skip=CKV_AWS_260: API Gateway HTTP_PROXY integrations reach the server from AWS-owned public addresses with no prefix list
  security_group_id = aws_security_group.server.id
  description       = "HTTP from API Gateway (public addresses, no prefix list)"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "ssh" {
  for_each          = toset(var.ssh_allowed_cidrs)
  security_group_id = aws_security_group.server.id
  description       = "SSH"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.server.id
  description       = "All outbound (updates, AWS APIs, backups)"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

# ---------------------------------------------------------------- configuration and secrets (SSM)

# Placeholders: operators set the real values (aws ssm put-parameter --overwrite); Terraform
# never overwrites them afterwards.
resource "aws_ssm_parameter" "secret" {
  # checkov:skip=CKV_AWS_337: SecureString under the AWS managed aws/ssm key; only the server role reads it, a CMK ($1/month) adds no control here
  for_each    = toset([for n in var.ssm_secret_names : n if n != "origin-verify-key"])
  name        = "${local.ssm_prefix}/${each.value}"
  description = "Set by operators; created empty by the portal"
  type        = "SecureString"
  value       = "change-me"

  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_ssm_parameter" "origin_verify_key" {
  # checkov:skip=CKV_AWS_337: SecureString under the AWS managed aws/ssm key; only the server role reads it, a CMK ($1/month) adds no control here
  count       = local.verify_origin ? 1 : 0
  name        = "${local.ssm_prefix}/origin-verify-key"
  description = "Value CloudFront sends in X-Origin-Verify"
  type        = "SecureString"
  value       = var.origin_verify_key
}

resource "aws_ssm_parameter" "backup_bucket" {
  # checkov:skip=CKV2_AWS_34: holds the backup bucket's name, not a secret; a plain String is intended
  name  = "${local.ssm_prefix}/backup-bucket"
  type  = "String"
  value = module.backups.id
}

# ---------------------------------------------------------------- backups

# pg_dump files under pg_dump/ expire; a restic repository under restic/ prunes itself
# (restic forget --prune), so lifecycle rules must not touch it.
module "backups" {
  source = "../../modules/s3_bucket"

  bucket_name        = "${var.name}-backups-${local.account_id}"
  force_destroy      = !local.is_prod
  versioning_enabled = true
  lifecycle_rules = [
    {
      id                         = "pg-dump"
      prefix                     = "pg_dump/"
      transition_days            = var.backup_retention_days > 30 ? 30 : null
      expiration_days            = var.backup_retention_days
      noncurrent_expiration_days = 7
    },
    {
      id                         = "restic-old-versions"
      prefix                     = "restic/"
      noncurrent_expiration_days = 7
    },
  ]
}

data "aws_iam_policy_document" "dlm_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["dlm.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "dlm" {
  name               = "${var.name}-dlm"
  assume_role_policy = data.aws_iam_policy_document.dlm_assume.json
}

resource "aws_iam_role_policy_attachment" "dlm" {
  role       = aws_iam_role.dlm.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole"
}

resource "aws_dlm_lifecycle_policy" "data" {
  description        = "Daily snapshots of the ${var.name} data volume"
  execution_role_arn = aws_iam_role.dlm.arn
  state              = "ENABLED"

  policy_details {
    resource_types = ["VOLUME"]
    target_tags    = { Snapshot = "${var.name}-data" }

    schedule {
      name      = "daily"
      copy_tags = true

      create_rule {
        interval      = 24
        interval_unit = "HOURS"
        times         = ["03:00"]
      }

      retain_rule {
        count = var.snapshot_retention_count
      }
    }
  }
}

# ---------------------------------------------------------------- the server

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "server" {
  name               = "${var.name}-server"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
}

resource "aws_iam_role_policy_attachment" "server" {
  for_each   = toset(["AmazonSSMManagedInstanceCore", "CloudWatchAgentServerPolicy"])
  role       = aws_iam_role.server.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.value}"
}

data "aws_iam_policy_document" "server" {
  statement {
    sid       = "ReadConfig"
    actions   = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"]
    resources = ["arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter${local.ssm_prefix}/*"]
  }

  statement {
    sid       = "BackupBucket"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [module.backups.arn]
  }

  statement {
    sid       = "BackupObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${module.backups.arn}/*"]
  }
}

resource "aws_iam_role_policy" "server" {
  name   = "config-and-backups"
  role   = aws_iam_role.server.id
  policy = data.aws_iam_policy_document.server.json
}

resource "aws_iam_instance_profile" "server" {
  name = "${var.name}-server"
  role = aws_iam_role.server.name
}

resource "aws_ebs_volume" "data" {
  # checkov:skip=CKV_AWS_189: encrypted with the AWS managed aws/ebs key; a CMK is a compliance-tier choice ($1/month, key policy for DLM snapshots)
  availability_zone = module.vpc.azs[0]
  type              = "gp3"
  size              = var.data_volume_size_gb
  iops              = var.data_volume_iops
  throughput        = var.data_volume_throughput_mbps
  encrypted         = true
  final_snapshot    = local.is_prod

  tags = {
    Name     = "${var.name}-data"
    Snapshot = "${var.name}-data"
  }
}

resource "aws_instance" "server" {
  ami                     = var.ami_id
  instance_type           = var.instance_type
  subnet_id               = module.vpc.public_subnet_ids[0]
  vpc_security_group_ids  = [aws_security_group.server.id]
  iam_instance_profile    = aws_iam_instance_profile.server.name
  key_name                = var.ssh_key_name == "" ? null : var.ssh_key_name
  monitoring              = local.is_prod
  ebs_optimized           = true # the default on Nitro instances; said explicitly
  disable_api_termination = local.is_prod

  metadata_options {
    http_tokens   = "required"
    http_endpoint = "enabled"
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = 20
    encrypted   = true
  }

  # Mounts the data volume on /data once it is attached and tells the services where their
  # configuration lives. The AMI (image.pkr.hcl) keeps PostgreSQL and Redis data under /data.
  user_data = <<-EOT
    #!/bin/bash
    set -euo pipefail
    cat > /etc/app.env <<EOF
    APP_NAME=${var.name}
    SSM_PREFIX=${local.ssm_prefix}
    BACKUP_BUCKET=${module.backups.id}
    AWS_REGION=${local.region}
    EOF
    DEVICE=/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${replace(aws_ebs_volume.data.id, "-", "")}
    for i in $(seq 1 60); do [ -e "$DEVICE" ] && break; sleep 5; done
    blkid "$DEVICE" || mkfs.xfs "$DEVICE"
    mkdir -p /data
    grep -q ' /data ' /etc/fstab || echo "$DEVICE /data xfs defaults,nofail 0 2" >> /etc/fstab
    mount -a
    /usr/local/sbin/app-data-init
  EOT

  tags = { Name = "${var.name}-server" }
}

resource "aws_volume_attachment" "data" {
  device_name                    = "/dev/sdf"
  volume_id                      = aws_ebs_volume.data.id
  instance_id                    = aws_instance.server.id
  stop_instance_before_detaching = true
}

resource "aws_eip" "server" {
  domain   = "vpc"
  instance = aws_instance.server.id

  tags = { Name = "${var.name}-server" }
}

# ---------------------------------------------------------------- API Gateway and Next.js SSR

module "api" {
  source = "../../modules/http_api"

  name               = "${var.name}-api"
  integration_type   = "HTTP_PROXY"
  integration_uri    = "http://${aws_eip.server.public_dns}/{proxy}"
  route_keys         = ["ANY /backend/{proxy+}"]
  timeout_ms         = 30000
  jwt_issuer         = var.api_jwt_issuer
  jwt_audience       = var.api_jwt_audience
  log_retention_days = var.log_retention_days
}

module "nextjs" {
  source = "../../modules/lambda_function"

  function_name      = "${var.name}-nextjs"
  description        = "Next.js server-side rendering for ${var.name}"
  package_type       = "Zip"
  s3_bucket          = var.nextjs_code_s3_bucket
  s3_key             = var.nextjs_code_s3_key
  runtime            = "nodejs22.x"
  handler            = "index.handler"
  architecture       = "arm64"
  memory_size        = var.nextjs_memory_mb
  timeout            = 30
  log_retention_days = var.log_retention_days

  environment_variables = {
    NODE_ENV    = "production"
    BACKEND_URL = "${module.api.endpoint}/backend"
  }
}

resource "aws_lambda_function_url" "nextjs" {
  # checkov:skip=CKV_AWS_258: the Next.js URL is CloudFront's origin: CloudFront sends the origin verify header; IAM auth would need CloudFront OAC for Lambda (trade-off: simpler origin)
  function_name      = module.nextjs.function_name
  authorization_type = "NONE"
}

# CloudFront calls the Next.js function URL as a public origin, so the URL's auth type is NONE.
# Since October 2025 AWS requires lambda:InvokeFunction (limited to calls made through the URL by
# the lambda:InvokedViaFunctionUrl condition) as well as lambda:InvokeFunctionUrl, or the URL
# answers 403 (docs.aws.amazon.com/lambda/latest/dg/urls-auth.html). `invoked_via_function_url`
# needs hashicorp/aws >= 6.28 (versions.tf).
resource "aws_lambda_permission" "nextjs_url" {
  # checkov:skip=CKV_AWS_301: the Next.js function URL is CloudFront's origin and public by design; the origin verify header guards it
  statement_id           = "AllowPublicFunctionUrl"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = module.nextjs.function_name
  principal              = "*"
  function_url_auth_type = "NONE"
}

resource "aws_lambda_permission" "nextjs_url_invoke" {
  # checkov:skip=CKV_AWS_301: limited to calls made through the public function URL (invoked_via_function_url); direct Invoke stays private
  statement_id             = "AllowPublicFunctionUrlInvoke"
  action                   = "lambda:InvokeFunction"
  function_name            = module.nextjs.function_name
  principal                = "*"
  invoked_via_function_url = true
}

# ---------------------------------------------------------------- CloudFront, certificate, DNS

module "certificate" {
  source    = "../../modules/acm_certificate"
  count     = local.custom_domain ? 1 : 0
  providers = { aws = aws.us_east_1 }

  domain_name    = var.domain_name
  hosted_zone_id = var.hosted_zone_id
}

# Default behaviour: Next.js SSR; /_next/static/* from S3; /backend/* to the HTTP API.
module "site" {
  source = "../../modules/static_site_cdn"

  name                         = var.name
  bucket_name                  = "${var.name}-assets-${local.account_id}"
  force_destroy                = !local.is_prod
  aliases                      = local.custom_domain ? [var.domain_name] : []
  acm_certificate_arn          = local.custom_domain ? module.certificate[0].certificate_arn : null
  price_class                  = var.cloudfront_price_class
  default_root_object          = ""
  spa_fallback                 = false
  default_origin_id            = "nextjs"
  s3_path_patterns             = ["/_next/static/*"]
  origin_verify_header_enabled = local.verify_origin
  origin_verify_header_value   = var.origin_verify_key
  custom_origins = [
    {
      origin_id     = "nextjs"
      domain_name   = trimsuffix(trimprefix(aws_lambda_function_url.nextjs.function_url, "https://"), "/")
      path_patterns = []
    },
    {
      origin_id     = "api"
      domain_name   = module.api.host
      path_patterns = ["/backend/*"]
    },
  ]
}

resource "aws_route53_record" "site" {
  for_each = local.custom_domain ? toset(["A", "AAAA"]) : toset([])
  zone_id  = var.hosted_zone_id
  name     = var.domain_name
  type     = each.value

  alias {
    name                   = module.site.domain_name
    zone_id                = module.site.hosted_zone_id
    evaluate_target_health = false
  }
}

# ---------------------------------------------------------------- monitoring

resource "aws_route53_health_check" "api" {
  count             = var.enable_health_check ? 1 : 0
  type              = "HTTPS_STR_MATCH"
  fqdn              = local.site_host
  port              = 443
  resource_path     = var.health_check_path
  search_string     = var.health_check_search_string
  request_interval  = 30
  failure_threshold = 2
  measure_latency   = true

  tags = { Name = "${var.name}-api-health" }
}

# Route 53 health-check metrics exist only in us-east-1, so this alarm and its topic live there.
module "health_alarm" {
  source    = "../../modules/monitoring"
  count     = var.enable_health_check ? 1 : 0
  providers = { aws = aws.us_east_1 }

  name             = "${var.name}-health"
  alarm_email      = var.alarm_email
  create_dashboard = false

  alarms = {
    "api-unhealthy" = {
      description         = "${local.site_host}${var.health_check_path} failed its health check for 2 minutes"
      namespace           = "AWS/Route53"
      metric_name         = "HealthCheckStatus"
      dimensions          = { HealthCheckId = aws_route53_health_check.api[0].id }
      statistic           = "Minimum"
      period              = 60
      evaluation_periods  = 2
      threshold           = 1
      comparison_operator = "LessThanThreshold"
      treat_missing_data  = "breaching"
    }
  }
}

locals {
  server_dims = { InstanceId = aws_instance.server.id }
}

module "monitoring" {
  source = "../../modules/monitoring"

  name        = var.name
  alarm_email = var.alarm_email

  alarms = {
    "server-status-check" = {
      description         = "EC2 status check failing on the server"
      namespace           = "AWS/EC2"
      metric_name         = "StatusCheckFailed"
      dimensions          = local.server_dims
      statistic           = "Maximum"
      period              = 60
      evaluation_periods  = 2
      threshold           = 0
      comparison_operator = "GreaterThanThreshold"
    }
    "server-cpu" = {
      description         = "Server CPU above 80% for 15 minutes; consider a larger instance"
      namespace           = "AWS/EC2"
      metric_name         = "CPUUtilization"
      dimensions          = local.server_dims
      statistic           = "Average"
      evaluation_periods  = 3
      threshold           = 80
      comparison_operator = "GreaterThanThreshold"
    }
    "api-5xx" = {
      description         = "HTTP API 5xx responses above 10 in 5 minutes"
      namespace           = "AWS/ApiGateway"
      metric_name         = "5xx"
      dimensions          = { ApiId = module.api.id, Stage = "$default" }
      statistic           = "Sum"
      evaluation_periods  = 1
      threshold           = 10
      comparison_operator = "GreaterThanThreshold"
    }
    "nextjs-errors" = {
      description         = "Next.js function errors above 10 in 5 minutes"
      namespace           = "AWS/Lambda"
      metric_name         = "Errors"
      dimensions          = { FunctionName = module.nextjs.function_name }
      statistic           = "Sum"
      evaluation_periods  = 1
      threshold           = 10
      comparison_operator = "GreaterThanThreshold"
    }
  }

  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title = "Server CPU and status", region = local.region, period = 300
          metrics = [
            ["AWS/EC2", "CPUUtilization", "InstanceId", aws_instance.server.id, { stat = "Average" }],
            [".", "StatusCheckFailed", ".", ".", { stat = "Maximum", yAxis = "right" }],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title = "HTTP API requests, latency", region = local.region, period = 300
          metrics = [
            ["AWS/ApiGateway", "Count", "ApiId", module.api.id, "Stage", "$default", { stat = "Sum" }],
            [".", "Latency", ".", ".", ".", ".", { stat = "p95", yAxis = "right" }],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title = "Next.js invocations and duration", region = local.region, period = 300
          metrics = [
            ["AWS/Lambda", "Invocations", "FunctionName", module.nextjs.function_name, { stat = "Sum" }],
            [".", "Duration", ".", ".", { stat = "p95", yAxis = "right" }],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title = "CloudFront requests and cache hit rate", region = "us-east-1", period = 300
          metrics = [
            ["AWS/CloudFront", "Requests", "DistributionId", module.site.distribution_id, "Region", "Global", { stat = "Sum" }],
            [".", "5xxErrorRate", ".", ".", ".", ".", { stat = "Average", yAxis = "right" }],
          ]
        }
      },
    ]
  })
}
