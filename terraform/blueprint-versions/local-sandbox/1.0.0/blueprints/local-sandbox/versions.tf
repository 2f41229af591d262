terraform {
  # The sandbox runs on the Terraform 1.0.3 bundled for offline use.
  required_version = ">= 1.0.3"

  required_providers {
    null = {
      source  = "hashicorp/null"
      version = "~> 2.1"
    }
  }
}
