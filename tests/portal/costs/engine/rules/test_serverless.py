"""Pricing rules for serverless: Lambda and API Gateway."""

from __future__ import annotations

from portal.costs.engine.prices import PriceCatalog
from tests.portal.costs.engine.rules.helpers import (
    LAMBDA_ARM,
    approx,
    component,
    price,
    usd,
)


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
