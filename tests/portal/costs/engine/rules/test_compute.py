"""Pricing rules for compute: EC2 instances, EBS, EKS, Fargate and ECS."""

from __future__ import annotations

from portal.costs.engine.estimator import (
    FREE,
)
from portal.costs.engine.prices import PriceCatalog
from tests.portal.costs.engine.rules.helpers import (
    approx,
    component,
    price,
    usd,
)


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
