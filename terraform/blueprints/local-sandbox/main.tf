locals {
  tags = {
    Team             = var.team
    Environment      = var.name
    Tier             = var.tier
    Blueprint        = var.blueprint
    BlueprintVersion = var.blueprint_version
    CostCentre       = var.cost_centre
  }
}

# Each instance "boots" by running a local command, so apply writes real log lines over time.
resource "null_resource" "app" {
  count = var.app_replicas

  triggers = {
    name     = var.name
    greeting = var.greeting
    tags     = jsonencode(local.tags)
  }

  provisioner "local-exec" {
    command = "echo \"$GREETING (instance $INDEX of $COUNT)\"; sleep $SECONDS_TO_BOOT; echo \"token configured: $TOKEN\""
    environment = {
      GREETING        = var.greeting
      INDEX           = count.index + 1
      COUNT           = var.app_replicas
      SECONDS_TO_BOOT = var.apply_seconds
      TOKEN           = var.api_token
    }
  }
}

resource "null_resource" "cache" {
  count = var.enable_cache ? 1 : 0

  triggers = {
    size_mb = var.cache_size_mb
  }
}
