"""Pricing rules for monitoring and management: CloudWatch, CloudTrail and Budgets; and one test
across schedules, event rules and snapshots."""

from __future__ import annotations

from portal.costs.engine.prices import PriceCatalog
from tests.portal.costs.engine.rules.helpers import (
    approx,
    component,
    price,
    usd,
)


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
