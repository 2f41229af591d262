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
