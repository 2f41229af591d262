resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  protocol_type = "HTTP"

  dynamic "cors_configuration" {
    for_each = length(var.cors_allow_origins) > 0 ? [1] : []
    content {
      allow_origins = var.cors_allow_origins
      allow_methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
      allow_headers = ["authorization", "content-type"]
      max_age       = 3600
    }
  }
}

resource "aws_apigatewayv2_integration" "this" {
  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = var.integration_type
  integration_uri        = var.integration_uri
  integration_method     = var.integration_type == "HTTP_PROXY" ? "ANY" : "POST"
  payload_format_version = var.integration_type == "AWS_PROXY" ? "2.0" : "1.0"
  timeout_milliseconds   = var.timeout_ms
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  count            = var.jwt_issuer == "" ? 0 : 1
  api_id           = aws_apigatewayv2_api.this.id
  name             = "${var.name}-jwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = var.jwt_issuer
    audience = var.jwt_audience
  }
}

resource "aws_apigatewayv2_route" "this" {
  for_each           = toset(var.route_keys)
  api_id             = aws_apigatewayv2_api.this.id
  route_key          = each.value
  target             = "integrations/${aws_apigatewayv2_integration.this.id}"
  authorization_type = var.jwt_issuer == "" ? "NONE" : "JWT"
  authorizer_id      = var.jwt_issuer == "" ? null : aws_apigatewayv2_authorizer.jwt[0].id
}

resource "aws_cloudwatch_log_group" "access" {
  # checkov:skip=CKV_AWS_158: CloudWatch Logs encrypts every log group at rest with service keys; a per-environment CMK for logs ($1/month plus a key policy for logs.<region>) is a compliance-tier add-on, not in these tiers
  # checkov:skip=CKV_AWS_338: retention is the blueprint's log_retention_days field, chosen per tier (days in dev, months in prod); a year of logs is a compliance-tier choice
  name              = "/aws/apigateway/${var.name}"
  retention_in_days = var.log_retention_days
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    detailed_metrics_enabled = true
    throttling_rate_limit    = var.throttle_rate_limit
    throttling_burst_limit   = var.throttle_burst_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      ip                 = "$context.identity.sourceIp"
      requestTime        = "$context.requestTime"
      routeKey           = "$context.routeKey"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      integrationLatency = "$context.integrationLatency"
      integrationError   = "$context.integrationErrorMessage"
    })
  }
}

resource "aws_lambda_permission" "api" {
  count         = var.integration_type == "AWS_PROXY" ? 1 : 0
  statement_id  = "AllowInvokeFromHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = var.lambda_function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*/*"
}
