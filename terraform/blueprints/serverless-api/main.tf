data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id     = data.aws_caller_identity.current.account_id
  partition      = data.aws_partition.current.partition
  custom_domain  = var.domain_name != ""
  api_domain     = local.custom_domain ? "api.${var.domain_name}" : ""
  is_prod        = var.tier == "prod"
  custom_metrics = var.name
}

# ---------------------------------------------------------------- data

# Single-table design: PK/SK plus GSI<n>PK/GSI<n>SK per index.
module "table" {
  source = "../../modules/dynamodb_table"

  table_name = var.name
  hash_key   = "PK"
  range_key  = "SK"
  global_secondary_indexes = [
    for gsi in var.dynamodb_gsi_names : { name = gsi, hash_key = "${gsi}PK", range_key = "${gsi}SK" }
  ]
  ttl_attribute             = "expiresAt"
  point_in_time_recovery    = true
  pitr_recovery_period_days = 35
  deletion_protection       = var.deletion_protection
}

module "app_secret" {
  source = "../../modules/secret"

  name                    = "${var.name}/app"
  description             = "JWT signing key and OAuth client credentials of ${var.name}"
  recovery_window_in_days = local.is_prod ? 30 : 7
  create_version          = nonsensitive(length(var.jwt_secret_key) > 0)
  secret_string = jsonencode({
    JWT_SECRET_KEY          = var.jwt_secret_key
    BLUESKY_CLIENT_ID       = var.oauth_client_id
    BLUESKY_CLIENT_SECRET   = var.oauth_client_secret
    OAUTH_REDIRECT_HOSTNAME = local.custom_domain ? local.api_domain : ""
  })
}

# ---------------------------------------------------------------- compute and API

data "aws_iam_policy_document" "api_access" {
  statement {
    sid = "Table"
    actions = [
      "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
      "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]
    resources = [module.table.arn, "${module.table.arn}/index/*"]
  }

  statement {
    sid       = "AppSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [module.app_secret.arn]
  }

  statement {
    sid       = "CustomMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [local.custom_metrics]
    }
  }
}

module "api_function" {
  source = "../../modules/lambda_function"

  function_name        = "${var.name}-api"
  description          = "API of ${var.name}"
  package_type         = "Zip"
  s3_bucket            = var.lambda_code_s3_bucket
  s3_key               = var.lambda_code_s3_key
  runtime              = var.lambda_runtime
  handler              = var.lambda_handler
  architecture         = "arm64"
  memory_size          = var.lambda_memory_mb
  timeout              = var.lambda_timeout_seconds
  reserved_concurrency = var.lambda_reserved_concurrency
  tracing_mode         = local.is_prod ? "Active" : "PassThrough"
  log_retention_days   = var.log_retention_days
  policy_documents     = [data.aws_iam_policy_document.api_access.json]

  environment_variables = {
    ENVIRONMENT         = var.tier
    DYNAMODB_TABLE_NAME = module.table.name
    APP_SECRET_ARN      = module.app_secret.arn
    METRICS_NAMESPACE   = local.custom_metrics
    FRONTEND_URL        = local.custom_domain ? "https://${var.domain_name}" : "https://${module.web.domain_name}"
  }
}

module "api_certificate" {
  source = "../../modules/acm_certificate"
  count  = local.custom_domain ? 1 : 0

  domain_name    = local.api_domain
  hosted_zone_id = var.hosted_zone_id
}

module "api" {
  source = "../../modules/rest_api"

  name                 = "${var.name}-api"
  lambda_function_name = module.api_function.function_name
  lambda_invoke_arn    = module.api_function.invoke_arn
  stage_name           = "api"
  throttle_rate_limit  = var.api_throttle_rate_limit
  throttle_burst_limit = var.api_throttle_burst_limit
  xray_tracing_enabled = local.is_prod
  access_logs_enabled  = var.api_access_logging
  log_retention_days   = var.log_retention_days
  domain_name          = local.api_domain
  certificate_arn      = local.custom_domain ? module.api_certificate[0].certificate_arn : null
  hosted_zone_id       = local.custom_domain ? var.hosted_zone_id : null
}

