"""Pricing rules for compute: EC2 instances and their EBS volumes and snapshots, EKS clusters,
Fargate profiles and ECS task definitions."""

from __future__ import annotations

from collections.abc import Mapping

from portal.costs.engine.estimator import LineItem, Pricing, PricingRule, Resource, free_item
from portal.costs.engine.rules._common import (
    Unsupported,
    _block,
    _blocks,
    _flag,
    _has,
    _hours,
    _n,
    _num,
    _source,
    _text,
    _use,
)


def _ebs_items(
    pricing: Pricing,
    resource: Resource,
    *,
    volume_type: str,
    size_gb: float,
    iops: float,
    throughput: float,
    label: str,
) -> list[LineItem]:
    """gp3 storage, plus IOPS above 3,000 and throughput above 125 MB/s."""
    if volume_type != "gp3":
        raise Unsupported(resource, f"EBS volume type {volume_type!r} ({label})")
    items = [
        pricing.item(
            resource,
            "ebs.gp3.storage",
            size_gb,
            component=f"{label}: gp3 storage",
            usage_based=False,
            assumption=f"{_n(size_gb)} GB provisioned",
        )
    ]
    if iops > 3000:
        items.append(
            pricing.item(
                resource,
                "ebs.gp3.iops",
                iops - 3000,
                component=f"{label}: gp3 IOPS above 3,000",
                usage_based=False,
                assumption=f"{_n(iops)} IOPS provisioned, 3,000 included",
            )
        )
    if throughput > 125:
        items.append(
            pricing.item(
                resource,
                "ebs.gp3.throughput",
                throughput - 125,
                component=f"{label}: gp3 throughput above 125 MB/s",
                usage_based=False,
                assumption=f"{_n(throughput)} MB/s provisioned, 125 MB/s included",
            )
        )
    return items


