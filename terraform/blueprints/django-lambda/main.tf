data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region
  partition  = data.aws_partition.current.partition
  dedicated  = var.database_mode == "dedicated"
  is_prod    = var.tier == "prod"
  api_domain = var.api_domain_name != ""
  # A literal, not module.api.stage_name: the CDN must not wait on the function it fronts.
  api_stage = "api"

  # Where the function and the import task run: the new VPC (dedicated) or the shared
  # database's subnets (shared). Without shared subnets the function stays outside any VPC.
  app_subnet_ids         = local.dedicated ? module.vpc[0].private_subnet_ids : var.shared_database_subnet_ids
  task_subnet_ids        = local.dedicated ? module.vpc[0].public_subnet_ids : var.shared_database_subnet_ids
  app_security_group_ids = local.dedicated ? [aws_security_group.app[0].id] : compact([var.shared_database_client_security_group_id])

  database_secret_arn = local.dedicated ? module.database[0].master_user_secret_arn : var.shared_database_secret_arn
  database_env = local.dedicated ? {
    DATABASE_HOST       = module.database[0].address
    DATABASE_PORT       = tostring(module.database[0].port)
    DATABASE_NAME       = module.database[0].db_name
    DATABASE_SECRET_ARN = local.database_secret_arn
    } : {
    DATABASE_SECRET_ARN = local.database_secret_arn
  }
}

# ---------------------------------------------------------------- network (dedicated database only)

# No NAT gateway (the seed saves $32/month): private subnets reach AWS APIs through endpoints;
# the occasional import task runs in a public subnet with a public IP to pull its image.
module "vpc" {
  source = "../../modules/vpc"
  count  = local.dedicated ? 1 : 0

  name                  = var.name
  cidr_block            = var.vpc_cidr
  az_count              = 2
  create_public_subnets = true
  nat_gateway_mode      = "none"
  gateway_endpoints     = ["s3", "dynamodb"]
  interface_endpoints   = ["secretsmanager"]
}

resource "aws_security_group" "app" {
  # checkov:skip=CKV2_AWS_5: attached to the function and the import task through local.app_security_group_ids, which checkov does not follow
  count       = local.dedicated ? 1 : 0
  name        = "${var.name}-app"
  description = "Django function and import task"
  vpc_id      = module.vpc[0].vpc_id

  tags = { Name = "${var.name}-app" }
}

resource "aws_vpc_security_group_egress_rule" "app_all" {
  count             = local.dedicated ? 1 : 0
  security_group_id = aws_security_group.app[0].id
  description       = "All outbound (database, VPC endpoints, ECR for the import task)"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

# ---------------------------------------------------------------- data stores

module "database" {
  source = "../../modules/rds_postgres"
  count  = local.dedicated ? 1 : 0

  identifier                   = var.name
  engine_version               = "16"
  instance_class               = var.db_instance_class
  allocated_storage            = var.db_allocated_storage_gb
  max_allocated_storage        = var.db_max_allocated_storage_gb
  db_name                      = "app"
  multi_az                     = false
  backup_retention_days        = var.db_backup_retention_days
  deletion_protection          = var.db_deletion_protection
  skip_final_snapshot          = !var.db_deletion_protection
  vpc_id                       = module.vpc[0].vpc_id
  subnet_ids                   = module.vpc[0].private_subnet_ids
  allowed_security_group_ids   = [aws_security_group.app[0].id]
  performance_insights_enabled = false
  # PostGIS needs no preload; the first migration runs CREATE EXTENSION postgis.
}

module "rate_limits" {
  source = "../../modules/dynamodb_table"

  table_name             = "${var.name}-rate-limits"
  hash_key               = "key"
  ttl_attribute          = "expires_at"
  point_in_time_recovery = true
  deletion_protection    = local.is_prod
}

module "media" {
  source = "../../modules/s3_bucket"

  bucket_name        = "${var.name}-media-${local.account_id}"
  force_destroy      = !local.is_prod
  versioning_enabled = true
  lifecycle_rules = [{
    id                         = "expire-old-versions"
    noncurrent_expiration_days = 30
  }]
}

module "django_secret" {
  source = "../../modules/secret"

  name                    = "${var.name}/django"
  description             = "Django SECRET_KEY of ${var.name}"
  recovery_window_in_days = local.is_prod ? 30 : 7
  create_version          = nonsensitive(length(var.django_secret_key) > 0)
  secret_string           = jsonencode({ DJANGO_SECRET_KEY = var.django_secret_key })
}

# ---------------------------------------------------------------- Django on Lambda

data "aws_iam_policy_document" "app_access" {
  statement {
    sid       = "RateLimitTable"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"]
    resources = [module.rate_limits.arn]
  }

  statement {
    sid       = "Secrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = compact([module.django_secret.arn, local.database_secret_arn])
  }

  statement {
    sid       = "Buckets"
    actions   = ["s3:ListBucket"]
    resources = [module.media.arn, module.web.bucket_arn]
  }

  statement {
    sid       = "Objects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${module.media.arn}/*", "${module.web.bucket_arn}/*"]
  }
}