# ---------------------------------------------------------------- web front end

module "web_certificate" {
  source    = "../../modules/acm_certificate"
  count     = local.custom_domain ? 1 : 0
  providers = { aws = aws.us_east_1 }

  domain_name    = var.domain_name
  hosted_zone_id = var.hosted_zone_id
}

module "web" {
  source = "../../modules/static_site_cdn"

  name                = "${var.name}-web"
  bucket_name         = "${var.name}-web-${local.account_id}"
  force_destroy       = !local.is_prod
  aliases             = local.custom_domain ? [var.domain_name] : []
  acm_certificate_arn = local.custom_domain ? module.web_certificate[0].certificate_arn : null
  price_class         = var.cloudfront_price_class
  spa_fallback        = true
}

resource "aws_route53_record" "web" {
  for_each = local.custom_domain ? toset(["A", "AAAA"]) : toset([])
  zone_id  = var.hosted_zone_id
  name     = var.domain_name
  type     = each.value

  alias {
    name                   = module.web.domain_name
    zone_id                = module.web.hosted_zone_id
    evaluate_target_health = false
  }
}

# ---------------------------------------------------------------- daily export (backup)

module "exports" {
  source = "../../modules/s3_bucket"
  count  = var.enable_daily_export ? 1 : 0

  bucket_name        = "${var.name}-exports-${local.account_id}"
  force_destroy      = !local.is_prod
  versioning_enabled = false
  lifecycle_rules = [{
    id              = "expire-exports"
    expiration_days = var.export_retention_days
  }]
}

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "export" {
  count              = var.enable_daily_export ? 1 : 0
  name               = "${var.name}-table-export"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
}

data "aws_iam_policy_document" "export" {
  count = var.enable_daily_export ? 1 : 0

  statement {
    actions   = ["dynamodb:ExportTableToPointInTime"]
    resources = [module.table.arn]
  }

  # No s3:PutObjectAcl: the export bucket enforces bucket-owner ownership (ACLs disabled), and
  # DynamoDB's export writes objects without ACLs.
  statement {
    actions   = ["s3:AbortMultipartUpload", "s3:PutObject"]
    resources = ["${module.exports[0].arn}/*"]
  }
}

resource "aws_iam_role_policy" "export" {
  count  = var.enable_daily_export ? 1 : 0
  name   = "table-export"
  role   = aws_iam_role.export[0].id
  policy = data.aws_iam_policy_document.export[0].json
}

# EventBridge Scheduler calls the DynamoDB API directly; no Lambda to maintain.
resource "aws_scheduler_schedule" "export" {
  count                        = var.enable_daily_export ? 1 : 0
  name                         = "${var.name}-table-export"
  description                  = "Daily export of ${module.table.name} to S3"
  schedule_expression          = "cron(0 2 * * ? *)"
  schedule_expression_timezone = "UTC"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = "arn:${local.partition}:scheduler:::aws-sdk:dynamodb:exportTableToPointInTime"
    role_arn = aws_iam_role.export[0].arn
    input = jsonencode({
      TableArn     = module.table.arn
      S3Bucket     = module.exports[0].id
      S3Prefix     = "exports"
      ExportFormat = "DYNAMODB_JSON"
    })

    retry_policy {
      maximum_retry_attempts = 3
    }
  }
}

# ---------------------------------------------------------------- monitoring

locals {
  lambda_dims = { FunctionName = module.api_function.function_name }
  api_dims    = { ApiName = module.api.name, Stage = module.api.stage_name }
  table_dims  = { TableName = module.table.name }
}

module "monitoring" {
  source = "../../modules/monitoring"

  name        = var.name
  alarm_email = var.alarm_email

