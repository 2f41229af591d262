"""Pricing rules for networking and content delivery: Elastic IPs, NAT gateways, VPC endpoints,
load balancers, CloudFront and Route 53."""

from __future__ import annotations

from portal.costs.engine.estimator import HOURS_PER_MONTH, LineItem, Pricing, PricingRule, Resource
from portal.costs.engine.rules._common import (
    Unsupported,
    _blocks,
    _flag,
    _global,
    _has,
    _hours,
    _item,
    _n,
    _num,
    _source,
    _text,
    _use,
)


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


RULES: dict[str, PricingRule] = {
    "aws_cloudfront_distribution": cloudfront_distribution,
    "aws_eip": eip,
    "aws_lb": lb,
    "aws_nat_gateway": nat_gateway,
    "aws_route53_health_check": route53_health_check,
    "aws_route53_zone": route53_zone,
    "aws_vpc_endpoint": vpc_endpoint,
}
