"""Pricing rules for serverless and integration services: Lambda, API Gateway (REST and HTTP),
SQS, SNS, EventBridge Scheduler and EventBridge rules."""

from __future__ import annotations

import re

from portal.costs.engine.estimator import HOURS_PER_MONTH, LineItem, Pricing, PricingRule, Resource, free_item
from portal.costs.engine.rules._common import (
    DAYS_PER_MONTH,
    SECONDS_PER_MONTH,
    Unsupported,
    _block,
    _blocks,
    _flag,
    _has,
    _item,
    _n,
    _num,
    _source,
    _text,
    _usage_items,
    _use,
)


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
        items.append(_xray_traces(resource, pricing, traces, note))
    return items


def _xray_traces(resource: Resource, pricing: Pricing, traces: float, assumption: str) -> LineItem:
    """X-Ray traces recorded; the free tier (every month) is 100,000 traces."""
    return _item(
        pricing,
        resource,
        "xray.traces_recorded",
        traces,
        component="X-Ray traces recorded",
        usage_based=True,
        assumption=assumption,
        free_base=100_000,
    )


def _api_requests(resource: Resource, pricing: Pricing, sku: str, component: str) -> list[LineItem]:
    """API Gateway requests from usage `requests`; the first 12 months' free tier is 1M calls."""
    requests = _use(resource, "requests")
    return [
        _item(
            pricing,
            resource,
            sku,
            requests,
            component=component,
            usage_based=True,
            assumption=f"{_n(requests)} requests/month ({_source(resource, 'requests')})",
            free_base=1_000_000,
        )
    ]


def api_gateway_rest_api(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """REST API requests (tiered). Usage: requests. Free tier (first 12 months): 1M calls."""
    return _api_requests(resource, pricing, "apigateway.rest.requests", "REST API requests")


def api_gateway_stage(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """A stage adds a charge only with a cache cluster (not in the catalog: unpriced) or X-Ray
    traces given in usage `xray_traces` (otherwise they are counted on the traced function)."""
    attributes = resource.attributes
    items: list[LineItem] = []
    if _flag(attributes.get("cache_cluster_enabled")):
        raise Unsupported(resource, f"an API cache cluster ({attributes.get('cache_cluster_size', '?')} GB)")
    if _flag(attributes.get("xray_tracing_enabled")) and _has(resource, "xray_traces"):
        traces = _use(resource, "xray_traces")
        items.append(_xray_traces(resource, pricing, traces, f"{_n(traces)} traces/month (usage profile)"))
    return items or [
        free_item(
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
    return _api_requests(resource, pricing, "apigateway.http.requests", "HTTP API requests")


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
            free_item(
                resource,
                "Scheduled rule",
                f"scheduled rules are free ({attributes['schedule_expression']}); the target's "
                "invocations are priced on the target",
            )
        ]
    if not _has(resource, "events"):
        return [
            free_item(resource, "Event rule", "events from AWS services are free; no custom events given")
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
    "aws_api_gateway_rest_api": api_gateway_rest_api,
    "aws_api_gateway_stage": api_gateway_stage,
    "aws_apigatewayv2_api": apigatewayv2_api,
    "aws_cloudwatch_event_rule": cloudwatch_event_rule,
    "aws_lambda_function": lambda_function,
    "aws_scheduler_schedule": scheduler_schedule,
    "aws_sns_topic": sns_topic,
    "aws_sqs_queue": sqs_queue,
}
