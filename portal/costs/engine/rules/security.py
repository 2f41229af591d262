"""Pricing rules for security and secrets: WAF web ACLs, ACM certificates, KMS keys, Secrets
Manager secrets and SSM parameters."""

from __future__ import annotations

from collections.abc import Mapping

from portal.costs.engine.estimator import LineItem, Pricing, PricingRule, Resource
from portal.costs.engine.rules._common import (
    Unsupported,
    _block,
    _blocks,
    _flag,
    _item,
    _n,
    _source,
    _text,
    _use,
)


def wafv2_web_acl(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """$/month per web ACL and per rule (a managed rule group counts as one rule) and $/1M
    requests inspected. Bot Control, fraud control and Marketplace rule groups are not priced.
    Usage: requests."""
    rules = [rule for rule in _blocks(resource.attributes, "rule") if rule is not None]
    for rule in rules:
        statement = _block(rule, "statement") if isinstance(rule, Mapping) else {}
        managed = _block(statement, "managed_rule_group_statement")
        name = _text(managed.get("name"))
        if name in (
            "AWSManagedRulesBotControlRuleSet",
            "AWSManagedRulesATPRuleSet",
            "AWSManagedRulesACFPRuleSet",
        ):
            raise Unsupported(resource, f"the {name} rule group's extra fees")
        if managed and _text(managed.get("vendor_name"), "AWS") != "AWS":
            raise Unsupported(resource, f"Marketplace rule group {name or '?'}")
    requests = _use(resource, "requests")
    return [
        pricing.item(
            resource, "waf.web_acl", 1, component="Web ACL", usage_based=False, assumption="1 web ACL"
        ),
        pricing.item(
            resource,
            "waf.rule",
            len(rules),
            component="Rules",
            usage_based=False,
            assumption=f"{len(rules)} rules (each managed rule group counts as one)",
        ),
        _item(
            pricing,
            resource,
            "waf.requests",
            requests,
            component="Requests inspected",
            usage_based=True,
            assumption=f"{_n(requests)} requests/month ({_source(resource, 'requests')})",
        ),
    ]


def acm_certificate(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Public certificates are free; private ones (certificate_authority_arn) are not priced."""
    if resource.attributes.get("certificate_authority_arn"):
        raise Unsupported(resource, "a private certificate (AWS Private CA)")
    return [
        pricing.item(
            resource,
            "acm.public_certificate",
            1,
            component="Public certificate",
            usage_based=False,
            assumption="public ACM certificates used with CloudFront, ALB or API Gateway are free",
        )
    ]


def kms_key(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """$1 a month per customer managed key, and API requests from usage `requests`.
    Free tier (every month): 20,000 requests."""
    rotation = _flag(resource.attributes.get("enable_key_rotation"))
    requests = _use(resource, "requests")
    return [
        pricing.item(
            resource,
            "kms.key",
            1,
            component="Customer managed key",
            usage_based=False,
            assumption="1 key"
            + (
                "; automatic rotation adds $1/month after each of the first two yearly rotations"
                if rotation
                else ""
            ),
        ),
        _item(
            pricing,
            resource,
            "kms.requests",
            requests,
            component="API requests",
            usage_based=True,
            assumption=f"{_n(requests)} requests/month ({_source(resource, 'requests')})",
            free_base=20_000,
        ),
    ]


def secretsmanager_secret(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """$0.40 a month per secret and per replica, and API calls from usage `api_calls`."""
    replicas = len([r for r in _blocks(resource.attributes, "replica") if r])
    calls = _use(resource, "api_calls")
    return [
        pricing.item(
            resource,
            "secretsmanager.secret",
            1 + replicas,
            component="Secret",
            usage_based=False,
            assumption=f"1 secret{f' + {replicas} replica(s)' if replicas else ''}; "
            "30-day free trial not deducted",
        ),
        _item(
            pricing,
            resource,
            "secretsmanager.api_calls",
            calls,
            component="API calls",
            usage_based=True,
            assumption=f"{_n(calls)} calls/month ({_source(resource, 'api_calls')})",
        ),
    ]


def ssm_parameter(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Standard parameters are free; Advanced ones $0.05 a month (Intelligent-Tiering stays
    Standard while the value is under 4 KB and no policy is set)."""
    tier = _text(resource.attributes.get("tier"), "Standard")
    advanced = tier == "Advanced"
    return [
        pricing.item(
            resource,
            "ssm.parameter.advanced" if advanced else "ssm.parameter.standard",
            1,
            component=f"{'Advanced' if advanced else 'Standard'} parameter",
            usage_based=False,
            assumption=f"tier {tier}" + ("" if advanced else ": standard parameters and API calls are free"),
        )
    ]


RULES: dict[str, PricingRule] = {
    "aws_acm_certificate": acm_certificate,
    "aws_kms_key": kms_key,
    "aws_secretsmanager_secret": secretsmanager_secret,
    "aws_ssm_parameter": ssm_parameter,
    "aws_wafv2_web_acl": wafv2_web_acl,
}
