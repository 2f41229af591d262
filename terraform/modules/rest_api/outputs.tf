output "id" {
  description = "REST API id."
  value       = aws_api_gateway_rest_api.this.id
}

output "name" {
  description = "REST API name (the ApiName dimension of its CloudWatch metrics)."
  value       = aws_api_gateway_rest_api.this.name
}

output "execution_arn" {
  description = "Execution ARN, for IAM and Lambda permissions."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "stage_name" {
  description = "Deployed stage."
  value       = aws_api_gateway_stage.this.stage_name
}

output "invoke_url" {
  description = "execute-api URL of the stage."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "url" {
  description = "Public URL: the custom domain when set, else the invoke URL."
  value       = var.domain_name == "" ? aws_api_gateway_stage.this.invoke_url : "https://${var.domain_name}"
}