module "app_function" {
  source = "../../modules/lambda_function"

  function_name      = "${var.name}-django"
  description        = "Django app of ${var.name}"
  package_type       = "Image"
  image_uri          = var.image_uri
  architecture       = "x86_64"
  memory_size        = var.lambda_memory_mb
  timeout            = var.lambda_timeout_seconds
  tracing_mode       = var.enable_xray ? "Active" : "PassThrough"
  log_retention_days = var.log_retention_days
  subnet_ids         = local.app_subnet_ids
  security_group_ids = local.app_security_group_ids
  policy_documents   = [data.aws_iam_policy_document.app_access.json]

  environment_variables = merge(local.database_env, {
    ENVIRONMENT       = var.tier
    DJANGO_SECRET_ARN = module.django_secret.arn
    RATE_LIMIT_TABLE  = module.rate_limits.name
    STATIC_BUCKET     = module.web.bucket_name
    MEDIA_BUCKET      = module.media.id
    STATIC_URL        = "https://${module.web.domain_name}/static/"
  })
}

# Keep-warm: a scheduled ping so a warm container is ready (seed: 10 min staging, 4 min prod).
resource "aws_cloudwatch_event_rule" "keep_warm" {
  count               = var.keep_warm_minutes > 0 ? 1 : 0
  name                = "${var.name}-keep-warm"
  description         = "Keeps the Django function warm"
  schedule_expression = var.keep_warm_minutes == 1 ? "rate(1 minute)" : "rate(${var.keep_warm_minutes} minutes)"
}

resource "aws_cloudwatch_event_target" "keep_warm" {
  count = var.keep_warm_minutes > 0 ? 1 : 0
  rule  = aws_cloudwatch_event_rule.keep_warm[0].name
  arn   = module.app_function.arn
  input = jsonencode({ source = "keep-warm" })
}

resource "aws_lambda_permission" "keep_warm" {
  count         = var.keep_warm_minutes > 0 ? 1 : 0
  statement_id  = "AllowKeepWarmSchedule"
  action        = "lambda:InvokeFunction"
  function_name = module.app_function.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.keep_warm[0].arn
}

module "api_certificate" {
  source = "../../modules/acm_certificate"
  count  = local.api_domain ? 1 : 0

  domain_name    = var.api_domain_name
  hosted_zone_id = var.hosted_zone_id
}

module "api" {
  source = "../../modules/rest_api"

