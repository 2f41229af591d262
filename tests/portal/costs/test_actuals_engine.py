"""The pure side of actual spend: the Cost Explorer request, reading its answers, the accuracy
statistics and the chart (no Django, no network)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portal.costs.engine.actuals import (
    COST_METRIC,
    accuracy,
    cost_and_usage_request,
    parse_cost_and_usage,
    previous_month,
    spend_chart_svg,
)


def group(team: str, environment: str, amount: str, unit: str = "USD") -> dict:
    return {
        "Keys": [f"Team${team}", f"Environment${environment}"],
        "Metrics": {COST_METRIC: {"Amount": amount, "Unit": unit}},
    }


def result(start: str, end: str, *groups: dict, estimated: bool = False) -> dict:
    return {"TimePeriod": {"Start": start, "End": end}, "Groups": list(groups), "Estimated": estimated}


def test_previous_month_crosses_the_year() -> None:
    assert previous_month(dt.date(2026, 1, 15)) == dt.date(2025, 12, 1)
    assert previous_month(dt.date(2026, 3, 31)) == dt.date(2026, 2, 1)


def test_request_asks_for_last_month_and_month_to_date_grouped_by_the_portal_tags() -> None:
    request = cost_and_usage_request(
        today=dt.date(2026, 12, 9), environments=["web", "api", "web"], blueprints=["lambda-aurora"]
    )
    assert request["TimePeriod"] == {"Start": "2026-11-01", "End": "2026-12-09"}
    assert request["Granularity"] == "MONTHLY" and request["Metrics"] == [COST_METRIC]
    assert request["GroupBy"] == [{"Type": "TAG", "Key": "Team"}, {"Type": "TAG", "Key": "Environment"}]
    environment_filter, blueprint_filter = request["Filter"]["And"]
    assert environment_filter["Tags"] == {
        "Key": "Environment",
        "Values": ["api", "web"],
        "MatchOptions": ["EQUALS"],
    }
    assert blueprint_filter["Tags"]["Key"] == "Blueprint" and blueprint_filter["Tags"]["Values"] == [
        "lambda-aurora"
    ]


def test_parse_adds_pages_and_leaves_out_untagged_spend() -> None:
    pages = [
        {
            "ResultsByTime": [
                result("2026-11-01", "2026-12-01", group("pay", "web", "10.50"), group("pay", "", "99")),
                result("2026-12-01", "2026-12-09", group("pay", "web", "3.25"), estimated=True),
            ],
            "NextPageToken": "p2",
        },
        {
            "ResultsByTime": [
                result("2026-11-01", "2026-12-01", group("pay", "web", "1.50"), group("", "web", "7"))
            ]
        },
    ]
    amounts = parse_cost_and_usage(pages)
    assert [(a.team, a.environment, a.month, a.amount, a.estimated) for a in amounts] == [
        ("pay", "web", dt.date(2026, 11, 1), Decimal("12.00"), False),
        ("pay", "web", dt.date(2026, 12, 1), Decimal("3.25"), True),
    ]
    assert amounts[0].currency == "USD"


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ({"ResultsByTime": [{"Groups": []}]}, "TimePeriod"),
        (
            {"ResultsByTime": [result("2026-11-01", "2026-12-01", {"Keys": ["Team$a"], "Metrics": {}})]},
            "Team and",
        ),
        (
            {"ResultsByTime": [result("2026-11-01", "2026-12-01", {"Keys": ["Team$a", "Environment$b"]})]},
            "no UnblendedCost",
        ),
        ({"ResultsByTime": [result("2026-11-01", "2026-12-01", group("a", "b", "n/a"))]}, "numeric"),
        (
            {
                "ResultsByTime": [
                    result("2026-11-01", "2026-12-01", group("a", "b", "1"), group("a", "b", "2", "EUR"))
                ]
            },
            "mixed currencies",
        ),
    ],
)
def test_parse_refuses_answers_it_cannot_read(page: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_cost_and_usage([page])


def test_accuracy_median_and_quartiles() -> None:
    assert accuracy([]) is None
    one = accuracy([1.2])
    assert one is not None and (one.count, one.median, one.p25, one.p75) == (1, 1.2, 1.2, 1.2)
    stats = accuracy([0.5, 1.0, 1.5, 2.0, 4.0])
    assert stats is not None
    assert (stats.count, stats.median, stats.p25, stats.p75) == (5, 1.5, 1.0, 2.0)


def test_chart_has_a_bar_per_month_and_the_estimate_line() -> None:
    months = [(dt.date(2026, 10, 1), 50.0), (dt.date(2026, 11, 1), 100.0)]
    svg = spend_chart_svg(months, estimate=80.0)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<rect") == 2 and "2026-11: 100.00" in svg
    assert "<line" in svg and "estimate: 80.00/month" in svg
    assert 'height="0.0"' not in svg  # the tallest bar fills the plot
    assert "<line" not in spend_chart_svg(months, estimate=None)
    assert spend_chart_svg([], estimate=10.0) == ""