  expression_alarms = {
    "lambda-error-rate" = {
      description = "API function error rate above ${var.alarm_lambda_error_rate_percent}% for 5 minutes"
      expression  = "IF(invocations > 0, 100 * errors / invocations, 0)"
      period      = 300
      threshold   = var.alarm_lambda_error_rate_percent
      metrics = {
        errors      = { namespace = "AWS/Lambda", metric_name = "Errors", dimensions = local.lambda_dims }
        invocations = { namespace = "AWS/Lambda", metric_name = "Invocations", dimensions = local.lambda_dims }
      }
    }
  }

  alarms = {
    "api-5xx" = {
      description = "API Gateway 5xx responses above ${var.alarm_api_5xx_per_minute} per minute"
      namespace   = "AWS/ApiGateway"
      metric_name = "5XXError"
      dimensions  = local.api_dims
      period      = 60
      threshold   = var.alarm_api_5xx_per_minute
    }
    "lambda-throttles" = {
      description = "API function invocations are being throttled"
      namespace   = "AWS/Lambda"
      metric_name = "Throttles"
      dimensions  = local.lambda_dims
      threshold   = 0
    }
    # Lambda has no timeout metric; a p99 duration at 95% of the timeout means >1% of calls are
    # about to time out.
    "lambda-near-timeout" = {
      description        = "More than 1% of API invocations run close to the ${var.lambda_timeout_seconds}s timeout"
      namespace          = "AWS/Lambda"
      metric_name        = "Duration"
      dimensions         = local.lambda_dims
      extended_statistic = "p99"
      threshold          = var.lambda_timeout_seconds * 1000 * 0.95
    }
    "dynamodb-read-throttles" = {
      description = "DynamoDB read throttling detected"
      namespace   = "AWS/DynamoDB"
      metric_name = "ReadThrottleEvents"
      dimensions  = local.table_dims
      threshold   = 0
    }
    "dynamodb-write-throttles" = {
      description = "DynamoDB write throttling detected"
      namespace   = "AWS/DynamoDB"
      metric_name = "WriteThrottleEvents"
      dimensions  = local.table_dims
      threshold   = 0
    }
  }

  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title  = "Lambda invocations, errors, throttles"
          region = data.aws_region.current.region
          stat   = "Sum"
          period = 300
          metrics = [
            ["AWS/Lambda", "Invocations", "FunctionName", module.api_function.function_name],
            [".", "Errors", ".", "."],
            [".", "Throttles", ".", "."],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title  = "Lambda duration p50 / p95 / p99"
          region = data.aws_region.current.region
          period = 300
          metrics = [
            ["AWS/Lambda", "Duration", "FunctionName", module.api_function.function_name, { stat = "p50" }],
            ["...", { stat = "p95" }],
            ["...", { stat = "p99" }],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title  = "API Gateway requests, 4xx, 5xx"
          region = data.aws_region.current.region
          stat   = "Sum"
          period = 300
          metrics = [
            ["AWS/ApiGateway", "Count", "ApiName", module.api.name, "Stage", module.api.stage_name],
            [".", "4XXError", ".", ".", ".", "."],
            [".", "5XXError", ".", ".", ".", "."],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title  = "API Gateway latency p95"
          region = data.aws_region.current.region
          stat   = "p95"
          period = 300
          metrics = [
            ["AWS/ApiGateway", "Latency", "ApiName", module.api.name, "Stage", module.api.stage_name],
            [".", "IntegrationLatency", ".", ".", ".", "."],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 12, width = 24, height = 6
        properties = {
          title  = "DynamoDB consumed capacity and throttles"
          region = data.aws_region.current.region
          stat   = "Sum"
          period = 300
          metrics = [
            ["AWS/DynamoDB", "ConsumedReadCapacityUnits", "TableName", module.table.name],
            [".", "ConsumedWriteCapacityUnits", ".", "."],
            [".", "ReadThrottleEvents", ".", "."],
            [".", "WriteThrottleEvents", ".", "."],
          ]
        }
      },
    ]
  })
}
