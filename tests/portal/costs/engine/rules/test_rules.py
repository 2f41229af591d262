"""The pricing rules, one family at a time. Every expected figure is worked out here by hand from the
catalog's own prices (never copied from the rule), so a price change in the catalog moves both."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from portal.costs.engine.estimator import (
    FREE,
    PRICED,
    UNPRICED,
    Estimate,
    Resource,
    estimate,
    resources_from_plan,
)
from portal.costs.engine.prices import PriceCatalog, load_catalog
from portal.costs.engine.rules import FREE_TYPES, RULES

REPO = Path(__file__).resolve().parents[5]
REGION = "us-east-1"


@pytest.fixture(scope="module")
def catalog() -> PriceCatalog:
    return load_catalog()


def approx(expected: float, abs: float = 1e-3) -> Any:
    """Line items are rounded to 4 decimals (totals to cents)."""
    return pytest.approx(expected, abs=abs)


def usd(catalog: PriceCatalog, key: str, region: str = REGION) -> float:
    """The flat (first-tier) price of one unit."""
    return catalog.price(key, region).usd


def price(
    catalog: PriceCatalog,
    type_: str,
    attributes: Mapping[str, Any] | None = None,
    usage: Mapping[str, float] | None = None,
    *,
    region: str = REGION,
    free_tier: bool = False,
    discount_factor: float = 1.0,
) -> Estimate:
    resource = Resource(address=f"{type_}.test", type=type_, attributes=attributes or {}, usage=usage or {})
    return estimate(
        [resource],
        catalog=catalog,
        region=region,
        rules=RULES,
        free_types=FREE_TYPES,
        free_tier=free_tier,
        discount_factor=discount_factor,
    )


def component(result: Estimate, name: str) -> float:
    matches = [item for item in result.line_items if item.component == name]
    assert len(matches) == 1, [item.component for item in result.line_items]
    assert matches[0].monthly_usd is not None
    return matches[0].monthly_usd


# ------------------------------------------------------------------------------------------ coverage


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


# ------------------------------------------------------------------------------------------ Lambda


LAMBDA_ARM = {"architectures": ["arm64"], "memory_size": 512, "tracing_config": [{"mode": "PassThrough"}]}


def test_lambda_requests_and_gb_seconds_arm64(catalog: PriceCatalog) -> None:
    # 2M requests × 100 ms at 512 MB arm64: 2 × $0.20 + 2,000,000 × 0.1 s × 0.5 GB = 100,000 GB-s.
    result = price(
        catalog, "aws_lambda_function", LAMBDA_ARM, {"requests": 2_000_000, "avg_duration_ms": 100}
    )
    requests = 2 * usd(catalog, "lambda.requests")
    duration = 100_000 * usd(catalog, "lambda.gb_second.arm64")
    assert component(result, "Requests") == approx(requests, abs=1e-4)
    assert component(result, "Duration") == approx(duration, abs=1e-4)
    assert result.total_monthly_usd == approx(round(requests + duration, 2))
    assert result.total_monthly_usd == approx(1.73)  # $0.40 + $1.33
    assert all(item.usage_based for item in result.line_items)
    duration_item = next(item for item in result.line_items if item.component == "Duration")
    assert duration_item.assumption == (
        "100,000 GB-seconds: 2,000,000 requests/month × 100 ms at 512 MB arm64 (usage profile)"
    )
    assert duration_item.price_key == "lambda.gb_second.arm64"
    assert duration_item.price_source.startswith("https://aws.amazon.com/lambda/pricing")


def test_lambda_defaults_to_x86_64_like_the_provider(catalog: PriceCatalog) -> None:
    result = price(
        catalog,
        "aws_lambda_function",
        {"memory_size": 1024},
        {"requests": 1_000_000, "avg_duration_ms": 1000},
    )
    assert component(result, "Duration") == approx(
        1_000_000 * usd(catalog, "lambda.gb_second.x86_64"), abs=1e-3
    )


def test_lambda_free_tier_only_when_asked(catalog: PriceCatalog) -> None:
    usage = {"requests": 2_000_000, "avg_duration_ms": 100}
    off = price(catalog, "aws_lambda_function", LAMBDA_ARM, usage)
    on = price(catalog, "aws_lambda_function", LAMBDA_ARM, usage, free_tier=True)
    # 1M of the 2M requests are free and the 100,000 GB-s are within the 400,000 free.
    assert off.free_tier is False and on.free_tier is True
    assert component(on, "Requests") == approx(usd(catalog, "lambda.requests"))
    assert component(on, "Duration") == 0
    assert "free tier" in on.line_items[0].assumption
    assert component(off, "Requests") == approx(2 * usd(catalog, "lambda.requests"))


def test_lambda_xray_traces_when_tracing_is_active(catalog: PriceCatalog) -> None:
    attributes = {**LAMBDA_ARM, "tracing_config": [{"mode": "Active"}]}
    result = price(
        catalog, "aws_lambda_function", attributes, {"requests": 1_000_000, "avg_duration_ms": 100}
    )
    # 1M requests a month is under one a second: the default sampling reservoir records them all.
    assert component(result, "X-Ray traces recorded") == approx(usd(catalog, "xray.traces_recorded"))
    given = price(
        catalog,
        "aws_lambda_function",
        attributes,
        {"requests": 1e6, "avg_duration_ms": 100, "xray_traces": 200_000},
    )
    assert component(given, "X-Ray traces recorded") == approx(0.2 * usd(catalog, "xray.traces_recorded"))
    passthrough = price(catalog, "aws_lambda_function", LAMBDA_ARM, {"requests": 1e6, "avg_duration_ms": 100})
    assert not [i for i in passthrough.line_items if "X-Ray" in i.component]


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


def test_global_services_price_the_same_in_an_uncatalogued_region(catalog: PriceCatalog) -> None:
    # CloudFront and Route 53 are global: their price does not depend on the deployment region.
    result = price(catalog, "aws_route53_zone", region="ap-southeast-2")
    assert component(result, "Hosted zone") == approx(0.5)


def test_an_unsupported_configuration_is_unpriced_with_its_reason(catalog: PriceCatalog) -> None:
    result = price(catalog, "aws_lb", {"load_balancer_type": "network"})
    [item] = result.line_items
    assert item.status == UNPRICED and item.monthly_usd is None
    assert item.assumption == "aws_lb: a network load balancer is not in the price catalog"


# ------------------------------------------------------------------------------------------ RDS / Aurora


RDS_MICRO = {
    "engine": "postgres",
    "instance_class": "db.t4g.micro",
    "multi_az": False,
    "storage_type": "gp3",
    "allocated_storage": 20,
    "max_allocated_storage": 100,
    "backup_retention_period": 7,
}


def test_db_instance_single_az_micro_and_gp3(catalog: PriceCatalog) -> None:
    result = price(catalog, "aws_db_instance", RDS_MICRO)
    instance = 730 * usd(catalog, "rds.instance.postgres.db.t4g.micro.single_az")
    storage = 20 * usd(catalog, "rds.storage.gp3.single_az")
    assert component(result, "Instance db.t4g.micro postgres (Single-AZ)") == approx(instance)
    assert instance == approx(11.68)  # $0.016 × 730 h
    assert component(result, "gp3 storage") == approx(storage)
    assert storage == approx(2.30)  # 20 GB × $0.115
    assert component(result, "Backup storage beyond the free allowance") == 0
    assert result.fixed_monthly_usd == approx(instance + storage)


def test_db_instance_multi_az_storage_growth_backups_and_managed_secret(catalog: PriceCatalog) -> None:
    attributes = {**RDS_MICRO, "multi_az": True, "manage_master_user_password": True}
    result = price(catalog, "aws_db_instance", attributes, {"storage_gb": 150, "backup_storage_gb": 130})
    assert component(result, "Instance db.t4g.micro postgres (Multi-AZ)") == approx(
        730 * usd(catalog, "rds.instance.postgres.db.t4g.micro.multi_az")
    )
    # 150 GB of data grows the 20 GB allocation, but only up to max_allocated_storage 100 GB.
    assert component(result, "gp3 storage") == approx(100 * usd(catalog, "rds.storage.gp3.multi_az"))
    # Backups up to the provisioned 100 GB are free; 30 GB are billed.
    assert component(result, "Backup storage beyond the free allowance") == approx(
        30 * usd(catalog, "rds.backup_storage")
    )
    assert component(result, "Master password secret (Secrets Manager)") == approx(0.4)


def test_db_instance_gp2_default_and_other_engines_are_unpriced(catalog: PriceCatalog) -> None:
    gp2 = price(catalog, "aws_db_instance", {k: v for k, v in RDS_MICRO.items() if k != "storage_type"})
    assert gp2.coverage.unpriced == 1 and "'gp2'" in gp2.line_items[0].assumption
    mysql = price(catalog, "aws_db_instance", {**RDS_MICRO, "engine": "mysql"})
    assert mysql.coverage.unpriced == 1
    assert "rds.instance.mysql.db.t4g.micro.single_az" in mysql.line_items[0].assumption


def test_aurora_serverless_acu_hours(catalog: PriceCatalog) -> None:
    writer = {"instance_class": "db.serverless", "engine": "aurora-postgresql"}
    acu = usd(catalog, "aurora.serverless_v2.acu_hour")
    result = price(catalog, "aws_rds_cluster_instance", writer, {"acu_hours": 365})
    assert component(result, "Aurora Serverless v2 capacity") == approx(0.5 * 730 * acu)
    average = price(catalog, "aws_rds_cluster_instance", writer, {"average_acu": 2, "hours": 100})
    assert component(average, "Aurora Serverless v2 capacity") == approx(200 * acu)


def test_aurora_respects_min_capacity_when_it_never_pauses_and_caps_at_max(catalog: PriceCatalog) -> None:
    acu = usd(catalog, "aurora.serverless_v2.acu_hour")

    def scaled(min_acu: float, max_acu: float, acu_hours: float) -> float:
        attributes = {
            "instance_class": "db.serverless",
            "serverlessv2_scaling_configuration": [{"min_capacity": min_acu, "max_capacity": max_acu}],
        }
        result = price(catalog, "aws_rds_cluster_instance", attributes, {"acu_hours": acu_hours})
        return component(result, "Aurora Serverless v2 capacity")

    assert scaled(0, 4, 90) == approx(90 * acu)  # min 0: pauses, pays what it uses
    assert scaled(0.5, 4, 90) == approx(0.5 * 730 * acu)  # never pauses: at least 0.5 ACU all month
    assert scaled(0.5, 1, 1460) == approx(1 * 730 * acu)  # cannot use more than max 1 ACU


def test_aurora_cluster_storage_io_and_io_optimized(catalog: PriceCatalog) -> None:
    usage = {"storage_gb": 20, "io_requests": 5_000_000}
    standard = price(catalog, "aws_rds_cluster", {"engine": "aurora-postgresql"}, usage)
    assert component(standard, "Aurora storage") == approx(20 * usd(catalog, "aurora.storage"))
    assert component(standard, "Aurora I/O requests") == approx(5 * usd(catalog, "aurora.io"))
    optimized = price(
        catalog, "aws_rds_cluster", {"engine": "aurora-postgresql", "storage_type": "aurora-iopt1"}, usage
    )
    assert [i.component for i in optimized.line_items] == ["Aurora storage (I/O-Optimized)"]
    provisioned = price(catalog, "aws_rds_cluster_instance", {"instance_class": "db.r6g.large"})
    assert provisioned.coverage.unpriced == 1


# ------------------------------------------------------------------------------------------ EC2 and network


def test_ebs_gp3_storage_iops_and_throughput(catalog: PriceCatalog) -> None:
    plain = price(catalog, "aws_ebs_volume", {"type": "gp3", "size": 20})
    assert plain.total_monthly_usd == approx(20 * usd(catalog, "ebs.gp3.storage"))
    assert plain.total_monthly_usd == approx(1.60)
    fast = price(catalog, "aws_ebs_volume", {"type": "gp3", "size": 20, "iops": 4000, "throughput": 250})
    expected = (
        20 * usd(catalog, "ebs.gp3.storage")
        + 1000 * usd(catalog, "ebs.gp3.iops")
        + 125 * usd(catalog, "ebs.gp3.throughput")
    )
    assert fast.total_monthly_usd == approx(round(expected, 2))
    # The provider's default type is gp2, which the catalog does not price: unpriced, not $0.
    assert price(catalog, "aws_ebs_volume", {"size": 20}).coverage.unpriced == 1


def test_public_ipv4_costs_3_65_a_month(catalog: PriceCatalog) -> None:
    result = price(catalog, "aws_eip", {"domain": "vpc"})
    assert result.total_monthly_usd == approx(730 * usd(catalog, "ec2.public_ipv4"))
    assert result.total_monthly_usd == approx(3.65)
    assert "since 1 Feb 2024" in result.line_items[0].assumption
    # The 12-month free tier covers 750 hours.
    assert price(catalog, "aws_eip", free_tier=True).total_monthly_usd == 0


def test_instance_hours_root_volume_public_ip_and_detailed_monitoring(catalog: PriceCatalog) -> None:
    attributes = {
        "instance_type": "m7g.medium",
        "root_block_device": [{"volume_type": "gp3", "volume_size": 20}],
        "associate_public_ip_address": True,
        "monitoring": True,
    }
    result = price(catalog, "aws_instance", attributes)
    assert component(result, "Instance m7g.medium (on-demand, Linux)") == approx(
        730 * usd(catalog, "ec2.instance.m7g.medium")
    )
    assert component(result, "root volume: gp3 storage") == approx(20 * usd(catalog, "ebs.gp3.storage"))
    assert component(result, "Public IPv4 address") == approx(3.65)
    assert component(result, "Detailed monitoring") == approx(7 * usd(catalog, "cloudwatch.metrics.custom"))
    half_month = price(catalog, "aws_instance", {"instance_type": "t4g.small"}, {"hours": 365})
    assert component(half_month, "Instance t4g.small (on-demand, Linux)") == approx(
        365 * usd(catalog, "ec2.instance.t4g.small")
    )
    assert "8 GB gp3" in half_month.line_items[1].component


def test_nat_gateway_hours_and_data(catalog: PriceCatalog) -> None:
    result = price(catalog, "aws_nat_gateway", {}, {"gb_processed": 100})
    assert component(result, "NAT gateway") == approx(730 * usd(catalog, "vpc.nat_gateway.hour"))
    assert component(result, "Data processed") == approx(100 * usd(catalog, "vpc.nat_gateway.gb"))


def test_vpc_endpoints_interface_per_az_and_gateway_free(catalog: PriceCatalog) -> None:
    interface = price(
        catalog,
        "aws_vpc_endpoint",
        {"vpc_endpoint_type": "Interface", "subnet_ids": ["a", "b"]},
        {"gb_processed": 10},
    )
    assert component(interface, "Interface endpoint") == approx(
        2 * 730 * usd(catalog, "vpc.interface_endpoint.hour")
    )
    assert component(interface, "Data processed") == approx(10 * 0.01)
    gateway = price(catalog, "aws_vpc_endpoint", {"service_name": "com.amazonaws.us-east-1.s3"})
    assert gateway.total_monthly_usd == 0 and gateway.coverage.free == 1
    assert gateway.line_items[0].component == "Gateway endpoint (s3)"


def test_application_load_balancer_hours_lcus_and_public_addresses(catalog: PriceCatalog) -> None:
    result = price(catalog, "aws_lb", {"subnets": ["a", "b", "c"]}, {"lcu_hours": 1460})
    assert component(result, "Application Load Balancer") == approx(730 * usd(catalog, "elb.alb.hour"))
    assert component(result, "Load balancer capacity units") == approx(
        1460 * usd(catalog, "elb.alb.lcu_hour")
    )
    assert component(result, "Public IPv4 addresses") == approx(3 * 3.65)
    internal = price(catalog, "aws_lb", {"internal": True}, {"average_lcu": 1})
    assert [i.component for i in internal.line_items] == [
        "Application Load Balancer",
        "Load balancer capacity units",
    ]


# ------------------------------------------------------------------------------------------ containers


def test_eks_cluster_standard_and_extended_support(catalog: PriceCatalog) -> None:
    standard = price(catalog, "aws_eks_cluster", {"upgrade_policy": [{"support_type": "STANDARD"}]})
    assert standard.total_monthly_usd == approx(730 * usd(catalog, "eks.cluster.hour"))
    extended = price(
        catalog, "aws_eks_cluster", {"version": "1.29", "upgrade_policy": [{"support_type": "EXTENDED"}]}
    )
    assert extended.total_monthly_usd == approx(730 * usd(catalog, "eks.cluster.hour.extended"))
    assert "extended-support rate" in extended.line_items[0].assumption


def test_fargate_profile_and_ecs_task_definition(catalog: PriceCatalog) -> None:
    profile = price(catalog, "aws_eks_fargate_profile", {}, {"vcpu_hours": 730, "gb_hours": 1460})
    assert profile.total_monthly_usd == approx(
        round(
            730 * usd(catalog, "fargate.vcpu_hour.x86_64") + 1460 * usd(catalog, "fargate.gb_hour.x86_64"), 2
        )
    )
    empty = price(catalog, "aws_eks_fargate_profile")
    assert empty.coverage.free == 1 and empty.line_items[0].status == FREE
    task = {
        "requires_compatibilities": ["FARGATE"],
        "cpu": "2048",
        "memory": "4096",
        "runtime_platform": [{"operating_system_family": "LINUX", "cpu_architecture": "ARM64"}],
        "ephemeral_storage": [{"size_in_gib": 50}],
    }
    result = price(catalog, "aws_ecs_task_definition", task, {"task_hours": 10})
    assert component(result, "Fargate vCPU (arm64)") == approx(20 * usd(catalog, "fargate.vcpu_hour.arm64"))
    assert component(result, "Fargate memory (arm64)") == approx(40 * usd(catalog, "fargate.gb_hour.arm64"))
    assert component(result, "Fargate ephemeral storage above 20 GiB") == approx(
        30 * 10 * usd(catalog, "fargate.ephemeral_storage"), abs=1e-4
    )
    ec2 = price(catalog, "aws_ecs_task_definition", {"requires_compatibilities": ["EC2"]}, {"task_hours": 10})
    assert ec2.total_monthly_usd == 0 and ec2.coverage.free == 1


# ------------------------------------------------------------------------------------------ API, edge, DNS


def test_api_gateway_rest_http_and_stage(catalog: PriceCatalog) -> None:
    rest = price(catalog, "aws_api_gateway_rest_api", {}, {"requests": 1_100_000})
    assert rest.total_monthly_usd == approx(1.1 * 3.50)
    http = price(catalog, "aws_apigatewayv2_api", {"protocol_type": "HTTP"}, {"requests": 5_000_000})
    assert http.total_monthly_usd == approx(5 * usd(catalog, "apigateway.http.requests"))
    websocket = price(catalog, "aws_apigatewayv2_api", {"protocol_type": "WEBSOCKET"})
    assert websocket.coverage.unpriced == 1
    stage = price(catalog, "aws_api_gateway_stage", {"cache_cluster_enabled": False})
    assert stage.coverage.free == 1 and "priced on the REST API" in stage.line_items[0].assumption
    cached = price(
        catalog, "aws_api_gateway_stage", {"cache_cluster_enabled": True, "cache_cluster_size": "0.5"}
    )
    assert cached.coverage.unpriced == 1


def test_cloudfront_data_out_and_requests_with_the_always_free_tier(catalog: PriceCatalog) -> None:
    usage = {"data_out_gb": 100, "requests": 7_000_000}
    result = price(catalog, "aws_cloudfront_distribution", {"price_class": "PriceClass_100"}, usage)
    assert component(result, "Data transfer out") == approx(
        100 * usd(catalog, "cloudfront.data_transfer_out")
    )
    assert component(result, "HTTPS requests") == approx(700 * usd(catalog, "cloudfront.requests.https"))
    assert price(catalog, "aws_cloudfront_distribution", {}, usage, free_tier=True).total_monthly_usd == 0


def test_route53_zone_and_health_check(catalog: PriceCatalog) -> None:
    zone = price(catalog, "aws_route53_zone", {}, {"queries": 2_000_000})
    assert component(zone, "Hosted zone") == approx(0.50)
    assert component(zone, "DNS queries") == approx(2 * usd(catalog, "route53.queries"))
    check = {
        "type": "HTTPS_STR_MATCH",
        "fqdn": "d111.cloudfront.net",
        "measure_latency": True,
        "request_interval": 30,
    }
    result = price(catalog, "aws_route53_health_check", check)
    assert component(result, "Health check") == approx(usd(catalog, "route53.health_check.non_aws"))
    # HTTPS, string matching and latency measurement: three optional features.
    assert component(result, "Optional features") == approx(
        3 * usd(catalog, "route53.health_check.optional_feature.non_aws")
    )
    aws = price(catalog, "aws_route53_health_check", {"type": "HTTP", "fqdn": "x.elb.amazonaws.com"})
    assert aws.total_monthly_usd == approx(usd(catalog, "route53.health_check"))


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


# ------------------------------------------------------------------------------------------ data


def test_dynamodb_on_demand_storage_and_pitr(catalog: PriceCatalog) -> None:
    attributes = {"billing_mode": "PAY_PER_REQUEST", "point_in_time_recovery": [{"enabled": True}]}
    usage = {"write_request_units": 1_000_000, "read_request_units": 4_000_000, "storage_gb": 10}
    result = price(catalog, "aws_dynamodb_table", attributes, usage)
    assert component(result, "On-demand write request units") == approx(
        usd(catalog, "dynamodb.on_demand.write_request")
    )
    assert component(result, "On-demand read request units") == approx(
        4 * usd(catalog, "dynamodb.on_demand.read_request")
    )
    assert component(result, "Storage") == approx(10 * usd(catalog, "dynamodb.storage"))
    assert component(result, "Point-in-time recovery") == approx(10 * usd(catalog, "dynamodb.pitr"))
    no_pitr = price(catalog, "aws_dynamodb_table", {"billing_mode": "PAY_PER_REQUEST"}, usage)
    assert "Point-in-time recovery" not in [i.component for i in no_pitr.line_items]
    # The first 25 GB of storage are free with the free tier.
    assert component(price(catalog, "aws_dynamodb_table", attributes, usage, free_tier=True), "Storage") == 0


def test_dynamodb_provisioned_capacity_hours_include_gsis(catalog: PriceCatalog) -> None:
    attributes = {
        "read_capacity": 5,
        "write_capacity": 5,
        "global_secondary_index": [{"name": "GSI1", "read_capacity": 5, "write_capacity": 5}],
    }
    result = price(catalog, "aws_dynamodb_table", attributes)  # the provider's default billing_mode
    assert component(result, "Provisioned read capacity") == approx(
        10 * 730 * usd(catalog, "dynamodb.provisioned.rcu_hour")
    )
    assert component(result, "Provisioned write capacity") == approx(
        10 * 730 * usd(catalog, "dynamodb.provisioned.wcu_hour")
    )


def test_s3_storage_classes_and_requests(catalog: PriceCatalog) -> None:
    usage = {"storage_gb": 100, "standard_ia_gb": 50, "put_requests": 10_000, "get_requests": 100_000}
    result = price(catalog, "aws_s3_bucket", {}, usage)
    assert component(result, "Standard storage") == approx(100 * usd(catalog, "s3.standard.storage"))
    assert component(result, "Standard-IA storage") == approx(50 * usd(catalog, "s3.standard_ia.storage"))
    assert component(result, "PUT/COPY/POST/LIST requests") == approx(10 * usd(catalog, "s3.requests.put"))
    assert component(result, "GET requests") == approx(100 * usd(catalog, "s3.requests.get"))
    replication = price(catalog, "aws_s3_bucket_replication_configuration", {}, {"replicated_gb": 200})
    assert replication.total_monthly_usd == approx(200 * usd(catalog, "data_transfer.inter_region"))


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


# ------------------------------------------------------------------------------------------ observability


def test_log_group_ingest_and_storage_from_retention(catalog: PriceCatalog) -> None:
    attributes = {"name": "/aws/apigateway/x", "retention_in_days": 30}
    result = price(catalog, "aws_cloudwatch_log_group", attributes, {"ingest_gb": 10})
    assert component(result, "Log ingestion") == approx(10 * usd(catalog, "cloudwatch.logs.ingest"))
    stored = 10 * 30 / (730 / 24)  # a month's ingest kept 30 days
    assert component(result, "Log storage") == approx(
        stored * usd(catalog, "cloudwatch.logs.storage"), abs=1e-4
    )
    lambda_logs = price(catalog, "aws_cloudwatch_log_group", {"name": "/aws/lambda/f"}, {"ingest_gb": 10})
    assert lambda_logs.line_items[0].price_key == "cloudwatch.logs.vended_ingest"
    assert "never expires" in lambda_logs.line_items[1].assumption
    nothing = price(catalog, "aws_cloudwatch_log_group", attributes)
    assert nothing.total_monthly_usd == 0 and "none in the usage profile" in nothing.line_items[0].assumption


def test_alarms_count_metrics_and_resolution_and_dashboards(catalog: PriceCatalog) -> None:
    standard = usd(catalog, "cloudwatch.alarm.standard")
    assert price(catalog, "aws_cloudwatch_metric_alarm", {"period": 300}).total_monthly_usd == approx(
        standard
    )
    expression = {
        "metric_query": [
            {"id": "e", "expression": "100 * errors / invocations"},
            {"id": "errors", "metric": [{"metric_name": "Errors", "period": 300}]},
            {"id": "invocations", "metric": [{"metric_name": "Invocations", "period": 300}]},
        ]
    }
    assert price(catalog, "aws_cloudwatch_metric_alarm", expression).total_monthly_usd == approx(2 * standard)
    fast = price(catalog, "aws_cloudwatch_metric_alarm", {"period": 10})
    assert fast.total_monthly_usd == approx(usd(catalog, "cloudwatch.alarm.high_resolution"))
    assert (
        price(catalog, "aws_cloudwatch_metric_alarm", {"period": 60}, free_tier=True).total_monthly_usd == 0
    )
    assert price(catalog, "aws_cloudwatch_dashboard").total_monthly_usd == approx(3.0)


def test_cloudtrail_first_trail_free_data_events_priced(catalog: PriceCatalog) -> None:
    selectors = {
        "event_selector": [
            {"include_management_events": True, "data_resource": [{"type": "AWS::S3::Object"}]}
        ]
    }
    result = price(catalog, "aws_cloudtrail", selectors, {"data_events": 1_000_000})
    assert component(result, "Management events (first copy)") == 0
    assert component(result, "Data events") == approx(10 * usd(catalog, "cloudtrail.data_events"))
    management_only = price(
        catalog, "aws_cloudtrail", {"event_selector": [{"include_management_events": True}]}
    )
    assert management_only.total_monthly_usd == 0 and management_only.coverage.free == 1


def test_budgets_schedules_event_rules_and_snapshots(catalog: PriceCatalog) -> None:
    budget = price(catalog, "aws_budgets_budget", {"budget_type": "COST"})
    assert budget.total_monthly_usd == 0 and budget.coverage.free == 1
    schedule = {
        "schedule_expression": "cron(0 2 * * ? *)",
        "target": [{"arn": "arn:aws:scheduler:::aws-sdk:dynamodb:exportTableToPointInTime"}],
    }
    result = price(catalog, "aws_scheduler_schedule", schedule, {"export_gb": 2})
    runs = 730 / 24  # one run a day
    assert component(result, "Scheduler invocations") == approx(
        runs / 1e6 * usd(catalog, "eventbridge.scheduler.invocations"), abs=1e-4
    )
    assert component(result, "DynamoDB export to S3") == approx(runs * 2 * usd(catalog, "dynamodb.export_s3"))
    every_5 = price(catalog, "aws_scheduler_schedule", {"schedule_expression": "rate(5 minutes)"})
    assert "8,760 invocations/month" in every_5.line_items[0].assumption
    rule = price(catalog, "aws_cloudwatch_event_rule", {"schedule_expression": "rate(4 minutes)"})
    assert rule.coverage.free == 1 and "scheduled rules are free" in rule.line_items[0].assumption
    custom = price(catalog, "aws_cloudwatch_event_rule", {"event_pattern": "{}"}, {"events": 3_000_000})
    assert custom.total_monthly_usd == approx(3 * usd(catalog, "eventbridge.custom_events"))
    snapshots = price(catalog, "aws_dlm_lifecycle_policy", {"state": "ENABLED"}, {"snapshot_gb": 30})
    assert snapshots.total_monthly_usd == approx(30 * usd(catalog, "ebs.snapshot"))


# ------------------------------------------------------------------------------------------ plan path


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