def instance(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """On-demand Linux hours of instance_type, its root and extra EBS volumes, a public IPv4
    address when associate_public_ip_address is true, and detailed monitoring (7 metrics).
    Usage: hours (default 730)."""
    attributes = resource.attributes
    instance_type = _text(attributes.get("instance_type"))
    if not instance_type:
        raise Unsupported(resource, "an instance without a known instance_type")
    if _text(attributes.get("tenancy"), "default") != "default":
        raise Unsupported(resource, f"tenancy {attributes.get('tenancy')!r}")
    hours, note = _hours(resource)
    items = [
        pricing.item(
            resource,
            f"ec2.instance.{instance_type}",
            hours,
            component=f"Instance {instance_type} (on-demand, Linux)",
            usage_based=False,
            assumption=note + "; burstable surplus credits (unlimited mode) not included",
        )
    ]
    root = _block(attributes, "root_block_device")
    if root:
        items += _ebs_items(
            pricing,
            resource,
            volume_type=_text(root.get("volume_type"), "gp3"),
            size_gb=_num(root.get("volume_size"), 8),
            iops=_num(root.get("iops"), 3000),
            throughput=_num(root.get("throughput"), 125),
            label="root volume",
        )
    else:
        items += _ebs_items(
            pricing,
            resource,
            volume_type="gp3",
            size_gb=8,
            iops=3000,
            throughput=125,
            label="root volume (assumed 8 GB gp3 from the AMI)",
        )
    for index, device in enumerate(_blocks(attributes, "ebs_block_device")):
        if isinstance(device, Mapping):
            items += _ebs_items(
                pricing,
                resource,
                volume_type=_text(device.get("volume_type"), "gp2"),
                size_gb=_num(device.get("volume_size"), 0),
                iops=_num(device.get("iops"), 3000),
                throughput=_num(device.get("throughput"), 125),
                label=f"EBS block device {index + 1}",
            )
    if _flag(attributes.get("associate_public_ip_address")):
        items.append(
            pricing.item(
                resource,
                "ec2.public_ipv4",
                hours,
                component="Public IPv4 address",
                usage_based=False,
                assumption=f"associate_public_ip_address; {_n(hours)} h/month",
                free_quantity=750,
            )
        )
    if _flag(attributes.get("monitoring")):
        items.append(
            pricing.item(
                resource,
                "cloudwatch.metrics.custom",
                7,
                component="Detailed monitoring",
                usage_based=False,
                assumption="detailed (1-minute) monitoring is billed as 7 custom metrics",
            )
        )
    return items


def ebs_volume(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """gp3 GB-months, IOPS above 3,000 and throughput above 125 MB/s (the provider's default
    type is gp2, which this catalog does not price)."""
    attributes = resource.attributes
    return _ebs_items(
        pricing,
        resource,
        volume_type=_text(attributes.get("type"), "gp2"),
        size_gb=_num(attributes.get("size"), 0),
        iops=_num(attributes.get("iops"), 3000),
        throughput=_num(attributes.get("throughput"), 125),
        label="volume",
    )


def ebs_snapshots(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """EBS snapshot storage (aws_dlm_lifecycle_policy, aws_ebs_snapshot). Usage: snapshot_gb, the
    GB-months the snapshots hold (incremental: one full copy of the used blocks plus changes)."""
    if _text(resource.attributes.get("state"), "ENABLED") == "DISABLED":
        return [free_item(resource, "Snapshots", "policy disabled: it takes no snapshots")]
    snapshot_gb = _use(resource, "snapshot_gb")
    return [
        pricing.item(
            resource,
            "ebs.snapshot",
            snapshot_gb,
            component="EBS snapshot storage",
            usage_based=True,
            assumption=(
                f"{_n(snapshot_gb)} GB-month of snapshot data ({_source(resource, 'snapshot_gb')}); "
                "snapshots are incremental, the policy itself is free"
            ),
        )
    ]


def eks_cluster(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Control plane hours; upgrade_policy.support_type EXTENDED is priced at the extended-support
    rate (what a version past its 14 months of standard support pays). Usage: hours."""
    hours, note = _hours(resource)
    support = _text(_block(resource.attributes, "upgrade_policy").get("support_type"), "STANDARD")
    if support == "EXTENDED":
        key = "eks.cluster.hour.extended"
        note += (
            "; upgrade_policy EXTENDED: priced at the extended-support rate, which applies once "
            f"version {resource.attributes.get('version', '?')} leaves standard support"
        )
    else:
        key = "eks.cluster.hour"
        note += "; standard support"
    return [
        pricing.item(resource, key, hours, component="EKS control plane", usage_based=False, assumption=note)
    ]


def _fargate_items(
    pricing: Pricing,
    resource: Resource,
    *,
    vcpu_hours: float,
    gb_hours: float,
    architecture: str,
    note: str,
) -> list[LineItem]:
    return [
        pricing.item(
            resource,
            f"fargate.vcpu_hour.{architecture}",
            vcpu_hours,
            component=f"Fargate vCPU ({architecture})",
            usage_based=True,
            assumption=f"{_n(vcpu_hours)} vCPU-hours: {note}",
        ),
        pricing.item(
            resource,
            f"fargate.gb_hour.{architecture}",
            gb_hours,
            component=f"Fargate memory ({architecture})",
            usage_based=True,
            assumption=f"{_n(gb_hours)} GB-hours: {note}",
        ),
    ]


def eks_fargate_profile(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """A Fargate profile costs nothing itself; the pods it schedules pay vCPU- and GB-hours (x86_64:
    EKS on Fargate has no arm64). Usage: vcpu_hours and gb_hours of the pods it runs."""
    if not (_has(resource, "vcpu_hours") or _has(resource, "gb_hours")):
        return [
            free_item(
                resource,
                "Fargate profile",
                "a profile has no charge of its own; no pod usage is given for it",
            )
        ]
    return _fargate_items(
        pricing,
        resource,
        vcpu_hours=_use(resource, "vcpu_hours"),
        gb_hours=_use(resource, "gb_hours"),
        architecture="x86_64",
        note="pods on this profile (usage profile; EKS rounds each pod up to a Fargate size)",
    )


def ecs_task_definition(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Fargate tasks: cpu/1024 vCPU and memory/1024 GB × task-hours, plus ephemeral storage above
    the included 20 GiB. Usage: task_hours (hours of one task running a month)."""
    attributes = resource.attributes
    if "FARGATE" not in _blocks(attributes, "requires_compatibilities"):
        return [free_item(resource, "Task definition", "EC2 launch type: its instances are priced")]
    platform = _block(attributes, "runtime_platform")
    if _text(platform.get("operating_system_family"), "LINUX") != "LINUX":
        raise Unsupported(resource, f"Fargate on {platform.get('operating_system_family')}")
    architecture = "arm64" if _text(platform.get("cpu_architecture"), "X86_64") == "ARM64" else "x86_64"
    vcpu = _num(attributes.get("cpu"), 256) / 1024
    memory_gb = _num(attributes.get("memory"), 512) / 1024
    task_hours = _use(resource, "task_hours")
    note = (
        f"{_n(task_hours)} task-hours/month ({_source(resource, 'task_hours')}) "
        f"× {_n(vcpu)} vCPU, {_n(memory_gb)} GB"
    )
    items = _fargate_items(
        pricing,
        resource,
        vcpu_hours=vcpu * task_hours,
        gb_hours=memory_gb * task_hours,
        architecture=architecture,
        note=note,
    )
    storage_gib = _num(_block(attributes, "ephemeral_storage").get("size_in_gib"), 20)
    if storage_gib > 20:
        extra = storage_gib - 20
        items.append(
            pricing.item(
                resource,
                "fargate.ephemeral_storage",
                extra * task_hours,
                component="Fargate ephemeral storage above 20 GiB",
                usage_based=True,
                assumption=f"{_n(extra)} GB × {_n(task_hours)} task-hours",
            )
        )
    return items


RULES: dict[str, PricingRule] = {
    "aws_dlm_lifecycle_policy": ebs_snapshots,
    "aws_ebs_snapshot": ebs_snapshots,
    "aws_ebs_volume": ebs_volume,
    "aws_ecs_task_definition": ecs_task_definition,
    "aws_eks_cluster": eks_cluster,
    "aws_eks_fargate_profile": eks_fargate_profile,
    "aws_instance": instance,
}
