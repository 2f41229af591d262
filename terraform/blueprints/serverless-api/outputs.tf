output "web_url" {
  description = "URL of the web front end (CloudFront)."
  value       = local.custom_domain ? "https://${var.domain_name}" : "https://${module.web.domain_name}"
}

output "api_url" {
  description = "Base URL of the REST API."
  value       = module.api.url
}

output "api_invoke_url" {
  description = "execute-api URL of the API stage."
  value       = module.api.invoke_url
}

output "api_id" {
  description = "REST API id."
  value       = module.api.id
}

output "lambda_function_name" {
  description = "API function name (deploy new code to it)."
  value       = module.api_function.function_name
}

output "lambda_function_arn" {
  description = "API function ARN."
  value       = module.api_function.arn
}

output "lambda_log_group" {
  description = "CloudWatch log group of the API function."
  value       = module.api_function.log_group_name
}

output "dynamodb_table_name" {
  description = "DynamoDB table name."
  value       = module.table.name
}

output "dynamodb_table_arn" {
  description = "DynamoDB table ARN."
  value       = module.table.arn
}

output "web_bucket_name" {
  description = "Bucket to upload the built front end to."
  value       = module.web.bucket_name
}

output "cloudfront_distribution_id" {
  description = "CloudFront distribution id (for invalidations after a deploy)."
  value       = module.web.distribution_id
}

output "app_secret_arn" {
  description = "Secrets Manager secret with the JWT key and OAuth credentials."
  value       = module.app_secret.arn
}

output "export_bucket_name" {
  description = "Bucket receiving the daily table exports, or null."
  value       = var.enable_daily_export ? module.exports[0].id : null
}

output "alarm_topic_arn" {
  description = "SNS topic for alarm notifications."
  value       = module.monitoring.sns_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard."
  value       = module.monitoring.dashboard_name
}
