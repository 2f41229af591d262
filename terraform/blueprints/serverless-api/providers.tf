provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Team             = var.team
      Environment      = var.name
      Tier             = var.tier
      Blueprint        = var.blueprint
      BlueprintVersion = var.blueprint_version
      CostCentre       = var.cost_centre
    }
  }
}

# CloudFront certificates must live in us-east-1.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  default_tags {
    tags = {
      Team             = var.team
      Environment      = var.name
      Tier             = var.tier
      Blueprint        = var.blueprint
      BlueprintVersion = var.blueprint_version
      CostCentre       = var.cost_centre
    }
  }
}
