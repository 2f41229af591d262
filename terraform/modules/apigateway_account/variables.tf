variable "role_name" {
  type        = string
  description = "Name of the IAM role API Gateway assumes to write logs (one per account; IAM is global)"
  default     = "apigateway-cloudwatch-logs"
}
