"""Pricing rules: one function per billable AWS resource type, and the types that cost nothing.

A rule reads the resource's Terraform attributes under the provider's own names (so the same rule
prices a plan's `after` values and the attributes a blueprint's `cost_resources` fills from the
form) and its monthly usage quantities from `resource.usage`, and returns line items built with
`pricing.item` / `pricing.hourly`, each with the assumption behind its quantity.

Conventions:
- Nested blocks arrive as a list of one object (plan JSON) or as an object; both are read.
- A value a plan does not know yet is simply absent; rules then fall back to the provider default
  or to a stated assumption.
- Usage names are per resource instance and per month: `requests`, `avg_duration_ms`,
  `storage_gb`, `ingest_gb`, `data_out_gb`, `gb_processed`, `hours` (always-on resources default
  to 730 h), ... Each rule's docstring lists the ones it reads.
- A configuration the catalog has no price for raises `UnknownPrice`, which makes the resource
  unpriced with the reason (never $0).

Pure Python, no Django.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from portal.costs.catalog import UnknownPrice
from portal.costs.estimator import FREE, HOURS_PER_MONTH, LineItem, Pricing, PricingRule, Resource

__all__ = ["FREE_TYPES", "GLOBAL_PRICE_REGION", "RULES", "Unsupported"]

SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
DAYS_PER_MONTH = HOURS_PER_MONTH / 24
#: CloudFront, Route 53 and Budgets are global: their price is the same whatever the region, so
#: they are read from this region's entries when the deployment region has none.
GLOBAL_PRICE_REGION = "us-east-1"


class Unsupported(UnknownPrice):
    """A configuration this catalog has no price for (a Network Load Balancer, a FIFO topic, ...).
    The estimator shows the resource as unpriced with this message."""

    def __init__(self, resource: Resource, what: str) -> None:
        LookupError.__init__(self, f"{resource.type}: {what} is not in the price catalog")
        self.key, self.region, self.suggestions, self.regions = "", "", [], []


# ------------------------------------------------------------------------------------------ helpers


def _block(attributes: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """A nested block: plan JSON gives a list of one object, a form entry may give the object."""
    value = attributes.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, Mapping) else {}


def _blocks(attributes: Mapping[str, Any], name: str) -> list[Any]:
    value = attributes.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _num(value: Any, default: float = 0.0) -> float:
    """A number from a number or a numeric string (ECS `cpu` is "1024"); else the default."""
    if isinstance(value, bool) or value is None:
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


def _flag(value: Any, default: bool = False) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return default


def _text(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) and value else default


def _use(resource: Resource, name: str, default: float = 0.0) -> float:
    return float(resource.usage.get(name, default))


def _has(resource: Resource, name: str) -> bool:
    return name in resource.usage


def _n(value: float) -> str:
    """12,000 / 0.5 / 2.25: thousands separators, no useless decimals."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def _source(resource: Resource, name: str) -> str:
    return "usage profile" if _has(resource, name) else "none in the usage profile"


def _item(
    pricing: Pricing,
    resource: Resource,
    key: str,
    base_quantity: float,
    *,
    component: str,
    usage_based: bool,
    assumption: str,
    free_base: float = 0.0,
) -> LineItem:
    """`pricing.item` with the quantity (and free allowance) in base units — requests, GB,
    hours — converted to the price's own unit (1M requests, 10k requests, ...)."""
    size = pricing.entry(key).unit_size
    return pricing.item(
        resource,
        key,
        base_quantity / size,
        component=component,
        usage_based=usage_based,
        assumption=assumption,
        free_quantity=free_base / size,
    )


def _usage_items(
    resource: Resource, pricing: Pricing, per: str, table: tuple[tuple[str, str, str, float], ...]
) -> list[LineItem]:
    """One usage-based line per (usage name, price key, label, free allowance) the resource has."""
    items = []
    for name, key, label, free in table:
        if _has(resource, name):
            quantity = _use(resource, name)
            items.append(
                _item(
                    pricing,
                    resource,
                    key,
                    quantity,
                    component=label,
                    usage_based=True,
                    assumption=f"{_n(quantity)} {per}",
                    free_base=free,
                )
            )
    return items


def _global(pricing: Pricing, key: str) -> Pricing:
    """The pricing to use for a global service: the deployment region's entry if the catalog has
    one, otherwise the GLOBAL_PRICE_REGION entry (same price)."""
    if pricing.catalog.get(key, pricing.region) is not None:
        return pricing
    return Pricing(
        pricing.catalog,
        GLOBAL_PRICE_REGION,
        free_tier=pricing.free_tier,
        discount_factor=pricing.discount_factor,
    )


def _no_charge(resource: Resource, component: str, reason: str) -> LineItem:
    return LineItem(
        resource_type=resource.type,
        resource_address=resource.address,
        component=component,
        service="",
        unit="",
        quantity=0.0,
        unit_price_usd=0.0,
        monthly_usd=0.0,
        usage_based=False,
        assumption=reason,
        status=FREE,
    )


def _hours(resource: Resource) -> tuple[float, str]:
    """Hours a month an always-on resource runs: usage `hours`, else the full 730."""
    if _has(resource, "hours"):
        hours = _use(resource, "hours")
        return hours, f"{_n(hours)} h/month (usage profile)"
    return HOURS_PER_MONTH, f"always on, {HOURS_PER_MONTH:g} h/month"


# ------------------------------------------------------------------------------------------ compute


def _sampled_traces(requests: float) -> float:
    """X-Ray's default sampling rule: the first request each second, then 5% of the rest; with the
    requests spread evenly over the month that is an upper bound."""
    reservoir = min(requests, SECONDS_PER_MONTH)
    return reservoir + 0.05 * max(0.0, requests - SECONDS_PER_MONTH)


