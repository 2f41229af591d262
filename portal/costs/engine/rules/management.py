"""Pricing rules for monitoring and management: CloudWatch logs, alarms and dashboards,
CloudTrail and AWS Budgets."""

from __future__ import annotations

from collections.abc import Mapping

from portal.costs.engine.estimator import LineItem, Pricing, PricingRule, Resource
from portal.costs.engine.rules._common import (
    DAYS_PER_MONTH,
    Unsupported,
    _block,
    _blocks,
    _global,
    _has,
    _item,
    _n,
    _num,
    _source,
    _text,
    _use,
)


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


RULES: dict[str, PricingRule] = {
    "aws_budgets_budget": budgets_budget,
    "aws_cloudtrail": cloudtrail,
    "aws_cloudwatch_dashboard": cloudwatch_dashboard,
    "aws_cloudwatch_log_group": cloudwatch_log_group,
    "aws_cloudwatch_metric_alarm": cloudwatch_metric_alarm,
}
