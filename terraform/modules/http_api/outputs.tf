output "id" {
  description = "HTTP API id (the ApiId dimension of its CloudWatch metrics)."
  value       = aws_apigatewayv2_api.this.id
}

output "endpoint" {
  description = "Default endpoint URL."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "host" {
  description = "Host name of the default endpoint, usable as a CloudFront origin."
  value       = replace(aws_apigatewayv2_api.this.api_endpoint, "https://", "")
}

output "execution_arn" {
  description = "Execution ARN."
  value       = aws_apigatewayv2_api.this.execution_arn
}
