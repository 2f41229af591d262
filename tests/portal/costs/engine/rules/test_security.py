"""Pricing rules for security and secrets: WAF and ACM; and one test across SQS, SNS, KMS,
Secrets Manager, SSM and ECR."""

from __future__ import annotations

from portal.costs.engine.estimator import (
    PRICED,
)
from portal.costs.engine.prices import PriceCatalog
from tests.portal.costs.engine.rules.helpers import (
    approx,
    price,
    usd,
)


def test_waf_acl_rules_and_requests(catalog: PriceCatalog) -> None:
    rules = [
        {
            "name": "common",
            "statement": [{"managed_rule_group_statement": [{"name": "AWSManagedRulesCommonRuleSet"}]}],
        },
        {"name": "rate", "statement": [{"rate_based_statement": [{"limit": 2000}]}]},
    ]
    result = price(catalog, "aws_wafv2_web_acl", {"rule": rules}, {"requests": 10_000_000})
    assert result.total_monthly_usd == approx(5 + 2 * 1 + 10 * 0.60)
    bot = [
        {
            "name": "bots",
            "statement": [{"managed_rule_group_statement": [{"name": "AWSManagedRulesBotControlRuleSet"}]}],
        }
    ]
    assert price(catalog, "aws_wafv2_web_acl", {"rule": bot}).coverage.unpriced == 1


def test_acm_public_free_private_unpriced(catalog: PriceCatalog) -> None:
    public = price(catalog, "aws_acm_certificate", {"domain_name": "example.com"})
    assert (
        public.total_monthly_usd == 0 and public.coverage.free == 1 and public.line_items[0].status == PRICED
    )
    private = price(catalog, "aws_acm_certificate", {"certificate_authority_arn": "arn:aws:acm-pca:..."})
    assert private.coverage.unpriced == 1


def test_sqs_sns_kms_secrets_ssm_ecr(catalog: PriceCatalog) -> None:
    assert price(catalog, "aws_sqs_queue", {}, {"requests": 10_000_000}).total_monthly_usd == approx(
        10 * usd(catalog, "sqs.standard.requests")
    )
    assert price(
        catalog, "aws_sqs_queue", {"fifo_queue": True}, {"requests": 1e6}
    ).total_monthly_usd == approx(usd(catalog, "sqs.fifo.requests"))
    sns = price(catalog, "aws_sns_topic", {}, {"requests": 2_000_000, "email_notifications": 100_000})
    assert sns.total_monthly_usd == approx(2 * 0.5 + 1 * 2.0)
    assert price(catalog, "aws_sns_topic", {"fifo_topic": True}).coverage.unpriced == 1
    kms = price(catalog, "aws_kms_key", {"enable_key_rotation": True}, {"requests": 100_000})
    assert kms.total_monthly_usd == approx(1 + 10 * usd(catalog, "kms.requests"))
    secret = price(
        catalog, "aws_secretsmanager_secret", {"replica": [{"region": "us-west-2"}]}, {"api_calls": 20_000}
    )
    assert secret.total_monthly_usd == approx(2 * 0.40 + 2 * usd(catalog, "secretsmanager.api_calls"))
    standard = price(catalog, "aws_ssm_parameter", {"type": "SecureString"})
    assert standard.total_monthly_usd == 0 and standard.coverage.free == 1
    advanced = price(catalog, "aws_ssm_parameter", {"tier": "Advanced"})
    assert advanced.total_monthly_usd == approx(usd(catalog, "ssm.parameter.advanced"))
    ecr = price(catalog, "aws_ecr_repository", {}, {"storage_gb": 12})
    assert ecr.total_monthly_usd == approx(12 * usd(catalog, "ecr.storage"))
