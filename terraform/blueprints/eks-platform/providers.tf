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

# Region of the S3 cross-region replica (used only when replication is on).
provider "aws" {
  alias  = "replica"
  region = var.replica_region

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
