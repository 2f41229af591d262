data "aws_region" "current" {}

locals {
  region  = data.aws_region.current.region
  is_prod = var.tier == "prod"
}

# ---------------------------------------------------------------- network: private only, no NAT

# No NAT gateway (the seed saves ~$32/month): the function reaches Secrets Manager through an
# interface endpoint and S3 through the free gateway endpoint.
module "vpc" {
  source = "../../modules/vpc"

  name                   = var.name
  cidr_block             = var.vpc_cidr
  az_count               = 2
  create_public_subnets  = false
  create_private_subnets = true
  nat_gateway_mode       = "none"
  gateway_endpoints      = ["s3"]
  interface_endpoints    = var.vpc_interface_endpoints
  flow_logs_enabled      = local.is_prod
}

resource "aws_security_group" "lambda" {
  name        = "${var.name}-lambda"
  description = "Flask function"
  vpc_id      = module.vpc.vpc_id

  tags = { Name = "${var.name}-lambda" }
}

resource "aws_vpc_security_group_egress_rule" "lambda_vpc" {
  security_group_id = aws_security_group.lambda.id
  description       = "Database and interface endpoints; nothing leaves the VPC"
  ip_protocol       = "-1"
  cidr_ipv4         = module.vpc.cidr_block
}

# The S3 gateway endpoint is not an address inside the VPC CIDR: S3 traffic goes to S3's public
# ranges and the endpoint's route-table entry carries it. Terraform removes AWS's default
# allow-all egress rule, so without this rule the function cannot reach S3 at all.
resource "aws_vpc_security_group_egress_rule" "lambda_s3" {
  security_group_id = aws_security_group.lambda.id
  description       = "HTTPS to S3 through the gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = module.vpc.gateway_endpoint_prefix_list_ids["s3"]
}

resource "aws_security_group" "db" {
  name        = "${var.name}-aurora"
  description = "Aurora, reachable only from the function"
  vpc_id      = module.vpc.vpc_id

  tags = { Name = "${var.name}-aurora" }
}

resource "aws_vpc_security_group_ingress_rule" "db_from_lambda" {
  security_group_id            = aws_security_group.db.id
  description                  = "PostgreSQL from the function"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.lambda.id
}

# ---------------------------------------------------------------- Aurora Serverless v2

resource "aws_db_subnet_group" "aurora" {
  name       = var.name
  subnet_ids = module.vpc.private_subnet_ids
}

resource "aws_rds_cluster" "aurora" {
  # checkov:skip=CKV_AWS_139: deletion_protection is a field: on in the prod tier, off in dev and staging so they can be torn down
  # checkov:skip=CKV_AWS_162: the app authenticates with the RDS-managed master secret (rotated by RDS); IAM database auth needs app changes (trade-off)
  # checkov:skip=CKV_AWS_327: encrypted with the AWS managed aws/rds key; a CMK is a compliance-tier choice ($1/month)
  # checkov:skip=CKV2_AWS_8: Aurora automated backups (aurora_backup_retention_days per tier) and point-in-time restore cover restores; AWS Backup copies are an enterprise-tier add-on
  # checkov:skip=CKV2_AWS_27: statement logging would write query text (and data) to CloudWatch; the postgresql error log is exported instead (trade-off)
  cluster_identifier = var.name
  engine             = "aurora-postgresql"
  engine_mode        = "provisioned"
  engine_version     = var.aurora_engine_version
  database_name      = "app"
  master_username    = "app_admin"

  # Credentials generated, stored and rotated in Secrets Manager by RDS.
  manage_master_user_password = true

  db_subnet_group_name   = aws_db_subnet_group.aurora.name
  vpc_security_group_ids = [aws_security_group.db.id]
  storage_encrypted      = true

  backup_retention_period         = var.aurora_backup_retention_days
  preferred_backup_window         = "03:00-04:00"
  preferred_maintenance_window    = "sun:04:30-sun:05:30"
  copy_tags_to_snapshot           = true
  deletion_protection             = var.deletion_protection
  skip_final_snapshot             = !var.deletion_protection
  final_snapshot_identifier       = var.deletion_protection ? "${var.name}-final" : null
  enabled_cloudwatch_logs_exports = ["postgresql"]

  serverlessv2_scaling_configuration {
    # Auto-pause means scaling to 0 ACU after the idle timeout.
    min_capacity             = var.aurora_auto_pause ? 0 : var.aurora_min_acu
    max_capacity             = var.aurora_max_acu
    seconds_until_auto_pause = var.aurora_auto_pause ? var.aurora_auto_pause_seconds : null
  }
}

