output "cloudwatch_role_arn" {
  description = "The role set as the account's API Gateway CloudWatch Logs role"
  value       = aws_api_gateway_account.this.cloudwatch_role_arn
}
