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
    image_id = var.image_id
    tags     = jsonencode(local.tags)
  }

  provisioner "local-exec" {
    # The token stays out of this command: Terraform hides all output of a provisioner that
    # references a sensitive value, and the live log should show the boot lines.
    command = "echo \"$GREETING (instance $INDEX of $COUNT)\"; sleep $SECONDS_TO_BOOT; echo \"instance $INDEX ready\""
    environment = {
      GREETING        = var.greeting
      INDEX           = count.index + 1
      COUNT           = var.app_replicas
      SECONDS_TO_BOOT = var.apply_seconds
    }
  }
}

resource "null_resource" "cache" {
  count = var.enable_cache ? 1 : 0

  triggers = {
    size_mb = var.cache_size_mb
  }
}

# Since 1.1.0: a pretend health check that probes every instance.
resource "null_resource" "healthcheck" {
  triggers = {
    instances        = join(",", null_resource.app[*].id)
    interval_seconds = var.healthcheck_interval_seconds
  }

  provisioner "local-exec" {
    command = "echo \"health check every $INTERVAL s on $COUNT instance(s)\""
    environment = {
      INTERVAL = var.healthcheck_interval_seconds
      COUNT    = var.app_replicas
    }
  }
}
