"""The assembled rule registry: every resource type is priced or free, and what holds for every
family (discounts, unknown regions, unsupported configurations, plan values)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from portal.costs.engine.estimator import (
    UNPRICED,
    estimate,
    resources_from_plan,
)
from portal.costs.engine.prices import PriceCatalog
from portal.costs.engine.rules import FREE_TYPES, RULES
from tests.portal.costs.engine.rules.helpers import (
    LAMBDA_ARM,
    RDS_MICRO,
    REGION,
    approx,
    price,
)

REPO = Path(__file__).resolve().parents[5]


def terraform_types() -> set[str]:
    out = subprocess.run(
        ["grep", "-rhoE", r'resource "aws_[a-z0-9_]+"', str(REPO / "terraform")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {re.search(r'"(aws_[a-z0-9_]+)"', line).group(1) for line in out.splitlines()}  # type: ignore[union-attr]


def test_every_aws_type_in_the_blueprints_is_priced_or_free() -> None:
    types = terraform_types()
    assert len(types) > 50
    missing = sorted(types - set(RULES) - set(FREE_TYPES))
    assert not missing, f"add a pricing rule or a FREE_TYPES reason for: {missing}"


def test_rules_and_free_types_do_not_overlap_and_free_types_say_why() -> None:
    assert not set(RULES) & set(FREE_TYPES)
    assert FREE_TYPES["null_resource"] == "local sandbox: no cloud resource"
    assert all(reason.strip() for reason in FREE_TYPES.values())


BRIEF_TYPES = [
    "aws_lambda_function",
    "aws_api_gateway_rest_api",
    "aws_api_gateway_stage",
    "aws_apigatewayv2_api",
    "aws_dynamodb_table",
    "aws_s3_bucket",
    "aws_cloudfront_distribution",
    "aws_route53_zone",
    "aws_route53_health_check",
    "aws_secretsmanager_secret",
    "aws_cloudwatch_log_group",
    "aws_cloudwatch_metric_alarm",
    "aws_cloudwatch_dashboard",
    "aws_sns_topic",
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_rds_cluster_instance",
    "aws_instance",
    "aws_ebs_volume",
    "aws_eip",
    "aws_nat_gateway",
    "aws_vpc_endpoint",
    "aws_lb",
    "aws_eks_cluster",
    "aws_eks_fargate_profile",
    "aws_ecs_task_definition",
    "aws_sqs_queue",
    "aws_kms_key",
    "aws_wafv2_web_acl",
    "aws_cloudtrail",
    "aws_ecr_repository",
    "aws_budgets_budget",
    "aws_scheduler_schedule",
    "aws_cloudwatch_event_rule",
    "aws_dlm_lifecycle_policy",
    "aws_ssm_parameter",
    "aws_acm_certificate",
]


def test_the_brief_s_billable_types_all_have_rules() -> None:
    assert not [t for t in BRIEF_TYPES if t not in RULES]


def test_discount_factor_multiplies_every_price(catalog: PriceCatalog) -> None:
    usage = {"requests": 2_000_000, "avg_duration_ms": 100}
    full = price(catalog, "aws_lambda_function", LAMBDA_ARM, usage)
    discounted = price(catalog, "aws_lambda_function", LAMBDA_ARM, usage, discount_factor=0.8)
    assert discounted.discount_factor == 0.8
    assert discounted.usage_monthly_usd == approx(0.8 * full.usage_monthly_usd, abs=1e-3)
    with pytest.raises(ValueError):
        price(catalog, "aws_lambda_function", LAMBDA_ARM, usage, discount_factor=1.2)


def test_unknown_region_is_unpriced_with_the_reason_not_zero(catalog: PriceCatalog) -> None:
    result = price(
        catalog,
        "aws_lambda_function",
        LAMBDA_ARM,
        {"requests": 1e6, "avg_duration_ms": 100},
        region="ap-southeast-2",
    )
    assert result.coverage.unpriced == 1 and not result.coverage.complete
    [item] = result.line_items
    assert item.status == UNPRICED
    assert item.monthly_usd is None and item.quantity is None
    assert "'ap-southeast-2'" in item.assumption
    assert "exists only for regions" in item.assumption and "us-east-1" in item.assumption
    assert result.to_dict()["complete"] is False


def test_an_unsupported_configuration_is_unpriced_with_its_reason(catalog: PriceCatalog) -> None:
    result = price(catalog, "aws_lb", {"load_balancer_type": "network"})
    [item] = result.line_items
    assert item.status == UNPRICED and item.monthly_usd is None
    assert item.assumption == "aws_lb: a network load balancer is not in the price catalog"


def test_the_same_rules_price_a_plan_s_after_values(catalog: PriceCatalog) -> None:
    plan = {
        "resource_changes": [
            {
                "address": "module.api.aws_lambda_function.this",
                "mode": "managed",
                "type": "aws_lambda_function",
                "change": {"actions": ["create"], "after": {**LAMBDA_ARM, "function_name": "x"}},
            },
            {
                "address": "module.db.aws_db_instance.this[0]",
                "mode": "managed",
                "type": "aws_db_instance",
                "change": {"actions": ["update"], "after": RDS_MICRO},
            },
            {
                "address": "aws_eip.gone",
                "mode": "managed",
                "type": "aws_eip",
                "change": {"actions": ["delete"], "after": None},
            },
            {
                "address": "aws_iam_role.this",
                "mode": "managed",
                "type": "aws_iam_role",
                "change": {"actions": ["create"], "after": {"name": "x"}},
            },
        ]
    }
    usage = {"module.api.aws_lambda_function.this": {"requests": 2_000_000.0, "avg_duration_ms": 100.0}}
    resources = resources_from_plan(plan, lambda address: usage.get(address, {}))
    result = estimate(resources, catalog=catalog, region=REGION, rules=RULES, free_types=FREE_TYPES)
    assert str(result.coverage) == "2 of 3 resources priced, 1 free, 0 unpriced"
    assert result.usage_monthly_usd == approx(1.7333, abs=1e-3)
    assert result.fixed_monthly_usd == approx(11.68 + 2.30)