  name                   = "${var.name}-api"
  lambda_function_name   = module.app_function.function_name
  lambda_invoke_arn      = module.app_function.invoke_arn
  stage_name             = local.api_stage
  integration_timeout_ms = 29000
  throttle_rate_limit    = var.api_throttle_rate_limit
  throttle_burst_limit   = var.api_throttle_burst_limit
  xray_tracing_enabled   = var.enable_xray
  access_logs_enabled    = var.api_access_logging
  log_retention_days     = var.log_retention_days
  domain_name            = var.api_domain_name
  certificate_arn        = local.api_domain ? module.api_certificate[0].certificate_arn : null
  hosted_zone_id         = local.api_domain ? var.hosted_zone_id : null
}

# CloudFront in front of API Gateway (seed diagram); /static/* comes from the static bucket.
module "web" {
  source = "../../modules/static_site_cdn"

  name                = "${var.name}-web"
  bucket_name         = "${var.name}-static-${local.account_id}"
  force_destroy       = !local.is_prod
  default_root_object = ""
  spa_fallback        = false
  default_origin_id   = "api"
  s3_path_patterns    = ["/static/*"]
  custom_origins = [{
    origin_id     = "api"
    domain_name   = "${module.api.id}.execute-api.${local.region}.amazonaws.com"
    origin_path   = "/${local.api_stage}"
    path_patterns = []
  }]
}

# ---------------------------------------------------------------- occasional import task (ECS Fargate)

resource "aws_ecs_cluster" "import" {
  # checkov:skip=CKV_AWS_65: the cluster runs one occasional import task; Container Insights metrics would cost more than the task (trade-off)
  name = "${var.name}-geodata-import"

  setting {
    name  = "containerInsights"
    value = local.is_prod ? "enabled" : "disabled"
  }
}

