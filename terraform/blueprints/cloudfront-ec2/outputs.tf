output "site_url" {
  description = "Public URL of the site."
  value       = "https://${local.site_host}"
}

output "api_base_url" {
  description = "API base URL through CloudFront."
  value       = "https://${local.site_host}/backend/api/v1"
}

output "cloudfront_distribution_id" {
  description = "CloudFront distribution id (for invalidations)."
  value       = module.site.distribution_id
}

output "cloudfront_domain_name" {
  description = "cloudfront.net host name."
  value       = module.site.domain_name
}

output "assets_bucket_name" {
  description = "Bucket for Next.js static assets (keys under _next/static/)."
  value       = module.site.bucket_name
}

output "nextjs_function_name" {
  description = "Next.js SSR function name."
  value       = module.nextjs.function_name
}

output "nextjs_function_url" {
  description = "Function URL of the SSR function (CloudFront's origin)."
  value       = aws_lambda_function_url.nextjs.function_url
}

output "http_api_endpoint" {
  description = "Default endpoint of the HTTP API."
  value       = module.api.endpoint
}

output "instance_id" {
  description = "EC2 instance id (connect with aws ssm start-session)."
  value       = aws_instance.server.id
}

output "elastic_ip" {
  description = "Elastic IP of the server."
  value       = aws_eip.server.public_ip
}

output "data_volume_id" {
  description = "EBS data volume id."
  value       = aws_ebs_volume.data.id
}

output "backup_bucket_name" {
  description = "Bucket for pg_dump and restic backups."
  value       = module.backups.id
}

output "ssm_parameter_prefix" {
  description = "SSM Parameter Store path holding the server's secrets and configuration."
  value       = local.ssm_prefix
}

output "health_check_id" {
  description = "Route 53 health check id, or null."
  value       = var.enable_health_check ? aws_route53_health_check.api[0].id : null
}

output "alarm_topic_arn" {
  description = "SNS topic for alarm notifications in the deployment region."
  value       = module.monitoring.sns_topic_arn
}