resource "aws_rds_cluster_instance" "writer" {
  # checkov:skip=CKV_AWS_118: enhanced monitoring (OS metrics billed as CloudWatch Logs) adds little on Serverless v2, whose ACU metrics are in CloudWatch (cost trade-off)
  # checkov:skip=CKV_AWS_354: Performance Insights data under the AWS managed aws/rds key; a CMK is a compliance-tier choice
  identifier           = "${var.name}-writer"
  cluster_identifier   = aws_rds_cluster.aurora.id
  instance_class       = "db.serverless"
  engine               = aws_rds_cluster.aurora.engine
  engine_version       = aws_rds_cluster.aurora.engine_version
  db_subnet_group_name = aws_db_subnet_group.aurora.name
  publicly_accessible  = false
  # AWS's defaults, said explicitly: minor versions patch automatically in the maintenance
  # window, and Performance Insights keeps 7 days of query load for free.
  auto_minor_version_upgrade   = true
  performance_insights_enabled = true
}

# ---------------------------------------------------------------- Flask on Lambda (Web Adapter)

data "aws_iam_policy_document" "app_access" {
  statement {
    sid       = "DatabaseSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_rds_cluster.aurora.master_user_secret[0].secret_arn]
  }
}

module "app_function" {
  source = "../../modules/lambda_function"

  function_name      = "${var.name}-flask-app"
  description        = "Flask app of ${var.name} (Lambda Web Adapter)"
  package_type       = "Image"
  image_uri          = var.image_uri
  architecture       = "x86_64"
  memory_size        = var.lambda_memory_mb
  timeout            = var.lambda_timeout_seconds
  tracing_mode       = var.enable_xray ? "Active" : "PassThrough"
  log_retention_days = var.log_retention_days
  subnet_ids         = module.vpc.private_subnet_ids
  security_group_ids = [aws_security_group.lambda.id]
  policy_documents   = [data.aws_iam_policy_document.app_access.json]

  environment_variables = {
    SECRETS_MANAGER_NAME         = aws_rds_cluster.aurora.master_user_secret[0].secret_arn
    DB_HOST                      = aws_rds_cluster.aurora.endpoint
    DB_NAME                      = aws_rds_cluster.aurora.database_name
    FLASK_ENV                    = "production"
    AWS_LWA_READINESS_CHECK_PATH = "/healthz"
  }
}

resource "aws_lambda_function_url" "app" {
  # checkov:skip=CKV_AWS_258: the requester chooses function_url_auth_type: NONE for browser clients, AWS_IAM for signed callers
  function_name      = module.app_function.function_name
  authorization_type = var.function_url_auth_type
  invoke_mode        = "BUFFERED"
}

# A public (NONE) function URL needs two resource-policy statements. Since October 2025 AWS
# requires lambda:InvokeFunction (limited to calls made through the URL by the
# lambda:InvokedViaFunctionUrl condition) as well as lambda:InvokeFunctionUrl, or the URL answers
# 403 (docs.aws.amazon.com/lambda/latest/dg/urls-auth.html). `invoked_via_function_url` needs
# hashicorp/aws >= 6.28 (versions.tf). Both statements are managed here, in state, rather than
# left to the provider's implicit statement.
resource "aws_lambda_permission" "function_url" {
  # checkov:skip=CKV_AWS_301: public by design when the requester picks function_url_auth_type NONE (CloudFront/browser clients); AWS_IAM is the other choice
  count                  = var.function_url_auth_type == "NONE" ? 1 : 0
  statement_id           = "AllowPublicFunctionUrl"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = module.app_function.function_name
  principal              = "*"
  function_url_auth_type = "NONE"
}

resource "aws_lambda_permission" "function_url_invoke" {
  # checkov:skip=CKV_AWS_301: limited to calls made through the public function URL (invoked_via_function_url); direct Invoke stays private
  count                    = var.function_url_auth_type == "NONE" ? 1 : 0
  statement_id             = "AllowPublicFunctionUrlInvoke"
  action                   = "lambda:InvokeFunction"
  function_name            = module.app_function.function_name
  principal                = "*"
  invoked_via_function_url = true
}

