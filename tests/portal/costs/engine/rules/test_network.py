"""Pricing rules for networking and content delivery: public IPv4, NAT, VPC endpoints, load
balancers, CloudFront and Route 53."""

from __future__ import annotations

from portal.costs.engine.prices import PriceCatalog
from tests.portal.costs.engine.rules.helpers import (
    approx,
    component,
    price,
    usd,
)


def test_public_ipv4_costs_3_65_a_month(catalog: PriceCatalog) -> None:
    result = price(catalog, "aws_eip", {"domain": "vpc"})
    assert result.total_monthly_usd == approx(730 * usd(catalog, "ec2.public_ipv4"))
    assert result.total_monthly_usd == approx(3.65)
    assert "since 1 Feb 2024" in result.line_items[0].assumption
    # The 12-month free tier covers 750 hours.
    assert price(catalog, "aws_eip", free_tier=True).total_monthly_usd == 0


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


def test_global_services_price_the_same_in_an_uncatalogued_region(catalog: PriceCatalog) -> None:
    # CloudFront and Route 53 are global: their price does not depend on the deployment region.
    result = price(catalog, "aws_route53_zone", region="ap-southeast-2")
    assert component(result, "Hosted zone") == approx(0.5)
