# ---------------------------------------------------------------- CloudTrail

locals {
  trail_name = "${var.name}-trail"
  trail_arn  = "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/${local.trail_name}"
}

data "aws_iam_policy_document" "trail_bucket" {
  statement {
    sid       = "CloudTrailAclCheck"
    actions   = ["s3:GetBucketAcl"]
    resources = ["arn:${local.partition}:s3:::${var.name}-trail-${local.account_id}"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }

  statement {
    sid       = "CloudTrailWrite"
    actions   = ["s3:PutObject"]
    resources = ["arn:${local.partition}:s3:::${var.name}-trail-${local.account_id}/AWSLogs/${local.account_id}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }
}

module "trail_bucket" {
  source = "../../modules/s3_bucket"
  count  = var.enable_cloudtrail ? 1 : 0

  bucket_name        = "${var.name}-trail-${local.account_id}"
  force_destroy      = !local.is_prod
  versioning_enabled = true
  kms_key_arn        = aws_kms_key.main.arn
  policy_documents   = [data.aws_iam_policy_document.trail_bucket.json]
  lifecycle_rules = [{
    id                       = "archive-trail"
    transition_days          = 90
    transition_storage_class = "GLACIER_IR"
    expiration_days          = local.is_prod ? 2555 : 365
  }]
}

resource "aws_cloudwatch_log_group" "trail" {
  # checkov:skip=CKV_AWS_338: retention is the blueprint's log_retention_days field, chosen per tier (days in dev, months in prod); a year of logs is a compliance-tier choice
  count             = var.enable_cloudtrail ? 1 : 0
  name              = "/aws/cloudtrail/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

data "aws_iam_policy_document" "trail_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "trail" {
  count              = var.enable_cloudtrail ? 1 : 0
  name               = "${var.name}-cloudtrail"
  assume_role_policy = data.aws_iam_policy_document.trail_assume.json
}

data "aws_iam_policy_document" "trail_logs" {
  count = var.enable_cloudtrail ? 1 : 0
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.trail[0].arn}:*"]
  }
}

resource "aws_iam_role_policy" "trail" {
  count  = var.enable_cloudtrail ? 1 : 0
  name   = "cloudwatch-logs"
  role   = aws_iam_role.trail[0].id
  policy = data.aws_iam_policy_document.trail_logs[0].json
}

resource "aws_cloudtrail" "this" {
  # checkov:skip=CKV_AWS_252: trail delivery notifications have no consumer; the CloudWatch Logs integration feeds the alarms instead
  count                         = var.enable_cloudtrail ? 1 : 0
  name                          = local.trail_name
  s3_bucket_name                = module.trail_bucket[0].id
  kms_key_id                    = aws_kms_key.main.arn
  include_global_service_events = true
  is_multi_region_trail         = true
  enable_log_file_validation    = true
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.trail[0].arn}:*"
  cloud_watch_logs_role_arn     = aws_iam_role.trail[0].arn

  # Management events plus object-level events on the data bucket.
  event_selector {
    read_write_type           = "All"
    include_management_events = true

    data_resource {
      type   = "AWS::S3::Object"
      values = ["${module.data_bucket.arn}/"]
    }
  }

  depends_on = [module.trail_bucket, aws_iam_role_policy.trail]
}

# ---------------------------------------------------------------- alarms and dashboard

locals {
  alb_dims = { LoadBalancer = aws_lb.app.arn_suffix }
  tg_dims  = { LoadBalancer = aws_lb.app.arn_suffix, TargetGroup = aws_lb_target_group.app.arn_suffix }
  db_dims  = { DBInstanceIdentifier = module.database.identifier }
}

module "monitoring" {
  source = "../../modules/monitoring"

  name        = var.name
  alarm_email = var.alarm_email

  alarms = {
    "alb-5xx" = {
      description = "More than 10 5xx responses from the targets in 5 minutes"
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = local.alb_dims
      threshold   = 10
    }
    "alb-latency-p95" = {
      description        = "Target response time p95 above 1 s for 15 minutes"
      namespace          = "AWS/ApplicationELB"
      metric_name        = "TargetResponseTime"
      dimensions         = local.alb_dims
      extended_statistic = "p95"
      evaluation_periods = 3
      threshold          = 1
    }
    "alb-unhealthy-targets" = {
      description        = "Unhealthy pods behind the load balancer for 10 minutes"
      namespace          = "AWS/ApplicationELB"
      metric_name        = "UnHealthyHostCount"
      dimensions         = local.tg_dims
      statistic          = "Maximum"
      evaluation_periods = 2
      threshold          = 0
    }
    "rds-cpu" = {
      description        = "Database CPU above 80% for 15 minutes"
      namespace          = "AWS/RDS"
      metric_name        = "CPUUtilization"
      dimensions         = local.db_dims
      statistic          = "Average"
      evaluation_periods = 3
      threshold          = 80
    }
    "rds-free-storage" = {
      description         = "Database free storage below 5 GB"
      namespace           = "AWS/RDS"
      metric_name         = "FreeStorageSpace"
      dimensions          = local.db_dims
      statistic           = "Minimum"
      threshold           = 5368709120
      comparison_operator = "LessThanThreshold"
    }
    "sqs-dlq-messages" = {
      description = "Messages arrived in the dead-letter queue"
      namespace   = "AWS/SQS"
      metric_name = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = aws_sqs_queue.tasks_dlq.name }
      statistic   = "Maximum"
      threshold   = 0
    }
    "sqs-oldest-message" = {
      description        = "Oldest task waits more than 10 minutes: workers are behind"
      namespace          = "AWS/SQS"
      metric_name        = "ApproximateAgeOfOldestMessage"
      dimensions         = { QueueName = aws_sqs_queue.tasks.name }
      statistic          = "Maximum"
      evaluation_periods = 2
      threshold          = 600
    }
    "waf-blocked" = {
      description = "WAF blocked more than 1000 requests in 5 minutes"
      namespace   = "AWS/WAFV2"
      metric_name = "BlockedRequests"
      dimensions  = { WebACL = aws_wafv2_web_acl.app.name, Region = local.region, Rule = "ALL" }
      threshold   = 1000
    }
  }

  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title = "Load balancer requests and errors", region = local.region, stat = "Sum", period = 300
          metrics = [
            ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", aws_lb.app.arn_suffix],
            [".", "HTTPCode_Target_5XX_Count", ".", "."],
            [".", "HTTPCode_Target_4XX_Count", ".", "."],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title = "Target response time", region = local.region, period = 300
          metrics = [
            ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", aws_lb.app.arn_suffix, { stat = "p50" }],
            ["...", { stat = "p95" }],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title = "Database", region = local.region, stat = "Average", period = 300
          metrics = [
            ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", module.database.identifier],
            [".", "DatabaseConnections", ".", "."],
            [".", "FreeStorageSpace", ".", ".", { yAxis = "right" }],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title = "Task queue", region = local.region, stat = "Maximum", period = 300
          metrics = [
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.tasks.name],
            [".", "ApproximateAgeOfOldestMessage", ".", ".", { yAxis = "right" }],
            [".", "ApproximateNumberOfMessagesVisible", ".", aws_sqs_queue.tasks_dlq.name],
          ]
        }
      },
    ]
  })
}
