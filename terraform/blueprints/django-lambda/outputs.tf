output "app_url" {
  description = "Public URL of the site (CloudFront in front of API Gateway)."
  value       = "https://${module.web.domain_name}"
}

output "api_url" {
  description = "Base URL of the REST API (custom domain when set)."
  value       = module.api.url
}

output "api_id" {
  description = "REST API id."
  value       = module.api.id
}

output "lambda_function_name" {
  description = "Django function name (update its image to deploy)."
  value       = module.app_function.function_name
}

output "lambda_function_arn" {
  description = "Django function ARN."
  value       = module.app_function.arn
}

output "lambda_log_group" {
  description = "Log group of the Django function."
  value       = module.app_function.log_group_name
}

output "database_mode" {
  description = "shared or dedicated."
  value       = var.database_mode
}

output "database_endpoint" {
  description = "Host name of the dedicated database, or null in shared mode."
  value       = local.dedicated ? module.database[0].address : null
}

output "database_secret_arn" {
  description = "Secret holding the database credentials the app uses."
  value       = local.database_secret_arn
}

output "django_secret_arn" {
  description = "Secret holding the Django SECRET_KEY."
  value       = module.django_secret.arn
}

output "rate_limit_table_name" {
  description = "DynamoDB rate-limit table."
  value       = module.rate_limits.name
}

output "static_bucket_name" {
  description = "Bucket for collectstatic (keys under static/)."
  value       = module.web.bucket_name
}

output "media_bucket_name" {
  description = "Bucket for user uploads."
  value       = module.media.id
}

output "cloudfront_distribution_id" {
  description = "CloudFront distribution id."
  value       = module.web.distribution_id
}

output "import_cluster_arn" {
  description = "ECS cluster for the geodata import task."
  value       = aws_ecs_cluster.import.arn
}

output "import_task_definition_arn" {
  description = "Task definition to pass to aws ecs run-task."
  value       = aws_ecs_task_definition.import.arn
}

output "import_run_task_network" {
  description = "Subnets and security groups to use with run-task (assign a public IP in dedicated mode)."
  value = {
    subnets          = local.task_subnet_ids
    security_groups  = local.app_security_group_ids
    assign_public_ip = local.dedicated
  }
}

output "vpc_id" {
  description = "VPC created in dedicated mode, or null."
  value       = local.dedicated ? module.vpc[0].vpc_id : null
}

output "alarm_topic_arn" {
  description = "SNS topic for alarm notifications."
  value       = module.monitoring.sns_topic_arn
}
