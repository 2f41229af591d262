variable "name" {
  description = "Name prefix for the topic, alarms and dashboard."
  type        = string
}

variable "alarm_email" {
  description = "Address subscribed to the alarm topic; empty creates the topic without a subscription."
  type        = string
  default     = ""
}

variable "alarms" {
  description = "Single-metric alarms, keyed by a short name."
  type = map(object({
    description         = string
    namespace           = string
    metric_name         = string
    dimensions          = map(string)
    statistic           = optional(string, "Sum")
    extended_statistic  = optional(string)
    period              = optional(number, 300)
    evaluation_periods  = optional(number, 1)
    datapoints_to_alarm = optional(number)
    threshold           = number
    comparison_operator = optional(string, "GreaterThanThreshold")
    treat_missing_data  = optional(string, "notBreaching")
  }))
  default = {}
}

variable "expression_alarms" {
  description = "Metric-math alarms (e.g. error rate = errors / invocations), keyed by a short name."
  type = map(object({
    description         = string
    expression          = string
    period              = optional(number, 300)
    evaluation_periods  = optional(number, 1)
    threshold           = number
    comparison_operator = optional(string, "GreaterThanThreshold")
    treat_missing_data  = optional(string, "notBreaching")
    metrics = map(object({
      namespace   = string
      metric_name = string
      dimensions  = map(string)
      stat        = optional(string, "Sum")
    }))
  }))
  default = {}
}

variable "create_dashboard" {
  description = "Create the dashboard. A separate flag because the body often holds values known only after apply."
  type        = bool
  default     = true
}

variable "dashboard_body" {
  description = "CloudWatch dashboard JSON (used when create_dashboard is true)."
  type        = string
  default     = "{\"widgets\": []}"
}
