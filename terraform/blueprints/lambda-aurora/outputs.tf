output "application_url" {
  description = "Public URL of the app: the HTTP API when enabled, else the function URL."
  value       = var.use_api_gateway ? module.http_api[0].endpoint : aws_lambda_function_url.app.function_url
}

output "function_url" {
  description = "Lambda function URL."
  value       = aws_lambda_function_url.app.function_url
}

output "http_api_endpoint" {
  description = "HTTP API endpoint, or null when use_api_gateway is off."
  value       = var.use_api_gateway ? module.http_api[0].endpoint : null
}

output "lambda_function_name" {
  description = "Function name (update its image to deploy)."
  value       = module.app_function.function_name
}

output "lambda_function_arn" {
  description = "Function ARN."
  value       = module.app_function.arn
}

output "lambda_log_group" {
  description = "Log group of the function."
  value       = module.app_function.log_group_name
}

output "aurora_cluster_identifier" {
  description = "Aurora cluster identifier."
  value       = aws_rds_cluster.aurora.cluster_identifier
}

output "aurora_cluster_arn" {
  description = "Aurora cluster ARN."
  value       = aws_rds_cluster.aurora.arn
}

output "aurora_endpoint" {
  description = "Writer endpoint of the cluster."
  value       = aws_rds_cluster.aurora.endpoint
}

output "database_secret_arn" {
  description = "Secrets Manager secret with the master credentials (managed and rotated by RDS)."
  value       = aws_rds_cluster.aurora.master_user_secret[0].secret_arn
}

output "vpc_id" {
  description = "VPC id."
  value       = module.vpc.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets of the function and database."
  value       = module.vpc.private_subnet_ids
}

output "alarm_topic_arn" {
  description = "SNS topic for alarm notifications."
  value       = module.monitoring.sns_topic_arn
}

output "budget_name" {
  description = "AWS Budgets budget watching this environment's monthly cost."
  value       = aws_budgets_budget.monthly.name
}
