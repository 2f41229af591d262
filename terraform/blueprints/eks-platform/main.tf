data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  is_prod    = var.tier == "prod"
  https      = var.certificate_arn != ""
}

# ---------------------------------------------------------------- network

module "vpc" {
  source = "../../modules/vpc"

  name                  = var.name
  cidr_block            = var.vpc_cidr
  az_count              = var.az_count
  create_public_subnets = true
  nat_gateway_mode      = var.nat_gateway_mode
  gateway_endpoints     = ["s3"]
  flow_logs_enabled     = true
  # Flow logs share the platform retention; the tags let the load balancer controller find subnets.
  flow_log_retention_days = var.log_retention_days
  public_subnet_tags      = { "kubernetes.io/role/elb" = "1" }
  private_subnet_tags     = { "kubernetes.io/role/internal-elb" = "1" }
}

# ---------------------------------------------------------------- encryption key

data "aws_iam_policy_document" "kms" {
  # checkov:skip=CKV_AWS_111: a key policy: resources = * means this key only; write actions are limited to the account root and to the logs/cloudtrail services by encryption context
  # checkov:skip=CKV_AWS_356: a key policy: resources = * means this key only (AWS's default key policy shape)
  # checkov:skip=CKV_AWS_109: a key policy: the account root keeps kms:* on this key so IAM policies can delegate (AWS's default key policy); without it the key becomes unmanageable
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogs"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:*"]
    }
  }

  statement {
    sid       = "CloudTrail"
    actions   = ["kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:aws:cloudtrail:arn"
      values   = ["arn:${local.partition}:cloudtrail:*:${local.account_id}:trail/*"]
    }
  }
}

resource "aws_kms_key" "main" {
  description             = "${var.name}: EKS secrets, RDS, S3, SQS, logs and CloudTrail"
  enable_key_rotation     = true
  deletion_window_in_days = local.is_prod ? 30 : 7
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "main" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.main.key_id
}
