# ---------------------------------------------------------------- PostgreSQL with pgvector

module "database" {
  source = "../../modules/rds_postgres"

  identifier                   = var.name
  engine_version               = var.db_engine_version
  instance_class               = var.db_instance_class
  allocated_storage            = var.db_allocated_storage_gb
  max_allocated_storage        = var.db_max_allocated_storage_gb
  db_name                      = "app"
  multi_az                     = var.db_multi_az
  backup_retention_days        = var.db_backup_retention_days
  deletion_protection          = var.db_deletion_protection
  skip_final_snapshot          = !var.db_deletion_protection
  vpc_id                       = module.vpc.vpc_id
  subnet_ids                   = module.vpc.private_subnet_ids
  allowed_security_group_ids   = [aws_eks_cluster.this.vpc_config[0].cluster_security_group_id]
  kms_key_arn                  = aws_kms_key.main.arn
  performance_insights_enabled = local.is_prod
  # pgvector needs no preload: the first migration runs CREATE EXTENSION vector.
}

# ---------------------------------------------------------------- S3: uploads, static assets, backups

module "data_bucket" {
  source = "../../modules/s3_bucket"

  bucket_name        = "${var.name}-data-${local.account_id}"
  force_destroy      = !local.is_prod
  versioning_enabled = true
  kms_key_arn        = aws_kms_key.main.arn
  lifecycle_rules = [{
    id                         = "archive-and-expire"
    transition_days            = var.s3_glacier_transition_days
    transition_storage_class   = "GLACIER_IR"
    noncurrent_expiration_days = var.s3_noncurrent_expiration_days
  }]
}

resource "aws_kms_key" "replica" {
  # checkov:skip=CKV2_AWS_64: the default key policy (account root) applies; only S3 replication uses the key, through the replication role's IAM policy
  count                   = var.enable_s3_replication ? 1 : 0
  provider                = aws.replica
  description             = "${var.name}: S3 replica bucket"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

module "replica_bucket" {
  source    = "../../modules/s3_bucket"
  count     = var.enable_s3_replication ? 1 : 0
  providers = { aws = aws.replica }

  bucket_name        = "${var.name}-data-replica-${local.account_id}"
  force_destroy      = !local.is_prod
  versioning_enabled = true
  kms_key_arn        = aws_kms_key.replica[0].arn
  lifecycle_rules = [{
    id                         = "expire-old-versions"
    noncurrent_expiration_days = var.s3_noncurrent_expiration_days
  }]
}

data "aws_iam_policy_document" "s3_replication_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "s3_replication" {
  count              = var.enable_s3_replication ? 1 : 0
  name               = "${var.name}-s3-replication"
  assume_role_policy = data.aws_iam_policy_document.s3_replication_assume.json
}

data "aws_iam_policy_document" "s3_replication" {
  count = var.enable_s3_replication ? 1 : 0

  statement {
    actions   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
    resources = [module.data_bucket.arn]
  }

  statement {
    actions   = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"]
    resources = ["${module.data_bucket.arn}/*"]
  }

  statement {
    actions   = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
    resources = ["${module.replica_bucket[0].arn}/*"]
  }

  statement {
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.main.arn]
  }

  statement {
    actions   = ["kms:Encrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.replica[0].arn]
  }
}

resource "aws_iam_role_policy" "s3_replication" {
  count  = var.enable_s3_replication ? 1 : 0
  name   = "replication"
  role   = aws_iam_role.s3_replication[0].id
  policy = data.aws_iam_policy_document.s3_replication[0].json
}

resource "aws_s3_bucket_replication_configuration" "data" {
  count  = var.enable_s3_replication ? 1 : 0
  bucket = module.data_bucket.id
  role   = aws_iam_role.s3_replication[0].arn

  rule {
    id     = "all-objects"
    status = "Enabled"

    filter {}

    delete_marker_replication {
      status = "Enabled"
    }

    source_selection_criteria {
      sse_kms_encrypted_objects {
        status = "Enabled"
      }
    }

    destination {
      bucket        = module.replica_bucket[0].arn
      storage_class = "STANDARD_IA"

      encryption_configuration {
        replica_kms_key_id = aws_kms_key.replica[0].arn
      }
    }
  }

  lifecycle {
    precondition {
      condition     = var.replica_region != var.region
      error_message = "replica_region must differ from the deployment region."
    }
  }

  # Replication needs versioning on the source bucket first.
  depends_on = [module.data_bucket]
}

# ---------------------------------------------------------------- SQS: async tasks with a dead-letter queue

resource "aws_sqs_queue" "tasks_dlq" {
  name                              = "${var.name}-tasks-dlq"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = aws_kms_key.main.arn
  kms_data_key_reuse_period_seconds = 3600
}

resource "aws_sqs_queue" "tasks" {
  name                              = "${var.name}-tasks"
  visibility_timeout_seconds        = var.sqs_visibility_timeout_seconds
  message_retention_seconds         = var.sqs_message_retention_seconds
  receive_wait_time_seconds         = 20
  kms_master_key_id                 = aws_kms_key.main.arn
  kms_data_key_reuse_period_seconds = 3600

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.tasks_dlq.arn
    maxReceiveCount     = var.sqs_max_receive_count
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "tasks_dlq" {
  queue_url = aws_sqs_queue.tasks_dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.tasks.arn]
  })
}
