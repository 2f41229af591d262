output "app_url" {
  description = "Where the pretend application would answer."
  value       = "http://${var.name}.sandbox.local"
}

output "instance_ids" {
  description = "IDs of the pretend application instances."
  value       = null_resource.app[*].id
}

output "cache_id" {
  description = "ID of the pretend cache, or null."
  value       = var.enable_cache ? null_resource.cache[0].id : null
}

output "tags" {
  description = "Tags every resource would carry."
  value       = local.tags
}

output "api_token" {
  description = "Echo of the secret, to prove sensitive outputs are masked."
  value       = var.api_token
  sensitive   = true
}
