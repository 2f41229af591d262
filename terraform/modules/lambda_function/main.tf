data "aws_partition" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.function_name}-lambda"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

locals {
  in_vpc = length(var.subnet_ids) > 0
  managed_policies = concat(
    ["service-role/AWSLambdaBasicExecutionRole"],
    local.in_vpc ? ["service-role/AWSLambdaVPCAccessExecutionRole"] : [],
    var.tracing_mode == "Active" ? ["AWSXRayDaemonWriteAccess"] : [],
  )
}

resource "aws_iam_role_policy_attachment" "managed" {
  for_each   = toset(local.managed_policies)
  role       = aws_iam_role.this.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/${each.value}"
}

data "aws_iam_policy_document" "inline" {
  count                   = length(var.policy_documents) > 0 ? 1 : 0
  source_policy_documents = var.policy_documents
}

resource "aws_iam_role_policy" "inline" {
  count  = length(var.policy_documents) > 0 ? 1 : 0
  name   = "${var.function_name}-access"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.inline[0].json
}

# Created up front so retention applies from the first invocation.
resource "aws_cloudwatch_log_group" "this" {
  # checkov:skip=CKV_AWS_158: CloudWatch Logs encrypts every log group at rest with service keys; a per-environment CMK for logs ($1/month plus a key policy for logs.<region>) is a compliance-tier add-on, not in these tiers
  # checkov:skip=CKV_AWS_338: retention is the blueprint's log_retention_days field, chosen per tier (days in dev, months in prod); a year of logs is a compliance-tier choice
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "this" {
  # checkov:skip=CKV_AWS_116: functions behind URLs and API Gateway are invoked synchronously, where a dead-letter queue never receives anything
  # checkov:skip=CKV_AWS_272: packages come from each team's CI; code signing needs a signing profile per team (platform-tier add-on)
  # checkov:skip=CKV_AWS_173: environment variables hold names and ARNs only (secrets stay in Secrets Manager/SSM) and are encrypted at rest with the aws/lambda key
  function_name                  = var.function_name
  description                    = var.description
  role                           = aws_iam_role.this.arn
  package_type                   = var.package_type
  image_uri                      = var.package_type == "Image" ? var.image_uri : null
  s3_bucket                      = var.package_type == "Zip" ? var.s3_bucket : null
  s3_key                         = var.package_type == "Zip" ? var.s3_key : null
  runtime                        = var.package_type == "Zip" ? var.runtime : null
  handler                        = var.package_type == "Zip" ? var.handler : null
  architectures                  = [var.architecture]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrency
  publish                        = var.publish

  dynamic "image_config" {
    for_each = var.package_type == "Image" && length(var.image_command) > 0 ? [var.image_command] : []
    content {
      command = image_config.value
    }
  }

  dynamic "environment" {
    for_each = length(var.environment_variables) > 0 ? [var.environment_variables] : []
    content {
      variables = environment.value
    }
  }

  tracing_config {
    mode = var.tracing_mode
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  dynamic "vpc_config" {
    for_each = local.in_vpc ? [1] : []
    content {
      subnet_ids         = var.subnet_ids
      security_group_ids = var.security_group_ids
    }
  }

  depends_on = [
    aws_iam_role_policy_attachment.managed,
    aws_iam_role_policy.inline,
  ]
}
