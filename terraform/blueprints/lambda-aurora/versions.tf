terraform {
  required_version = ">= 1.5.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.28" # invoked_via_function_url on aws_lambda_permission (6.28.0)
    }
  }
}
