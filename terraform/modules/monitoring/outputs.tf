output "sns_topic_arn" {
  description = "Alarm notification topic."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_arns" {
  description = "ARNs of all alarms, by name."
  value = merge(
    { for k, a in aws_cloudwatch_metric_alarm.metric : k => a.arn },
    { for k, a in aws_cloudwatch_metric_alarm.expression : k => a.arn },
  )
}

output "dashboard_name" {
  description = "CloudWatch dashboard name, or null."
  value       = var.create_dashboard ? aws_cloudwatch_dashboard.this[0].dashboard_name : null
}
