# ---------------------------------------------------------------- Application Load Balancer + WAF

resource "aws_security_group" "alb" {
  # no-gateway-endpoint: the load balancer only forwards to pods; it never calls S3 itself
  name        = "${var.name}-alb"
  description = "Public HTTP/HTTPS to the load balancer"
  vpc_id      = module.vpc.vpc_id

  tags = { Name = "${var.name}-alb" }
}

resource "aws_vpc_security_group_ingress_rule" "alb" {
  # intentionally-public: the application's internet-facing load balancer (HTTP redirects to HTTPS when a certificate is set)
  for_each          = toset(local.https ? ["80", "443"] : ["80"])
  security_group_id = aws_security_group.alb.id
  description       = "Port ${each.value} from the internet"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.value)
  to_port           = tonumber(each.value)
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "alb_to_pods" {
  security_group_id = aws_security_group.alb.id
  description       = "To pods in the VPC"
  ip_protocol       = "tcp"
  from_port         = var.app_port
  to_port           = var.app_port
  cidr_ipv4         = module.vpc.cidr_block
}

# Fargate pods carry the cluster security group.
resource "aws_vpc_security_group_ingress_rule" "pods_from_alb" {
  security_group_id            = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
  description                  = "App traffic from the ALB"
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_lb" "app" {
  # checkov:skip=CKV_AWS_91: ALB access logs need a log bucket with the ELB log-delivery policy per environment; WAF metrics and sampled requests cover dev and staging (cost trade-off)
  # checkov:skip=CKV2_AWS_76: the attached web ACL has AWSManagedRulesKnownBadInputsRuleSet (the Log4j rule group); checkov does not resolve the association here
  name                       = "${var.name}-alb"
  load_balancer_type         = "application"
  internal                   = false
  security_groups            = [aws_security_group.alb.id]
  subnets                    = module.vpc.public_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = local.is_prod
  idle_timeout               = 60
}

# target_type ip: Fargate pods are registered by IP (TargetGroupBinding).
resource "aws_lb_target_group" "app" {
  # checkov:skip=CKV_AWS_378: TLS ends at the ALB; pods speak HTTP inside private subnets (trade-off: no certificates in pods)
  name                 = "${var.name}-app"
  port                 = var.app_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = module.vpc.vpc_id
  deregistration_delay = 30

  health_check {
    path                = var.app_health_check_path
    matcher             = "200-399"
    interval            = 15
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  count             = local.https ? 1 : 0
  load_balancer_arn = aws_lb.app.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.app.arn
  }
}

resource "aws_lb_listener" "http" {
  # checkov:skip=CKV_AWS_2: HTTP only redirects to HTTPS when certificate_arn is set; without one (dev/staging, no domain) it forwards, and the prod tier refuses to plan without a certificate (precondition)
  load_balancer_arn = aws_lb.app.arn
  port              = 80
  protocol          = "HTTP"

  # Production traffic is never served over plain HTTP.
  lifecycle {
    precondition {
      condition     = var.tier != "prod" || local.https
      error_message = "The prod tier needs certificate_arn: HTTP only redirects to HTTPS there."
    }
  }

  default_action {
    type             = local.https ? "redirect" : "forward"
    target_group_arn = local.https ? null : aws_lb_target_group.app.arn

    dynamic "redirect" {
      for_each = local.https ? [1] : []
      content {
        port        = "443"
        protocol    = "HTTPS"
        status_code = "HTTP_301"
      }
    }
  }
}

resource "aws_route53_record" "app" {
  count   = var.domain_name == "" ? 0 : 1
  zone_id = var.hosted_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = aws_lb.app.dns_name
    zone_id                = aws_lb.app.zone_id
    evaluate_target_health = true
  }
}

resource "aws_wafv2_web_acl" "app" {
  # checkov:skip=CKV2_AWS_31: WAF logging needs an aws-waf-logs-* destination per environment; sampled requests and metrics are kept (cost trade-off)
  name        = "${var.name}-alb"
  description = "Managed rules and per-IP rate limit for ${var.name}"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "aws-common"
    priority = 10

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesCommonRuleSet"
        vendor_name = "AWS"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-aws-common"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-known-bad-inputs"
    priority = 20

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
        vendor_name = "AWS"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "rate-limit"
    priority = 30

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit              = var.waf_rate_limit_per_5min
        aggregate_key_type = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-limit"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.name}-alb"
    sampled_requests_enabled   = true
  }
}

resource "aws_wafv2_web_acl_association" "alb" {
  resource_arn = aws_lb.app.arn
  web_acl_arn  = aws_wafv2_web_acl.app.arn
}