module "http_api" {
  source = "../../modules/http_api"
  count  = var.use_api_gateway ? 1 : 0

  name                 = "${var.name}-api"
  integration_type     = "AWS_PROXY"
  integration_uri      = module.app_function.invoke_arn
  lambda_function_name = module.app_function.function_name
  route_keys           = ["$default"]
  timeout_ms           = min(var.lambda_timeout_seconds * 1000, 30000)
  log_retention_days   = var.log_retention_days
}

# ---------------------------------------------------------------- monitoring and cost control

locals {
  lambda_dims = { FunctionName = module.app_function.function_name }
  db_dims     = { DBClusterIdentifier = aws_rds_cluster.aurora.cluster_identifier }
}

module "monitoring" {
  source = "../../modules/monitoring"

  name        = var.name
  alarm_email = var.alarm_email

  expression_alarms = {
    "lambda-error-rate" = {
      description = "Function error rate above 5% for 5 minutes"
      expression  = "IF(invocations > 0, 100 * errors / invocations, 0)"
      threshold   = 5
      metrics = {
        errors      = { namespace = "AWS/Lambda", metric_name = "Errors", dimensions = local.lambda_dims }
        invocations = { namespace = "AWS/Lambda", metric_name = "Invocations", dimensions = local.lambda_dims }
      }
    }
  }

  alarms = {
    "lambda-latency-p95" = {
      description        = "Function p95 duration above ${var.alarm_latency_p95_ms} ms for 15 minutes"
      namespace          = "AWS/Lambda"
      metric_name        = "Duration"
      dimensions         = local.lambda_dims
      extended_statistic = "p95"
      evaluation_periods = 3
      threshold          = var.alarm_latency_p95_ms
    }
    "lambda-throttles" = {
      description = "Function invocations are throttled"
      namespace   = "AWS/Lambda"
      metric_name = "Throttles"
      dimensions  = local.lambda_dims
      threshold   = 0
    }
    "aurora-acu-utilization" = {
      description        = "Aurora runs above 90% of its maximum capacity for 15 minutes; raise aurora_max_acu"
      namespace          = "AWS/RDS"
      metric_name        = "ACUUtilization"
      dimensions         = local.db_dims
      statistic          = "Average"
      evaluation_periods = 3
      threshold          = 90
    }
  }

  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title = "Function invocations and errors", region = local.region, stat = "Sum", period = 300
          metrics = [
            ["AWS/Lambda", "Invocations", "FunctionName", module.app_function.function_name],
            [".", "Errors", ".", "."],
            [".", "Throttles", ".", "."],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title = "Function duration", region = local.region, period = 300
          metrics = [
            ["AWS/Lambda", "Duration", "FunctionName", module.app_function.function_name, { stat = "p50" }],
            ["...", { stat = "p95" }],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title = "Aurora capacity (ACU)", region = local.region, stat = "Average", period = 300
          metrics = [
            ["AWS/RDS", "ServerlessDatabaseCapacity", "DBClusterIdentifier", aws_rds_cluster.aurora.cluster_identifier],
            [".", "ACUUtilization", ".", ".", { yAxis = "right" }],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title = "Aurora connections and CPU", region = local.region, stat = "Average", period = 300
          metrics = [
            ["AWS/RDS", "DatabaseConnections", "DBClusterIdentifier", aws_rds_cluster.aurora.cluster_identifier],
            [".", "CPUUtilization", ".", ".", { yAxis = "right" }],
          ]
        }
      },
    ]
  })
}

# Filters on the Environment tag every resource carries (activate it as a cost allocation tag).
resource "aws_budgets_budget" "monthly" {
  name         = "${var.name}-monthly"
  budget_type  = "COST"
  limit_amount = tostring(var.monthly_budget_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  cost_filter {
    name   = "TagKeyValue"
    values = [format("user:Environment$%s", var.name)]
  }

  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = 80
    threshold_type             = "PERCENTAGE"
    notification_type          = "ACTUAL"
    subscriber_email_addresses = [var.alarm_email]
  }

  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = 100
    threshold_type             = "PERCENTAGE"
    notification_type          = "FORECASTED"
    subscriber_email_addresses = [var.alarm_email]
  }
}