resource "aws_cloudwatch_log_group" "import" {
  # checkov:skip=CKV_AWS_158: CloudWatch Logs encrypts every log group at rest with service keys; a per-environment CMK for logs ($1/month plus a key policy for logs.<region>) is a compliance-tier add-on, not in these tiers
  # checkov:skip=CKV_AWS_338: retention is the blueprint's log_retention_days field, chosen per tier (days in dev, months in prod); a year of logs is a compliance-tier choice
  name              = "/ecs/${var.name}-geodata-import"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "import_execution" {
  name               = "${var.name}-import-exec"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "import_execution" {
  role       = aws_iam_role.import_execution.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "import_execution_secrets" {
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = compact([module.django_secret.arn, local.database_secret_arn])
  }
}

resource "aws_iam_role_policy" "import_execution_secrets" {
  name   = "secrets"
  role   = aws_iam_role.import_execution.id
  policy = data.aws_iam_policy_document.import_execution_secrets.json
}

resource "aws_iam_role" "import_task" {
  name               = "${var.name}-import-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy" "import_task" {
  name   = "app-access"
  role   = aws_iam_role.import_task.id
  policy = data.aws_iam_policy_document.app_access.json
}

resource "aws_ecs_task_definition" "import" {
  family                   = "${var.name}-geodata-import"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.import_task_cpu)
  memory                   = tostring(var.import_task_memory_mb)
  execution_role_arn       = aws_iam_role.import_execution.arn
  task_role_arn            = aws_iam_role.import_task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # TIGER shapefiles are large; give the task room to unpack them.
  ephemeral_storage {
    size_in_gib = 50
  }

  # The command is given at run time (aws ecs run-task --overrides), e.g. a manage.py import.
  container_definitions = jsonencode([{
    name      = "import"
    image     = var.import_image_uri == "" ? var.image_uri : var.import_image_uri
    essential = true
    environment = [for k, v in merge(local.database_env, {
      ENVIRONMENT       = var.tier
      DJANGO_SECRET_ARN = module.django_secret.arn
      MEDIA_BUCKET      = module.media.id
    }) : { name = k, value = v }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.import.name
        awslogs-region        = local.region
        awslogs-stream-prefix = "import"
      }
    }
  }])
}

# ---------------------------------------------------------------- monitoring

locals {
  lambda_dims = { FunctionName = module.app_function.function_name }
  api_dims    = { ApiName = module.api.name, Stage = module.api.stage_name }
  db_alarms = local.dedicated ? {
    "rds-cpu" = {
      description         = "Database CPU above 80% for 15 minutes"
      namespace           = "AWS/RDS"
      metric_name         = "CPUUtilization"
      dimensions          = { DBInstanceIdentifier = var.name }
      statistic           = "Average"
      evaluation_periods  = 3
      threshold           = 80
      comparison_operator = "GreaterThanThreshold"
    }
    "rds-free-storage" = {
      description         = "Database free storage below 2 GB (autoscaling ceiling reached?)"
      namespace           = "AWS/RDS"
      metric_name         = "FreeStorageSpace"
      dimensions          = { DBInstanceIdentifier = var.name }
      statistic           = "Minimum"
      evaluation_periods  = 1
      threshold           = 2147483648
      comparison_operator = "LessThanThreshold"
    }
  } : {}
}

module "monitoring" {
  source = "../../modules/monitoring"

  name        = var.name
  alarm_email = var.alarm_email

  alarms = merge(local.db_alarms, {
    # The seed's lambda-high-error-rate alarm: Errors, Sum over 300 s, > 10.
    "lambda-high-error-rate" = {
      description         = "More than 10 Django function errors in 5 minutes"
      namespace           = "AWS/Lambda"
      metric_name         = "Errors"
      dimensions          = local.lambda_dims
      statistic           = "Sum"
      evaluation_periods  = 1
      threshold           = 10
      comparison_operator = "GreaterThanThreshold"
    }
    "lambda-throttles" = {
      description         = "Django function invocations are throttled"
      namespace           = "AWS/Lambda"
      metric_name         = "Throttles"
      dimensions          = local.lambda_dims
      statistic           = "Sum"
      evaluation_periods  = 1
      threshold           = 0
      comparison_operator = "GreaterThanThreshold"
    }
    "api-5xx" = {
      description         = "API Gateway 5xx responses above 10 in 5 minutes"
      namespace           = "AWS/ApiGateway"
      metric_name         = "5XXError"
      dimensions          = local.api_dims
      statistic           = "Sum"
      evaluation_periods  = 1
      threshold           = 10
      comparison_operator = "GreaterThanThreshold"
    }
    "rate-limit-throttles" = {
      description         = "Rate-limit table writes are throttled"
      namespace           = "AWS/DynamoDB"
      metric_name         = "WriteThrottleEvents"
      dimensions          = { TableName = module.rate_limits.name }
      statistic           = "Sum"
      evaluation_periods  = 1
      threshold           = 0
      comparison_operator = "GreaterThanThreshold"
    }
  })

  dashboard_body = jsonencode({
    widgets = concat([
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title = "Lambda invocations, errors, throttles", region = local.region, stat = "Sum", period = 300
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
          title = "Lambda duration p95 / concurrency", region = local.region, period = 300
          metrics = [
            ["AWS/Lambda", "Duration", "FunctionName", module.app_function.function_name, { stat = "p95" }],
            [".", "ConcurrentExecutions", ".", ".", { stat = "Maximum" }],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title = "API Gateway requests and errors", region = local.region, stat = "Sum", period = 300
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
          title = "Rate-limit table", region = local.region, stat = "Sum", period = 300
          metrics = [
            ["AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", module.rate_limits.name],
            [".", "ConsumedReadCapacityUnits", ".", "."],
            [".", "WriteThrottleEvents", ".", "."],
          ]
        }
      },
      ], local.dedicated ? [{
        type = "metric", x = 0, y = 12, width = 24, height = 6
        properties = {
          title = "Database", region = local.region, stat = "Average", period = 300
          metrics = [
            ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", var.name],
            [".", "DatabaseConnections", ".", "."],
            [".", "FreeStorageSpace", ".", ".", { yAxis = "right" }],
          ]
        }
    }] : [])
  })
}