def lambda_function(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Requests and GB-seconds by architecture; X-Ray traces when tracing_config.mode is Active.
    Usage: requests, avg_duration_ms, xray_traces (optional; default from the sampling rule).
    Free tier (every month): 1M requests and 400,000 GB-seconds; 100,000 traces."""
    attributes = resource.attributes
    architectures = _blocks(attributes, "architectures")
    architecture = _text(architectures[0] if architectures else None, "x86_64")
    memory_mb = _num(attributes.get("memory_size"), 128)
    requests = _use(resource, "requests")
    duration_ms = _use(resource, "avg_duration_ms")
    gb_seconds = requests * duration_ms / 1000 * memory_mb / 1024
    profile = (
        f"{_n(requests)} requests/month × {_n(duration_ms)} ms at {_n(memory_mb)} MB {architecture} "
        f"({_source(resource, 'requests')})"
    )
    items = [
        _item(
            pricing,
            resource,
            "lambda.requests",
            requests,
            component="Requests",
            usage_based=True,
            assumption=profile,
            free_base=1_000_000,
        ),
        _item(
            pricing,
            resource,
            f"lambda.gb_second.{architecture}",
            gb_seconds,
            component="Duration",
            usage_based=True,
            assumption=f"{_n(round(gb_seconds, 2))} GB-seconds: {profile}",
            free_base=400_000,
        ),
    ]
    ephemeral_mb = _num(_block(attributes, "ephemeral_storage").get("size"), 512)
    if ephemeral_mb > 512:
        raise Unsupported(resource, f"ephemeral storage above 512 MB ({_n(ephemeral_mb)} MB)")
    if _text(_block(attributes, "tracing_config").get("mode")) == "Active":
        if _has(resource, "xray_traces"):
            traces = _use(resource, "xray_traces")
            note = f"{_n(traces)} traces/month (usage profile)"
        else:
            traces = _sampled_traces(requests)
            note = (
                f"{_n(round(traces))} traces/month: X-Ray's default sampling (1 request/s + 5% of the "
                f"rest) of {_n(requests)} requests spread evenly"
            )
        items.append(
            _item(
                pricing,
                resource,
                "xray.traces_recorded",
                traces,
                component="X-Ray traces recorded",
                usage_based=True,
                assumption=note,
                free_base=100_000,
            )
        )
    return items


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
        return [_no_charge(resource, "Snapshots", "policy disabled: it takes no snapshots")]
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
            _no_charge(
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
        return [_no_charge(resource, "Task definition", "EC2 launch type: its instances are priced")]
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


# ------------------------------------------------------------------------------------------ API and edge


def api_gateway_rest_api(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """REST API requests (tiered). Usage: requests. Free tier (first 12 months): 1M calls."""
    requests = _use(resource, "requests")
    return [
        _item(
            pricing,
            resource,
            "apigateway.rest.requests",
            requests,
            component="REST API requests",
            usage_based=True,
            assumption=f"{_n(requests)} requests/month ({_source(resource, 'requests')})",
            free_base=1_000_000,
        )
    ]


def api_gateway_stage(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """A stage adds a charge only with a cache cluster (not in the catalog: unpriced) or X-Ray
    traces given in usage `xray_traces` (otherwise they are counted on the traced function)."""
    attributes = resource.attributes
    items: list[LineItem] = []
    if _flag(attributes.get("cache_cluster_enabled")):
        raise Unsupported(resource, f"an API cache cluster ({attributes.get('cache_cluster_size', '?')} GB)")
    if _flag(attributes.get("xray_tracing_enabled")) and _has(resource, "xray_traces"):
        traces = _use(resource, "xray_traces")
        items.append(
            _item(
                pricing,
                resource,
                "xray.traces_recorded",
                traces,
                component="X-Ray traces recorded",
                usage_based=True,
                assumption=f"{_n(traces)} traces/month (usage profile)",
                free_base=100_000,
            )
        )
    return items or [
        _no_charge(
            resource,
            "Stage",
            "requests are priced on the REST API; no cache cluster"
            + (
                "; X-Ray traces are counted on the traced function"
                if attributes.get("xray_tracing_enabled")
                else ""
            ),
        )
    ]


def apigatewayv2_api(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """HTTP API requests (tiered; each 512 KB counts as one). Usage: requests.
    Free tier (first 12 months): 1M calls. WebSocket APIs are not in the catalog."""
    protocol = _text(resource.attributes.get("protocol_type"), "HTTP")
    if protocol != "HTTP":
        raise Unsupported(resource, f"a {protocol} API (messages and connection minutes)")
    requests = _use(resource, "requests")
    return [
        _item(
            pricing,
            resource,
            "apigateway.http.requests",
            requests,
            component="HTTP API requests",
            usage_based=True,
            assumption=f"{_n(requests)} requests/month ({_source(resource, 'requests')})",
            free_base=1_000_000,
        )
    ]


def cloudfront_distribution(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Data transfer out to viewers (tiered) and HTTPS requests, at North America/Europe rates.
    Usage: data_out_gb, requests. Always free: 1 TB and 10M requests a month."""
    price_class = _text(resource.attributes.get("price_class"), "PriceClass_All")
    edges = (
        "PriceClass_100 edges"
        if price_class == "PriceClass_100"
        else f"{price_class}: priced at North America/Europe rates, other edges cost more"
    )
    data_out = _use(resource, "data_out_gb")
    requests = _use(resource, "requests")
    out_key, request_key = "cloudfront.data_transfer_out", "cloudfront.requests.https"
    return [
        _item(
            _global(pricing, out_key),
            resource,
            out_key,
            data_out,
            component="Data transfer out",
            usage_based=True,
            assumption=f"{_n(data_out)} GB/month ({_source(resource, 'data_out_gb')}); {edges}",
            free_base=1024,
        ),
        _item(
            _global(pricing, request_key),
            resource,
            request_key,
            requests,
            component="HTTPS requests",
            usage_based=True,
            assumption=f"{_n(requests)} requests/month ({_source(resource, 'requests')})",
            free_base=10_000_000,
        ),
    ]


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


# ------------------------------------------------------------------------------------------ DNS


def route53_zone(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """$0.50 a month per hosted zone (first 25), and standard queries from usage `queries`
    (alias queries to AWS resources are free)."""
    key, query_key = "route53.hosted_zone", "route53.queries"
    queries = _use(resource, "queries")
    return [
        _global(pricing, key).item(
            resource, key, 1, component="Hosted zone", usage_based=False, assumption="1 hosted zone"
        ),
        _item(
            _global(pricing, query_key),
            resource,
            query_key,
            queries,
            component="DNS queries",
            usage_based=True,
            assumption=f"{_n(queries)} standard queries/month ({_source(resource, 'queries')}); alias "
            "queries to AWS resources are free",
        ),
    ]


def route53_health_check(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """A health check plus its optional features (HTTPS, string matching, fast interval, latency
    measurement). Endpoints outside AWS pay more; a name that is not an *.amazonaws.com host
    (e.g. a CloudFront site) is priced as non-AWS, the higher figure."""
    attributes = resource.attributes
    check_type = _text(attributes.get("type"), "HTTP")
    features = []
    if check_type in ("CALCULATED", "CLOUDWATCH_METRIC", "RECOVERY_CONTROL"):
        aws_endpoint = True
    else:
        host = _text(attributes.get("fqdn"))
        aws_endpoint = host.endswith(".amazonaws.com")
        if check_type.startswith("HTTPS"):
            features.append("HTTPS")
        if check_type.endswith("STR_MATCH"):
            features.append("string matching")
        if _num(attributes.get("request_interval"), 30) < 30:
            features.append("fast interval")
        if _flag(attributes.get("measure_latency")):
            features.append("latency measurement")
    suffix = "" if aws_endpoint else ".non_aws"
    endpoint = "an AWS endpoint" if aws_endpoint else "an endpoint outside AWS (or not known to be in AWS)"
    key, feature_key = f"route53.health_check{suffix}", f"route53.health_check.optional_feature{suffix}"
    items = [
        _global(pricing, key).item(
            resource,
            key,
            1,
            component="Health check",
            usage_based=False,
            assumption=f"{check_type} check of {endpoint}",
        )
    ]
    if features:
        items.append(
            _global(pricing, feature_key).item(
                resource,
                feature_key,
                len(features),
                component="Optional features",
                usage_based=False,
                assumption=", ".join(features),
            )
        )
    return items


# ------------------------------------------------------------------------------------------ data


def dynamodb_table(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """PAY_PER_REQUEST read/write request units, or PROVISIONED capacity hours (table + GSIs);
    storage; point-in-time recovery on the table size when enabled. Usage: read_request_units,
    write_request_units, storage_gb. Free tier: 25 GB storage, 25 RCU and 25 WCU."""
    attributes = resource.attributes
    table_class = _text(attributes.get("table_class"), "STANDARD")
    if table_class != "STANDARD":
        raise Unsupported(resource, f"table class {table_class}")
    if _blocks(attributes, "replica"):
        raise Unsupported(resource, "global table replicas (replicated writes)")
    indexes = [index for index in _blocks(attributes, "global_secondary_index") if index]
    billing = _text(attributes.get("billing_mode"), "PROVISIONED")
    items = []
    if billing == "PAY_PER_REQUEST":
        writes, reads = _use(resource, "write_request_units"), _use(resource, "read_request_units")
        gsi_note = (
            f"; writes of items projected into the {len(indexes)} GSI(s) cost extra write units, "
            "counted only as far as the usage includes them"
            if indexes
            else ""
        )
        items += [
            _item(
                pricing,
                resource,
                "dynamodb.on_demand.write_request",
                writes,
                component="On-demand write request units",
                usage_based=True,
                assumption=f"{_n(writes)} WRU/month ({_source(resource, 'write_request_units')}){gsi_note}",
            ),
            _item(
                pricing,
                resource,
                "dynamodb.on_demand.read_request",
                reads,
                component="On-demand read request units",
                usage_based=True,
                assumption=f"{_n(reads)} RRU/month ({_source(resource, 'read_request_units')})",
            ),
        ]
    elif billing == "PROVISIONED":
        capacity = {
            "read": _num(attributes.get("read_capacity")),
            "write": _num(attributes.get("write_capacity")),
        }
        for index in indexes:
            if isinstance(index, Mapping):
                capacity["read"] += _num(index.get("read_capacity"))
                capacity["write"] += _num(index.get("write_capacity"))
        for kind, letter in (("write", "w"), ("read", "r")):
            items.append(
                pricing.item(
                    resource,
                    f"dynamodb.provisioned.{letter}cu_hour",
                    capacity[kind] * HOURS_PER_MONTH,
                    component=f"Provisioned {kind} capacity",
                    usage_based=False,
                    assumption=f"{_n(capacity[kind])} {letter.upper()}CU (table + GSIs) × 730 h",
                    free_quantity=25 * HOURS_PER_MONTH,
                )
            )
    else:
        raise Unsupported(resource, f"billing_mode {billing!r}")
    storage = _use(resource, "storage_gb")
    items.append(
        pricing.item(
            resource,
            "dynamodb.storage",
            storage,
            component="Storage",
            usage_based=True,
            assumption=f"{_n(storage)} GB table size ({_source(resource, 'storage_gb')})",
            free_quantity=25,
        )
    )
    if _flag(_block(attributes, "point_in_time_recovery").get("enabled")):
        items.append(
            pricing.item(
                resource,
                "dynamodb.pitr",
                storage,
                component="Point-in-time recovery",
                usage_based=True,
                assumption=f"continuous backups of the {_n(storage)} GB table",
            )
        )
    return items


def s3_bucket(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """S3 Standard storage (tiered), Standard-IA and Glacier Instant Retrieval storage, PUT and
    GET requests. Usage: storage_gb, standard_ia_gb, glacier_ir_gb, put_requests, get_requests.
    Free tier (first 12 months): 5 GB, 2,000 PUTs, 20,000 GETs."""
    storage = _use(resource, "storage_gb")
    items = [
        pricing.item(
            resource,
            "s3.standard.storage",
            storage,
            component="Standard storage",
            usage_based=True,
            assumption=f"{_n(storage)} GB-month ({_source(resource, 'storage_gb')})",
            free_quantity=5,
        )
    ]
    for name, key, label in (
        ("standard_ia_gb", "s3.standard_ia.storage", "Standard-IA storage"),
        ("glacier_ir_gb", "s3.glacier_ir.storage", "Glacier Instant Retrieval storage"),
    ):
        if _has(resource, name):
            quantity = _use(resource, name)
            items.append(
                pricing.item(
                    resource,
                    key,
                    quantity,
                    component=label,
                    usage_based=True,
                    assumption=f"{_n(quantity)} GB-month (usage profile)",
                )
            )
    items += _usage_items(
        resource,
        pricing,
        "requests/month (usage profile)",
        (
            ("put_requests", "s3.requests.put", "PUT/COPY/POST/LIST requests", 2_000),
            ("get_requests", "s3.requests.get", "GET requests", 20_000),
        ),
    )
    return items


def s3_bucket_replication_configuration(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Cross-region replication: inter-region transfer of the replicated GB and the PUTs into the
    destination. Usage: replicated_gb, put_requests. The replica's storage is on its bucket."""
    replicated = _use(resource, "replicated_gb")
    items = [
        pricing.item(
            resource,
            "data_transfer.inter_region",
            replicated,
            component="Replication transfer (inter-region)",
            usage_based=True,
            assumption=f"{_n(replicated)} GB/month replicated ({_source(resource, 'replicated_gb')})",
        )
    ]
    if _has(resource, "put_requests"):
        puts = _use(resource, "put_requests")
        items.append(
            _item(
                pricing,
                resource,
                "s3.requests.put",
                puts,
                component="Replica PUT requests",
                usage_based=True,
                assumption=f"{_n(puts)} objects replicated/month (usage profile)",
            )
        )
    return items


def db_instance(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """RDS instance hours by engine × instance_class × multi_az; gp3 storage (allocated, or what
    the data grows to under max_allocated_storage) with IOPS/throughput above the included
    baseline; backup storage beyond the free allowance (the provisioned storage); the RDS-managed
    master password secret. Usage: hours, storage_gb, backup_storage_gb.
    Free tier (first 12 months): 750 h of a single-AZ micro instance and 20 GB."""
    attributes = resource.attributes
    engine = _text(attributes.get("engine"))
    instance_class = _text(attributes.get("instance_class"))
    if not engine or not instance_class:
        raise Unsupported(resource, "a DB instance without a known engine and instance_class")
    multi_az = _flag(attributes.get("multi_az"))
    placement = "multi_az" if multi_az else "single_az"
    hours, note = _hours(resource)
    micro = instance_class.endswith(".micro") and not multi_az
    items = [
        pricing.item(
            resource,
            f"rds.instance.{engine}.{instance_class}.{placement}",
            hours,
            component=f"Instance {instance_class} {engine} ({'Multi-AZ' if multi_az else 'Single-AZ'})",
            usage_based=False,
            assumption=note,
            free_quantity=750 if micro else 0,
        )
    ]
    storage_type = _text(attributes.get("storage_type"), "io1" if attributes.get("iops") else "gp2")
    if storage_type != "gp3":
        raise Unsupported(resource, f"RDS storage type {storage_type!r}")
    allocated = _num(attributes.get("allocated_storage"), 20)
    ceiling = max(allocated, _num(attributes.get("max_allocated_storage"), allocated))
    storage, storage_note = allocated, f"{_n(allocated)} GB allocated"
    if _has(resource, "storage_gb") and _use(resource, "storage_gb") > allocated:
        storage = min(_use(resource, "storage_gb"), ceiling)
        storage_note = (
            f"{_n(storage)} GB: the data ({_n(_use(resource, 'storage_gb'))} GB, usage profile) grows "
            f"the {_n(allocated)} GB allocation up to max_allocated_storage {_n(ceiling)} GB"
        )
    items.append(
        pricing.item(
            resource,
            f"rds.storage.gp3.{placement}",
            storage,
            component="gp3 storage",
            usage_based=False,
            assumption=storage_note,
            free_quantity=20 if micro else 0,
        )
    )
    base_iops, base_throughput = (12000, 500) if storage >= 400 else (3000, 125)
    iops, throughput = _num(attributes.get("iops"), 0), _num(attributes.get("storage_throughput"), 0)
    if iops > base_iops:
        items.append(
            pricing.item(
                resource,
                f"rds.storage.gp3.iops.{placement}",
                iops - base_iops,
                component="gp3 IOPS above the baseline",
                usage_based=False,
                assumption=f"{_n(iops)} IOPS, {_n(base_iops)} included",
            )
        )
    if throughput > base_throughput:
        items.append(
            pricing.item(
                resource,
                f"rds.storage.gp3.throughput.{placement}",
                throughput - base_throughput,
                component="gp3 throughput above the baseline",
                usage_based=False,
                assumption=f"{_n(throughput)} MB/s, {_n(base_throughput)} included",
            )
        )
    retention = _num(attributes.get("backup_retention_period"), 0)
    backup = _use(resource, "backup_storage_gb")
    items.append(
        pricing.item(
            resource,
            "rds.backup_storage",
            max(0.0, backup - storage),
            component="Backup storage beyond the free allowance",
            usage_based=True,
            assumption=(
                f"{_n(backup)} GB of backups ({_source(resource, 'backup_storage_gb')}, "
                f"{_n(retention)}-day retention); backups up to the {_n(storage)} GB provisioned are free"
            ),
        )
    )
    if _num(attributes.get("performance_insights_retention_period"), 7) > 7:
        raise Unsupported(resource, "Performance Insights retention beyond 7 days")
    if _flag(attributes.get("manage_master_user_password")):
        items.append(_managed_secret(resource, pricing))
    return items


def _managed_secret(resource: Resource, pricing: Pricing) -> LineItem:
    return pricing.item(
        resource,
        "secretsmanager.secret",
        1,
        component="Master password secret (Secrets Manager)",
        usage_based=False,
        assumption="manage_master_user_password: RDS keeps the password in a Secrets Manager secret",
    )


def rds_cluster(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Aurora cluster storage and I/O (Standard; I/O-Optimized with storage_type aurora-iopt1 has
    no I/O charge), backup storage beyond the cluster size, the managed master secret. Compute
    is priced on the cluster's instances. Usage: storage_gb, io_requests, backup_storage_gb."""
    attributes = resource.attributes
    engine = _text(attributes.get("engine"), "aurora-mysql")
    if not engine.startswith("aurora"):
        raise Unsupported(resource, f"a Multi-AZ DB cluster of {engine}")
    if _text(attributes.get("engine_mode"), "provisioned") != "provisioned":
        raise Unsupported(resource, f"engine_mode {attributes.get('engine_mode')!r} (Serverless v1)")
    optimized = _text(attributes.get("storage_type")) == "aurora-iopt1"
    storage = _use(resource, "storage_gb")
    items = [
        pricing.item(
            resource,
            "aurora.storage.io_optimized" if optimized else "aurora.storage",
            storage,
            component="Aurora storage" + (" (I/O-Optimized)" if optimized else ""),
            usage_based=True,
            assumption=f"{_n(storage)} GB-month ({_source(resource, 'storage_gb')})",
        )
    ]
    if not optimized:
        io_requests = _use(resource, "io_requests")
        items.append(
            _item(
                pricing,
                resource,
                "aurora.io",
                io_requests,
                component="Aurora I/O requests",
                usage_based=True,
                assumption=f"{_n(io_requests)} I/O requests/month ({_source(resource, 'io_requests')})",
            )
        )
    if _has(resource, "backup_storage_gb"):
        backup = _use(resource, "backup_storage_gb")
        items.append(
            pricing.item(
                resource,
                "aurora.backup_storage",
                max(0.0, backup - storage),
                component="Backup storage beyond the cluster size",
                usage_based=True,
                assumption=f"{_n(backup)} GB of backups (usage profile); up to {_n(storage)} GB free",
            )
        )
    if _flag(attributes.get("manage_master_user_password")):
        items.append(_managed_secret(resource, pricing))
    return items


def rds_cluster_instance(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """db.serverless: ACU-hours from usage (`acu_hours`, or `average_acu` × `hours`), at least
    min_capacity × 730 when the cluster never pauses (min_capacity > 0) and at most max_capacity
    × 730. The scaling configuration is the cluster's; a form entry copies it here as
    `serverlessv2_scaling_configuration`, a plan instance does not carry it (no clamping then).
    Provisioned Aurora classes are not in the catalog."""
    attributes = resource.attributes
    instance_class = _text(attributes.get("instance_class"))
    if instance_class != "db.serverless":
        raise Unsupported(resource, f"Aurora instance class {instance_class or '?'}")
    scaling = _block(attributes, "serverlessv2_scaling_configuration")
    min_acu = _num(scaling.get("min_capacity"), 0)
    max_acu = _num(scaling.get("max_capacity"), 0)
    if _has(resource, "acu_hours"):
        acu_hours = _use(resource, "acu_hours")
        average = acu_hours / HOURS_PER_MONTH
        note = f"{_n(acu_hours)} ACU-hours/month (usage profile: {_n(average)} ACU average × 730 h)"
    elif _has(resource, "average_acu"):
        hours = _use(resource, "hours", HOURS_PER_MONTH)
        acu_hours = _use(resource, "average_acu") * hours
        note = f"{_n(_use(resource, 'average_acu'))} ACU average × {_n(hours)} h (usage profile)"
    else:
        acu_hours = min_acu * HOURS_PER_MONTH
        note = f"no usage given: the minimum {_n(min_acu)} ACU × 730 h"
    if min_acu > 0 and acu_hours < min_acu * HOURS_PER_MONTH:
        acu_hours = min_acu * HOURS_PER_MONTH
        note += f"; raised to min_capacity {_n(min_acu)} ACU × 730 h: the cluster never pauses"
    elif min_acu == 0 and scaling:
        note += "; min_capacity 0: the cluster pauses when idle"
    if max_acu > 0 and acu_hours > max_acu * HOURS_PER_MONTH:
        acu_hours = max_acu * HOURS_PER_MONTH
        note += f"; capped at max_capacity {_n(max_acu)} ACU × 730 h"
    return [
        pricing.item(
            resource,
            "aurora.serverless_v2.acu_hour",
            acu_hours,
            component="Aurora Serverless v2 capacity",
            usage_based=True,
            assumption=note,
        )
    ]


def sqs_queue(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Standard or FIFO requests (tiered; each 64 KB chunk is one request). Usage: requests.
    Free tier (every month): 1M requests."""
    fifo = _flag(resource.attributes.get("fifo_queue"))
    requests = _use(resource, "requests")
    kms = resource.attributes.get("kms_master_key_id")
    return [
        _item(
            pricing,
            resource,
            "sqs.fifo.requests" if fifo else "sqs.standard.requests",
            requests,
            component=("FIFO" if fifo else "Standard") + " queue requests",
            usage_based=True,
            assumption=f"{_n(requests)} requests/month ({_source(resource, 'requests')})"
            + ("; SSE-KMS data key requests are priced on the key" if kms else ""),
            free_base=1_000_000,
        )
    ]


def sns_topic(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Publish requests and deliveries: email and HTTP from usage (SQS and Lambda deliveries are
    free). Usage: requests, email_notifications, http_notifications. Free tier (every month): 1M
    requests, 1,000 emails, 100,000 HTTP deliveries. FIFO topics are not in the catalog."""
    if _flag(resource.attributes.get("fifo_topic")):
        raise Unsupported(resource, "a FIFO topic")
    requests = _use(resource, "requests")
    given = "usage" if _has(resource, "requests") else "none given"
    items = [
        _item(
            pricing,
            resource,
            "sns.requests",
            requests,
            component="Publish requests",
            usage_based=True,
            assumption=f"{_n(requests)} publishes/month ({given})",
            free_base=1_000_000,
        )
    ]
    items += _usage_items(
        resource,
        pricing,
        "notifications/month (usage)",
        (
            ("email_notifications", "sns.email", "Email notifications", 1_000),
            ("http_notifications", "sns.http", "HTTP notifications", 100_000),
        ),
    )
    return items


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


def ecr_repository(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Image storage. Usage: storage_gb. Transfer to services in the same region is free."""
    storage = _use(resource, "storage_gb")
    return [
        pricing.item(
            resource,
            "ecr.storage",
            storage,
            component="Image storage",
            usage_based=True,
            assumption=f"{_n(storage)} GB-month ({_source(resource, 'storage_gb')})",
        )
    ]


# ------------------------------------------------------------------------------------------ network


def eip(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Every public IPv4 address is charged by the hour since 1 February 2024, attached or not.
    Usage: hours. Free tier (first 12 months): 750 hours."""
    hours, note = _hours(resource)
    return [
        pricing.item(
            resource,
            "ec2.public_ipv4",
            hours,
            component="Public IPv4 address",
            usage_based=False,
            assumption=note + "; charged attached or not (since 1 Feb 2024)",
            free_quantity=750,
        )
    ]


def nat_gateway(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Hours and GB processed (its Elastic IP is priced on the aws_eip). Usage: hours, gb_processed."""
    hours, note = _hours(resource)
    processed = _use(resource, "gb_processed")
    return [
        pricing.item(
            resource,
            "vpc.nat_gateway.hour",
            hours,
            component="NAT gateway",
            usage_based=False,
            assumption=note,
        ),
        pricing.item(
            resource,
            "vpc.nat_gateway.gb",
            processed,
            component="Data processed",
            usage_based=True,
            assumption=f"{_n(processed)} GB/month through the gateway ({_source(resource, 'gb_processed')})",
        ),
    ]


def vpc_endpoint(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Gateway endpoints (S3, DynamoDB) are free. Interface endpoints: hours per AZ (one ENI per
    subnet in subnet_ids, or usage `availability_zones` when a plan does not know them yet) and
    GB processed. Usage: gb_processed, availability_zones."""
    attributes = resource.attributes
    endpoint_type = _text(attributes.get("vpc_endpoint_type"), "Gateway")
    service = _text(attributes.get("service_name")).rsplit(".", 1)[-1]
    named = f" ({service})" if service else ""
    if endpoint_type == "Gateway":
        return [
            pricing.item(
                resource,
                "vpc.gateway_endpoint",
                HOURS_PER_MONTH,
                component=f"Gateway endpoint{named}",
                usage_based=False,
                assumption="gateway endpoints have no hourly or data processing charge",
            )
        ]
    if endpoint_type != "Interface":
        raise Unsupported(resource, f"a {endpoint_type} endpoint")
    subnets = [s for s in _blocks(attributes, "subnet_ids") if s]
    if subnets:
        zones, where = float(len(subnets)), f"{len(subnets)} subnets (one per AZ)"
    elif _has(resource, "availability_zones"):
        zones, where = _use(resource, "availability_zones"), "AZs from the usage profile"
    else:
        zones, where = 1.0, "1 AZ assumed (subnets not known)"
    processed = _use(resource, "gb_processed")
    return [
        pricing.item(
            resource,
            "vpc.interface_endpoint.hour",
            zones * HOURS_PER_MONTH,
            component=f"Interface endpoint{named}",
            usage_based=False,
            assumption=f"{_n(zones)} AZ × 730 h: {where}",
        ),
        pricing.item(
            resource,
            "vpc.interface_endpoint.gb",
            processed,
            component="Data processed",
            usage_based=True,
            assumption=f"{_n(processed)} GB/month ({_source(resource, 'gb_processed')})",
        ),
    ]


def lb(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Application Load Balancer hours, LCU-hours from usage (`lcu_hours`, or `average_lcu` ×
    hours) and, when internet-facing, one public IPv4 address per AZ. Usage: hours, lcu_hours,
    average_lcu. Network and Gateway Load Balancers are not in the catalog."""
    attributes = resource.attributes
    lb_type = _text(attributes.get("load_balancer_type"), "application")
    if lb_type != "application":
        raise Unsupported(resource, f"a {lb_type} load balancer")
    hours, note = _hours(resource)
    if _has(resource, "lcu_hours"):
        lcu_hours = _use(resource, "lcu_hours")
        lcu_note = f"{_n(lcu_hours)} LCU-hours/month (usage profile)"
    else:
        average = _use(resource, "average_lcu")
        lcu_hours = average * hours
        lcu_note = f"{_n(average)} LCU average × {_n(hours)} h ({_source(resource, 'average_lcu')})"
    items = [
        pricing.item(
            resource,
            "elb.alb.hour",
            hours,
            component="Application Load Balancer",
            usage_based=False,
            assumption=note,
            free_quantity=750,
        ),
        pricing.item(
            resource,
            "elb.alb.lcu_hour",
            lcu_hours,
            component="Load balancer capacity units",
            usage_based=True,
            assumption=lcu_note,
        ),
    ]
    if not _flag(attributes.get("internal")):
        subnets = [s for s in _blocks(attributes, "subnets") if s] or [
            m for m in _blocks(attributes, "subnet_mapping") if m
        ]
        zones = len(subnets) or 2
        items.append(
            pricing.item(
                resource,
                "ec2.public_ipv4",
                zones * hours,
                component="Public IPv4 addresses",
                usage_based=False,
                assumption=f"internet-facing: one public IPv4 address in each of {zones} AZs"
                + ("" if subnets else " (2 assumed, subnets not known)"),
            )
        )
    return items


# ------------------------------------------------------------------------------------------ observability


def cloudwatch_log_group(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Ingestion (Lambda and VPC flow logs are vended logs, with volume tiers; Infrequent Access
    class is cheaper) and storage: usage `storage_gb`, else a month's ingest × retention in months
    (12 months when logs never expire), uncompressed, so an upper bound.
    Usage: ingest_gb, storage_gb. Free tier: 5 GB ingested and 5 GB stored."""
    attributes = resource.attributes
    name = _text(attributes.get("name"))
    vended = name.startswith(("/aws/lambda/", "/aws/vpc/"))
    infrequent = _text(attributes.get("log_group_class"), "STANDARD") == "INFREQUENT_ACCESS"
    key = (
        "cloudwatch.logs.vended_ingest"
        if vended and not infrequent
        else "cloudwatch.logs.ingest.infrequent_access"
        if infrequent
        else "cloudwatch.logs.ingest"
    )
    ingest = _use(resource, "ingest_gb")
    retention = _num(attributes.get("retention_in_days"), 0)
    if _has(resource, "storage_gb"):
        stored = _use(resource, "storage_gb")
        stored_note = f"{_n(stored)} GB stored (usage profile)"
    else:
        months = retention / DAYS_PER_MONTH if retention else 12.0
        stored = ingest * months
        kept = f"{_n(retention)}-day retention" if retention else "never expires: 12 months assumed"
        stored_note = f"{_n(round(stored, 3))} GB stored: {_n(ingest)} GB/month × {kept} (uncompressed)"
    source = _source(resource, "ingest_gb")
    return [
        pricing.item(
            resource,
            key,
            ingest,
            component="Log ingestion" + (" (vended)" if key.endswith("vended_ingest") else ""),
            usage_based=True,
            assumption=f"{_n(ingest)} GB/month ({source})",
            free_quantity=5,
        ),
        pricing.item(
            resource,
            "cloudwatch.logs.storage",
            stored,
            component="Log storage",
            usage_based=True,
            assumption=stored_note,
            free_quantity=5,
        ),
    ]


def cloudwatch_metric_alarm(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Per metric alarmed on: 1 for a plain alarm, one per metric of a metric-math alarm (three
    for an anomaly-detection band); high resolution when the period is under 60 s.
    Free tier: 10 standard alarm metrics."""
    attributes = resource.attributes
    queries = [q for q in _blocks(attributes, "metric_query") if isinstance(q, Mapping)]
    periods = [_num(attributes.get("period"), 60)] if attributes.get("period") is not None else []
    if queries:
        metrics = 0
        for query in queries:
            metric = _block(query, "metric")
            if metric:
                metrics += 1
                if metric.get("period") is not None:
                    periods.append(_num(metric.get("period"), 60))
            elif "ANOMALY_DETECTION_BAND" in _text(query.get("expression")).upper():
                metrics += 3
        metrics = max(metrics, 1)
        what = f"metric-math alarm on {metrics} metric(s)"
    else:
        metrics, what = 1, "alarm on 1 metric"
    high_resolution = bool(periods) and min(periods) < 60
    return [
        pricing.item(
            resource,
            "cloudwatch.alarm.high_resolution" if high_resolution else "cloudwatch.alarm.standard",
            metrics,
            component="Alarm" + (" (high resolution)" if high_resolution else ""),
            usage_based=False,
            assumption=what,
            free_quantity=0 if high_resolution else 10,
        )
    ]


def cloudwatch_dashboard(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """$3 a month per dashboard. Free tier: 3 dashboards of up to 50 metrics."""
    return [
        pricing.item(
            resource,
            "cloudwatch.dashboard",
            1,
            component="Dashboard",
            usage_based=False,
            assumption="1 dashboard",
            free_quantity=3,
        )
    ]


def cloudtrail(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Management events: the first copy in a region is free (this is taken to be the account's
    first trail). Data events (event_selector.data_resource or advanced_event_selector) from usage
    `data_events`. CloudTrail Insights is not in the catalog. Log delivery is priced on the bucket
    and log group."""
    attributes = resource.attributes
    if _blocks(attributes, "insight_selector"):
        raise Unsupported(resource, "CloudTrail Insights")
    management = _use(resource, "management_events")
    items = [
        _item(
            pricing,
            resource,
            "cloudtrail.management_events",
            management,
            component="Management events (first copy)",
            usage_based=True,
            assumption="first trail: one copy of management events is free; another trail pays $2/100k",
        )
    ]
    selectors = [s for s in _blocks(attributes, "event_selector") if isinstance(s, Mapping)]
    has_data = any(_blocks(s, "data_resource") for s in selectors) or bool(
        _blocks(attributes, "advanced_event_selector")
    )
    if has_data:
        events = _use(resource, "data_events")
        items.append(
            _item(
                pricing,
                resource,
                "cloudtrail.data_events",
                events,
                component="Data events",
                usage_based=True,
                assumption=f"{_n(events)} data events/month ({_source(resource, 'data_events')})",
            )
        )
    return items


def budgets_budget(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Budgets that only alert are free; action-enabled budgets cost $0.10/day after the first two
    per account (actions are separate aws_budgets_budget_action resources)."""
    key = "budgets.budget"
    return [
        _global(pricing, key).item(
            resource,
            key,
            1,
            component="Budget",
            usage_based=False,
            assumption="alerting budget: free (the first two action-enabled budgets are free too)",
        )
    ]


_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.+)\)$")


def _runs_per_month(expression: str) -> float | None:
    """Runs a month of an EventBridge schedule expression, where simple enough to count."""
    rate = _RATE.match(expression.strip())
    if rate:
        every = float(rate.group(1))
        per_hour = {"minute": 60.0, "hour": 1.0, "day": 1 / 24}[rate.group(2).rstrip("s")]
        return HOURS_PER_MONTH * per_hour / every
    if expression.strip().startswith("at("):
        return 1.0
    cron = _CRON.match(expression.strip())
    if cron:
        fields = cron.group(1).split()
        if len(fields) == 6 and all(re.fullmatch(r"\d+", f) for f in fields[:2]) and fields[2] in ("*", "?"):
            weekdays = fields[4]
            if weekdays in ("*", "?"):
                return DAYS_PER_MONTH
            if re.fullmatch(r"[A-Z]{3}(-[A-Z]{3})?|\d(-\d)?", weekdays):
                span = weekdays.split("-")
                days = 1 if len(span) == 1 else 5 if span == ["MON", "FRI"] else None
                if days is not None:
                    return DAYS_PER_MONTH * days / 7
    return None


def scheduler_schedule(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """EventBridge Scheduler invocations (usage `invocations`, else counted from the schedule
    expression); for a DynamoDB export target (aws-sdk:dynamodb:exportTableToPointInTime), the
    export of `export_gb` per run. Free tier (every month): 14M invocations."""
    attributes = resource.attributes
    expression = _text(attributes.get("schedule_expression"))
    if _has(resource, "invocations"):
        runs, note = _use(resource, "invocations"), "usage profile"
    else:
        counted = _runs_per_month(expression)
        runs = counted if counted is not None else 0.0
        note = expression + (" (counted)" if counted is not None else ": not counted, no usage given")
    if _text(attributes.get("state"), "ENABLED") == "DISABLED":
        runs, note = 0.0, "schedule disabled"
    items = [
        _item(
            pricing,
            resource,
            "eventbridge.scheduler.invocations",
            runs,
            component="Scheduler invocations",
            usage_based=True,
            assumption=f"{_n(round(runs, 2))} invocations/month: {note}",
            free_base=14_000_000,
        )
    ]
    target = _text(_block(attributes, "target").get("arn"))
    if target.endswith("dynamodb:exportTableToPointInTime"):
        export_gb = _use(resource, "export_gb")
        items.append(
            pricing.item(
                resource,
                "dynamodb.export_s3",
                runs * export_gb,
                component="DynamoDB export to S3",
                usage_based=True,
                assumption=f"{_n(round(runs, 2))} full exports × {_n(export_gb)} GB table "
                f"({_source(resource, 'export_gb')})",
            )
        )
    return items


def cloudwatch_event_rule(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Scheduled rules and events from AWS services are free; custom events published to a bus are
    priced from usage `events`. Whatever the target does is priced on the target."""
    attributes = resource.attributes
    if attributes.get("schedule_expression"):
        return [
            _no_charge(
                resource,
                "Scheduled rule",
                f"scheduled rules are free ({attributes['schedule_expression']}); the target's "
                "invocations are priced on the target",
            )
        ]
    if not _has(resource, "events"):
        return [
            _no_charge(resource, "Event rule", "events from AWS services are free; no custom events given")
        ]
    events = _use(resource, "events")
    return [
        _item(
            pricing,
            resource,
            "eventbridge.custom_events",
            events,
            component="Custom events",
            usage_based=True,
            assumption=f"{_n(events)} custom events/month (usage profile)",
        )
    ]


RULES: dict[str, PricingRule] = {
    "aws_acm_certificate": acm_certificate,
    "aws_api_gateway_rest_api": api_gateway_rest_api,
    "aws_api_gateway_stage": api_gateway_stage,
    "aws_apigatewayv2_api": apigatewayv2_api,
    "aws_budgets_budget": budgets_budget,
    "aws_cloudfront_distribution": cloudfront_distribution,
    "aws_cloudtrail": cloudtrail,
    "aws_cloudwatch_dashboard": cloudwatch_dashboard,
    "aws_cloudwatch_event_rule": cloudwatch_event_rule,
    "aws_cloudwatch_log_group": cloudwatch_log_group,
    "aws_cloudwatch_metric_alarm": cloudwatch_metric_alarm,
    "aws_db_instance": db_instance,
    "aws_dlm_lifecycle_policy": ebs_snapshots,
    "aws_dynamodb_table": dynamodb_table,
    "aws_ebs_snapshot": ebs_snapshots,
    "aws_ebs_volume": ebs_volume,
    "aws_ecr_repository": ecr_repository,
    "aws_ecs_task_definition": ecs_task_definition,
    "aws_eip": eip,
    "aws_eks_cluster": eks_cluster,
    "aws_eks_fargate_profile": eks_fargate_profile,
    "aws_instance": instance,
    "aws_kms_key": kms_key,
    "aws_lambda_function": lambda_function,
    "aws_lb": lb,
    "aws_nat_gateway": nat_gateway,
    "aws_rds_cluster": rds_cluster,
    "aws_rds_cluster_instance": rds_cluster_instance,
    "aws_route53_health_check": route53_health_check,
    "aws_route53_zone": route53_zone,
    "aws_s3_bucket": s3_bucket,
    "aws_s3_bucket_replication_configuration": s3_bucket_replication_configuration,
    "aws_scheduler_schedule": scheduler_schedule,
    "aws_secretsmanager_secret": secretsmanager_secret,
    "aws_sns_topic": sns_topic,
    "aws_sqs_queue": sqs_queue,
    "aws_ssm_parameter": ssm_parameter,
    "aws_vpc_endpoint": vpc_endpoint,
    "aws_wafv2_web_acl": wafv2_web_acl,
}

_IAM = "IAM is free"
_SG = "security groups and their rules are free"
_S3_CONFIG = "bucket configuration is free; storage and requests are priced on the bucket"
_API = "API Gateway configuration is free; requests are priced on the API"

#: Types that cost nothing by themselves, with the reason shown on the estimate.
FREE_TYPES: dict[str, str] = {
    "null_resource": "local sandbox: no cloud resource",
    "aws_acm_certificate_validation": "certificate validation is free",
    "aws_api_gateway_base_path_mapping": _API,
    "aws_api_gateway_deployment": _API,
    "aws_api_gateway_domain_name": "regional custom domain names are free",
    "aws_api_gateway_integration": _API,
    "aws_api_gateway_method": _API,
    "aws_api_gateway_method_settings": _API + " (a cache is priced on the stage)",
    "aws_api_gateway_resource": _API,
    "aws_apigatewayv2_authorizer": _API + " (JWT authorizers are free)",
    "aws_apigatewayv2_integration": _API,
    "aws_apigatewayv2_route": _API,
    "aws_apigatewayv2_stage": _API,
    "aws_cloudfront_origin_access_control": "CloudFront configuration is free",
    "aws_cloudwatch_event_target": "targets are free; the invocations are priced on the target",
    "aws_cloudwatch_log_subscription_filter": "subscription filters are free; the destination is priced",
    "aws_db_parameter_group": "parameter groups are free",
    "aws_db_subnet_group": "subnet groups are free",
    "aws_default_security_group": _SG,
    "aws_ecs_cluster": "an ECS cluster is free (tasks are priced on their task definition; Container "
    "Insights metrics are not included)",
    "aws_eks_addon": "EKS add-ons are free; their pods are priced on the Fargate profile",
    "aws_flow_log": "the flow log itself is free; its log volume is priced on the destination log group",
    "aws_iam_instance_profile": _IAM,
    "aws_iam_openid_connect_provider": _IAM,
    "aws_iam_policy": _IAM,
    "aws_iam_role": _IAM,
    "aws_iam_role_policy": _IAM,
    "aws_iam_role_policy_attachment": _IAM,
    "aws_internet_gateway": "internet gateways are free (data transfer out is not estimated)",
    "aws_kms_alias": "aliases are free",
    "aws_lambda_function_url": "function URLs are free; requests are priced on the function",
    "aws_lambda_permission": "permissions are free",
    "aws_lb_listener": "listeners are free; capacity is priced on the load balancer (LCUs)",
    "aws_lb_target_group": "target groups are free",
    "aws_route53_record": "records are free; queries are priced on the hosted zone (alias queries are free)",
    "aws_route_table": "route tables are free",
    "aws_route_table_association": "route tables are free",
    "aws_s3_bucket_lifecycle_configuration": _S3_CONFIG + " (transitions are requests on the bucket)",
    "aws_s3_bucket_ownership_controls": _S3_CONFIG,
    "aws_s3_bucket_policy": _S3_CONFIG,
    "aws_s3_bucket_public_access_block": _S3_CONFIG,
    "aws_s3_bucket_server_side_encryption_configuration": _S3_CONFIG
    + " (SSE-KMS requests are priced on the key)",
    "aws_s3_bucket_versioning": _S3_CONFIG + " (old versions count in the bucket's storage)",
    "aws_secretsmanager_secret_version": "versions are free; the secret is priced",
    "aws_security_group": _SG,
    "aws_sns_topic_policy": "topic policies are free",
    "aws_sns_topic_subscription": "subscriptions are free; deliveries are priced on the topic",
    "aws_sqs_queue_redrive_allow_policy": "queue policies are free",
    "aws_subnet": "subnets are free",
    "aws_volume_attachment": "attachments are free; the volume is priced",
    "aws_vpc": "a VPC is free",
    "aws_vpc_security_group_egress_rule": _SG,
    "aws_vpc_security_group_ingress_rule": _SG,
    "aws_wafv2_web_acl_association": "associations are free; the web ACL is priced",
}
