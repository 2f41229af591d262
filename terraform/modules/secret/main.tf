resource "aws_secretsmanager_secret" "this" {
  # checkov:skip=CKV2_AWS_57: application secrets (framework keys, API tokens) rotate on the owning team's schedule; database passwords rotate through RDS-managed secrets
  name                    = var.name
  description             = var.description
  kms_key_id              = var.kms_key_id
  recovery_window_in_days = var.recovery_window_in_days
}

# Without a value the secret is an empty shell that operators fill in out of band;
# with one, the portal-supplied value becomes the current version.
resource "aws_secretsmanager_secret_version" "this" {
  count         = var.create_version ? 1 : 0
  secret_id     = aws_secretsmanager_secret.this.id
  secret_string = var.secret_string
}
