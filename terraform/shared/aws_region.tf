# The AWS region the portal passes to every AWS blueprint run (the request form asks for it).
# Linked into each AWS blueprint as aws_region.tf, so there is one declaration.
variable "region" {
  description = "AWS region to deploy into."
  type        = string
  validation {
    condition     = contains(["us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2", "eu-central-1", "eu-north-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1"], var.region)
    error_message = "The region must be one of the regions the platform supports."
  }
}
