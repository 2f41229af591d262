locals {
  major_version = split(".", var.engine_version)[0]
  base_parameters = [
    { name = "rds.force_ssl", value = "1", apply_method = "pending-reboot" },
    { name = "log_min_duration_statement", value = "1000", apply_method = "immediate" },
    { name = "shared_preload_libraries", value = "pg_stat_statements", apply_method = "pending-reboot" },
  ]
}

resource "aws_db_subnet_group" "this" {
  name       = var.identifier
  subnet_ids = var.subnet_ids
}

resource "aws_security_group" "this" {
  name        = "${var.identifier}-db"
  description = "PostgreSQL clients of ${var.identifier}"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.identifier}-db" }
}

resource "aws_vpc_security_group_ingress_rule" "clients" {
  for_each                     = toset(var.allowed_security_group_ids)
  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL from an application security group"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = each.value
}

resource "aws_db_parameter_group" "this" {
  name   = var.identifier
  family = "postgres${local.major_version}"

  dynamic "parameter" {
    for_each = concat(local.base_parameters, var.parameters)
    content {
      name         = parameter.value.name
      value        = parameter.value.value
      apply_method = parameter.value.apply_method
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_db_instance" "this" {
  # checkov:skip=CKV_AWS_353: performance_insights_enabled is the caller's choice (eks-platform: prod tier; django-lambda: off, its seed's small instance)
  # checkov:skip=CKV_AWS_157: multi_az is the caller's choice: eks-platform's db_multi_az (on in the prod tier); django-lambda single-AZ as its seed chose (cost)
  # checkov:skip=CKV_AWS_118: enhanced monitoring (OS metrics billed as CloudWatch Logs) is a cost trade-off; CloudWatch RDS metrics and alarms cover these tiers
  # checkov:skip=CKV_AWS_161: the app authenticates with the RDS-managed master secret; IAM database auth needs app changes (trade-off)
  # checkov:skip=CKV_AWS_293: deletion_protection is a field: on in the prod tier, off in dev and staging so they can be torn down
  # checkov:skip=CKV_AWS_354: Performance Insights data under the AWS managed aws/rds key; a CMK is a compliance-tier choice
  identifier     = var.identifier
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class
  db_name        = var.db_name
  username       = var.master_username
  port           = 5432

  # RDS generates the password, stores it in Secrets Manager and rotates it.
  manage_master_user_password = true

  storage_type          = "gp3"
  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.this.id]
  parameter_group_name   = aws_db_parameter_group.this.name
  publicly_accessible    = false
  multi_az               = var.multi_az

  backup_retention_period   = var.backup_retention_days
  backup_window             = var.backup_window
  maintenance_window        = var.maintenance_window
  copy_tags_to_snapshot     = true
  delete_automated_backups  = false
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = var.skip_final_snapshot
  final_snapshot_identifier = var.skip_final_snapshot ? null : "${var.identifier}-final"

  auto_minor_version_upgrade      = true
  enabled_cloudwatch_logs_exports = ["postgresql", "upgrade"]
  performance_insights_enabled    = var.performance_insights_enabled
}
