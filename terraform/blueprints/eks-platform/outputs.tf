output "app_url" {
  description = "URL of the application load balancer (custom domain when set)."
  value       = var.domain_name != "" ? "${local.https ? "https" : "http"}://${var.domain_name}" : "${local.https ? "https" : "http"}://${aws_lb.app.dns_name}"
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.app.dns_name
}

output "alb_arn" {
  description = "Load balancer ARN."
  value       = aws_lb.app.arn
}

output "target_group_arn" {
  description = "Target group for a TargetGroupBinding (pods registered by IP)."
  value       = aws_lb_target_group.app.arn
}

output "eks_cluster_name" {
  description = "EKS cluster name (aws eks update-kubeconfig --name ...)."
  value       = aws_eks_cluster.this.name
}

output "eks_cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = aws_eks_cluster.this.endpoint
}

output "eks_cluster_arn" {
  description = "EKS cluster ARN."
  value       = aws_eks_cluster.this.arn
}

output "eks_cluster_certificate_authority" {
  description = "Base64 CA certificate of the cluster."
  value       = aws_eks_cluster.this.certificate_authority[0].data
  sensitive   = true
}

output "eks_oidc_provider_arn" {
  description = "IAM OIDC provider for service-account roles."
  value       = aws_iam_openid_connect_provider.eks.arn
}

output "app_role_arn" {
  description = "IAM role for the \"app\" service account (annotate eks.amazonaws.com/role-arn)."
  value       = aws_iam_role.app.arn
}

output "lb_controller_role_arn" {
  description = "IAM role for the aws-load-balancer-controller service account."
  value       = aws_iam_role.lb_controller.arn
}

output "database_endpoint" {
  description = "PostgreSQL host name."
  value       = module.database.address
}

output "database_arn" {
  description = "RDS instance ARN."
  value       = module.database.arn
}

output "database_secret_arn" {
  description = "Secrets Manager secret with the master credentials (managed by RDS)."
  value       = module.database.master_user_secret_arn
}

output "data_bucket_name" {
  description = "S3 bucket for uploads, assets and backups."
  value       = module.data_bucket.id
}

output "replica_bucket_arn" {
  description = "Cross-region replica bucket ARN, or null."
  value       = var.enable_s3_replication ? module.replica_bucket[0].arn : null
}

output "queue_url" {
  description = "URL of the task queue."
  value       = aws_sqs_queue.tasks.id
}

output "queue_arn" {
  description = "ARN of the task queue."
  value       = aws_sqs_queue.tasks.arn
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue."
  value       = aws_sqs_queue.tasks_dlq.id
}

output "kms_key_arn" {
  description = "KMS key encrypting EKS secrets, RDS, S3, SQS and logs."
  value       = aws_kms_key.main.arn
}

output "waf_web_acl_arn" {
  description = "WAF web ACL attached to the load balancer."
  value       = aws_wafv2_web_acl.app.arn
}

output "cloudtrail_arn" {
  description = "CloudTrail trail ARN, or null."
  value       = var.enable_cloudtrail ? aws_cloudtrail.this[0].arn : null
}

output "vpc_id" {
  description = "VPC id."
  value       = module.vpc.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets (pods, database)."
  value       = module.vpc.private_subnet_ids
}

output "alarm_topic_arn" {
  description = "SNS topic for alarm notifications."
  value       = module.monitoring.sns_topic_arn
}
