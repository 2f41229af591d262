data "aws_partition" "current" {}

data "aws_cloudfront_cache_policy" "optimized" {
  name = "Managed-CachingOptimized"
}

data "aws_cloudfront_cache_policy" "disabled" {
  name = "Managed-CachingDisabled"
}

# Forwards everything but Host, which API Gateway and function URLs need to match themselves.
data "aws_cloudfront_origin_request_policy" "all_viewer_except_host" {
  name = "Managed-AllViewerExceptHostHeader"
}

data "aws_cloudfront_response_headers_policy" "security" {
  name = "Managed-SecurityHeadersPolicy"
}

module "bucket" {
  source = "../s3_bucket"

  bucket_name        = var.bucket_name
  force_destroy      = var.force_destroy
  versioning_enabled = true
  lifecycle_rules    = var.bucket_lifecycle_rules
  policy_documents   = [data.aws_iam_policy_document.oac.json]
}

resource "aws_cloudfront_origin_access_control" "this" {
  name                              = "${var.name}-s3"
  description                       = "CloudFront access to ${var.bucket_name}"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

locals {
  s3_origin_id  = "s3"
  s3_is_default = var.default_origin_id == local.s3_origin_id
  custom_behaviours = flatten([
    for o in var.custom_origins : [for p in o.path_patterns : { origin_id = o.origin_id, path_pattern = p }]
  ])
  all_methods    = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
  static_methods = ["GET", "HEAD", "OPTIONS"]
}

resource "aws_cloudfront_distribution" "this" {
  # checkov:skip=CKV_AWS_86: standard logs need a log bucket with ACLs per environment; CloudFront metrics and alarms cover these tiers (cost trade-off)
  # checkov:skip=CKV_AWS_374: a global audience: no geo restriction
  # checkov:skip=CKV_AWS_310: origins are regional managed services (S3, Lambda, API Gateway) with no second region to fail over to; multi-region DR is not in these tiers
  # checkov:skip=CKV_AWS_305: default_root_object is the caller's: index.html for static sites, empty where the app server renders /
  # checkov:skip=CKV_AWS_174: without a custom domain CloudFront's default certificate only offers TLSv1; with a domain the module sets TLSv1.2_2021
  # checkov:skip=CKV2_AWS_47: no WAF on the CDN in these tiers ($5/month plus rules); the origins authenticate requests
  enabled             = true
  is_ipv6_enabled     = true
  http_version        = "http2and3"
  comment             = var.name
  aliases             = var.aliases
  price_class         = var.price_class
  default_root_object = var.default_root_object == "" ? null : var.default_root_object
  web_acl_id          = var.web_acl_arn

  origin {
    origin_id                = local.s3_origin_id
    domain_name              = module.bucket.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.this.id
  }

  dynamic "origin" {
    for_each = var.custom_origins
    content {
      origin_id   = origin.value.origin_id
      domain_name = origin.value.domain_name
      origin_path = origin.value.origin_path

      custom_origin_config {
        http_port              = 80
        https_port             = 443
        origin_protocol_policy = "https-only"
        origin_ssl_protocols   = ["TLSv1.2"]
      }

      dynamic "custom_header" {
        for_each = var.origin_verify_header_enabled ? [1] : []
        content {
          name  = "X-Origin-Verify"
          value = var.origin_verify_header_value
        }
      }
    }
  }

  default_cache_behavior {
    target_origin_id           = var.default_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = local.s3_is_default ? local.static_methods : local.all_methods
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = local.s3_is_default ? data.aws_cloudfront_cache_policy.optimized.id : data.aws_cloudfront_cache_policy.disabled.id
    origin_request_policy_id   = local.s3_is_default ? null : data.aws_cloudfront_origin_request_policy.all_viewer_except_host.id
    response_headers_policy_id = data.aws_cloudfront_response_headers_policy.security.id
  }

  dynamic "ordered_cache_behavior" {
    for_each = local.s3_is_default ? [] : var.s3_path_patterns
    content {
      path_pattern               = ordered_cache_behavior.value
      target_origin_id           = local.s3_origin_id
      viewer_protocol_policy     = "redirect-to-https"
      allowed_methods            = local.static_methods
      cached_methods             = ["GET", "HEAD"]
      compress                   = true
      cache_policy_id            = data.aws_cloudfront_cache_policy.optimized.id
      response_headers_policy_id = data.aws_cloudfront_response_headers_policy.security.id
    }
  }

  dynamic "ordered_cache_behavior" {
    for_each = local.custom_behaviours
    content {
      path_pattern               = ordered_cache_behavior.value.path_pattern
      target_origin_id           = ordered_cache_behavior.value.origin_id
      viewer_protocol_policy     = "redirect-to-https"
      allowed_methods            = local.all_methods
      cached_methods             = ["GET", "HEAD"]
      compress                   = true
      cache_policy_id            = data.aws_cloudfront_cache_policy.disabled.id
      origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.all_viewer_except_host.id
      response_headers_policy_id = data.aws_cloudfront_response_headers_policy.security.id
    }
  }

  dynamic "custom_error_response" {
    for_each = local.s3_is_default && var.spa_fallback ? [403, 404] : []
    content {
      error_code            = custom_error_response.value
      response_code         = 200
      response_page_path    = "/index.html"
      error_caching_min_ttl = 10
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = var.acm_certificate_arn == null
    acm_certificate_arn            = var.acm_certificate_arn
    ssl_support_method             = var.acm_certificate_arn == null ? null : "sni-only"
    minimum_protocol_version       = var.acm_certificate_arn == null ? "TLSv1" : "TLSv1.2_2021"
  }
}

# Only this distribution may read the bucket (origin access control, SigV4).
data "aws_iam_policy_document" "oac" {
  statement {
    sid       = "AllowCloudFrontRead"
    actions   = ["s3:GetObject"]
    resources = ["arn:${data.aws_partition.current.partition}:s3:::${var.bucket_name}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.this.arn]
    }
  }
}
