resource "aws_api_gateway_rest_api" "this" {
  name = var.name

  # A replacement API must exist before the old one goes, so the stage and custom domain move
  # over without an outage.
  lifecycle {
    create_before_destroy = true
  }

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

# A greedy proxy: Django/FastAPI style apps do their own routing.
resource "aws_api_gateway_resource" "proxy" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "{proxy+}"
}

locals {
  resource_ids = {
    root  = aws_api_gateway_rest_api.this.root_resource_id
    proxy = aws_api_gateway_resource.proxy.id
  }
}

resource "aws_api_gateway_method" "any" {
  # checkov:skip=CKV_AWS_59: a public proxy: the app authenticates requests itself (sessions or tokens); API Gateway authorizers are not used (trade-off)
  # checkov:skip=CKV2_AWS_53: a greedy proxy; the app validates request bodies, API Gateway models would duplicate it
  for_each      = local.resource_ids
  rest_api_id   = aws_api_gateway_rest_api.this.id
  resource_id   = each.value
  http_method   = "ANY"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "lambda" {
  for_each                = local.resource_ids
  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = each.value
  http_method             = aws_api_gateway_method.any[each.key].http_method
  integration_http_method = "POST"
  type                    = "AWS_PROXY"
  uri                     = var.lambda_invoke_arn
  timeout_milliseconds    = var.integration_timeout_ms
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowInvokeFromApiGateway"
  action        = "lambda:InvokeFunction"
  function_name = var.lambda_function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/*/*"
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id

  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_resource.proxy.id,
      [for m in aws_api_gateway_method.any : m.id],
      [for i in aws_api_gateway_integration.lambda : i.id],
      var.integration_timeout_ms,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "access" {
  # checkov:skip=CKV_AWS_158: CloudWatch Logs encrypts every log group at rest with service keys; a per-environment CMK for logs ($1/month plus a key policy for logs.<region>) is a compliance-tier add-on, not in these tiers
  # checkov:skip=CKV_AWS_338: retention is the blueprint's log_retention_days field, chosen per tier (days in dev, months in prod); a year of logs is a compliance-tier choice
  count             = var.access_logs_enabled ? 1 : 0
  name              = "/aws/apigateway/${var.name}"
  retention_in_days = var.log_retention_days
}

# Access logs (here) and execution logs (method settings below) need the account-level API Gateway
# CloudWatch Logs role in this region, or the first apply fails with "CloudWatch Logs role ARN
# must be set in account settings to enable logging". It is an account setting, set once by the
# platform team (terraform/modules/apigateway_account); blueprints using this module declare the
# prerequisite `apigateway-cloudwatch-role`.
resource "aws_api_gateway_stage" "this" {
  # checkov:skip=CKV_AWS_120: responses are per user and dynamic; a stage cache costs from $14/month and would serve stale data (trade-off)
  # checkov:skip=CKV2_AWS_51: a public API for browsers and mobile apps; mutual TLS client certificates do not apply
  # checkov:skip=CKV2_AWS_29: WAF ($5/month plus rules) is not in these tiers; stage throttling limits abuse; put WAF or CloudFront with WAF in front for a public production API
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.stage_name
  xray_tracing_enabled = var.xray_tracing_enabled

  dynamic "access_log_settings" {
    for_each = var.access_logs_enabled ? [1] : []
    content {
      destination_arn = aws_cloudwatch_log_group.access[0].arn
      format = jsonencode({
        requestId          = "$context.requestId"
        ip                 = "$context.identity.sourceIp"
        requestTime        = "$context.requestTime"
        httpMethod         = "$context.httpMethod"
        path               = "$context.path"
        status             = "$context.status"
        responseLength     = "$context.responseLength"
        integrationLatency = "$context.integration.latency"
        responseLatency    = "$context.responseLatency"
      })
    }
  }
}

resource "aws_api_gateway_method_settings" "all" {
  # checkov:skip=CKV_AWS_225: responses are per user and dynamic; method caching is off on purpose (trade-off)
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = var.access_logs_enabled ? "ERROR" : "OFF"
    throttling_rate_limit  = var.throttle_rate_limit
    throttling_burst_limit = var.throttle_burst_limit
  }
}

resource "aws_api_gateway_domain_name" "this" {
  count                    = var.domain_name == "" ? 0 : 1
  domain_name              = var.domain_name
  regional_certificate_arn = var.certificate_arn
  security_policy          = "TLS_1_2"

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_base_path_mapping" "this" {
  count       = var.domain_name == "" ? 0 : 1
  api_id      = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  domain_name = aws_api_gateway_domain_name.this[0].domain_name
}

resource "aws_route53_record" "this" {
  count   = var.domain_name == "" ? 0 : 1
  zone_id = var.hosted_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = aws_api_gateway_domain_name.this[0].regional_domain_name
    zone_id                = aws_api_gateway_domain_name.this[0].regional_zone_id
    evaluate_target_health = false
  }
}
