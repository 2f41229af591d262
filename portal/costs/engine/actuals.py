"""Actual spend from AWS Cost Explorer, in pure Python (no Django, no boto3).

The portal tags every AWS resource through the provider's ``default_tags`` with ``Team`` (the
team's slug), ``Environment`` (the environment's name) and ``Blueprint`` (the blueprint's slug).
Once those are activated as cost allocation tags in the billing console, Cost Explorer can split
the bill by them. This module builds the ``get_cost_and_usage`` request, reads its (paged)
answers into amounts per (team, environment, month), and does the arithmetic the pages show:
actual ÷ estimate, its median and spread across environments, and a small SVG bar chart.
"""

from __future__ import annotations

import datetime as dt
import html
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "COST_METRIC",
    "TAG_BLUEPRINT",
    "TAG_ENVIRONMENT",
    "TAG_TEAM",
    "Accuracy",
    "MonthlyAmount",
    "accuracy",
    "cost_and_usage_request",
    "month_start",
    "parse_cost_and_usage",
    "previous_month",
    "spend_chart_svg",
]

TAG_TEAM, TAG_ENVIRONMENT, TAG_BLUEPRINT = "Team", "Environment", "Blueprint"
#: What the team is billed before credits and refunds, month by month.
COST_METRIC = "UnblendedCost"


@dataclass(frozen=True)
class MonthlyAmount:
    """The cost of one environment (team slug, environment name) in one calendar month."""

    team: str
    environment: str
    month: dt.date  # the first day of the month
    amount: Decimal
    currency: str
    estimated: bool  # Cost Explorer's own flag: the month's figures are not final yet


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def previous_month(day: dt.date) -> dt.date:
    """The first day of the month before ``day``'s month."""
    return (month_start(day) - dt.timedelta(days=1)).replace(day=1)


def cost_and_usage_request(
    *, today: dt.date, environments: Iterable[str], blueprints: Iterable[str]
) -> dict[str, Any]:
    """Keyword arguments for ``get_cost_and_usage``: last month and this month to date (the end
    date is exclusive, so on the 1st only last month is asked for), monthly, grouped by the Team
    and Environment tags (Cost Explorer allows two groupings) and filtered to the portal's
    environment names and blueprint slugs."""
    environments, blueprints = sorted(set(environments)), sorted(set(blueprints))
    filters = [{"Tags": {"Key": TAG_ENVIRONMENT, "Values": environments, "MatchOptions": ["EQUALS"]}}]
    if blueprints:
        filters.append({"Tags": {"Key": TAG_BLUEPRINT, "Values": blueprints, "MatchOptions": ["EQUALS"]}})
    return {
        "TimePeriod": {"Start": previous_month(today).isoformat(), "End": today.isoformat()},
        "Granularity": "MONTHLY",
        "Metrics": [COST_METRIC],
        "GroupBy": [{"Type": "TAG", "Key": TAG_TEAM}, {"Type": "TAG", "Key": TAG_ENVIRONMENT}],
        "Filter": {"And": filters} if len(filters) > 1 else filters[0],
    }


def _tag_value(key: str, tag: str) -> str:
    """Cost Explorer names a tag group ``Tag$value`` (``Tag$`` for untagged spend)."""
    prefix = f"{tag}$"
    return key[len(prefix) :] if key.startswith(prefix) else ""


def parse_cost_and_usage(pages: Iterable[Mapping[str, Any]]) -> list[MonthlyAmount]:
    """Amounts per (team, environment, month) from ``get_cost_and_usage`` answers grouped by
    Team then Environment. Untagged spend (an empty tag value) belongs to no environment and is
    left out; a group repeated across pages is added up. Raises ValueError on an answer that is
    not shaped like one, rather than storing a wrong figure."""
    totals: dict[tuple[str, str, dt.date], list[Any]] = {}
    for page in pages:
        for result in page.get("ResultsByTime", []):
            try:
                month = month_start(dt.date.fromisoformat(result["TimePeriod"]["Start"]))
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"Cost Explorer result without a usable TimePeriod: {result!r}") from exc
            estimated = bool(result.get("Estimated", False))
            for group in result.get("Groups", []):
                keys = group.get("Keys", [])
                if len(keys) != 2:
                    raise ValueError(f"expected groups keyed by Team and Environment, got {keys!r}")
                team, environment = _tag_value(keys[0], TAG_TEAM), _tag_value(keys[1], TAG_ENVIRONMENT)
                if not team or not environment:
                    continue
                metric = group.get("Metrics", {}).get(COST_METRIC)
                if metric is None:
                    raise ValueError(f"group {keys!r} has no {COST_METRIC}")
                try:
                    amount = Decimal(str(metric["Amount"]))
                except (KeyError, InvalidOperation) as exc:
                    raise ValueError(f"group {keys!r} has no numeric Amount") from exc
                currency = str(metric.get("Unit") or "USD")
                entry = totals.setdefault((team, environment, month), [Decimal(0), currency, estimated])
                if entry[1] != currency:
                    raise ValueError(f"{team}/{environment} {month:%Y-%m}: mixed currencies")
                entry[0] += amount
                entry[2] = entry[2] or estimated
    return [
        MonthlyAmount(team, environment, month, amount, currency, estimated)
        for (team, environment, month), (amount, currency, estimated) in sorted(totals.items())
    ]


@dataclass(frozen=True)
class Accuracy:
    """How far actual spend was from the estimate across environments: ratios actual ÷ estimate."""

    count: int
    median: float
    p25: float
    p75: float


def accuracy(ratios: Sequence[float]) -> Accuracy | None:
    """Median and inter-quartile spread of actual ÷ estimate; None without any ratio."""
    values = sorted(r for r in ratios if r >= 0)
    if not values:
        return None
    if len(values) == 1:
        return Accuracy(1, values[0], values[0], values[0])
    p25, _, p75 = statistics.quantiles(values, n=4, method="inclusive")
    return Accuracy(len(values), statistics.median(values), p25, p75)


def spend_chart_svg(
    months: Sequence[tuple[dt.date, float]], *, estimate: float | None, width: int = 320, height: int = 120
) -> str:
    """A bar per month of actual spend and a dashed line at the monthly estimate; an inline SVG
    with a title per bar, so it needs no JavaScript. Empty string without any month."""
    if not months:
        return ""
    top = max([amount for _, amount in months] + [estimate or 0.0]) or 1.0
    pad, label_h = 4, 14
    plot_h = height - label_h - pad
    slot = (width - 2 * pad) / len(months)
    bar_w = max(4.0, slot * 0.6)
    parts = [
        f'<svg class="spend-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Actual spend by month">'
    ]
    for i, (month, amount) in enumerate(months):
        bar_h = plot_h * amount / top
        x = pad + i * slot + (slot - bar_w) / 2
        label = html.escape(f"{month:%Y-%m}: {amount:,.2f}")
        parts.append(
            f'<rect x="{x:.1f}" y="{pad + plot_h - bar_h:.1f}" width="{bar_w:.1f}" height="{bar_h:.1f}" '
            f'fill="#4a78b5"><title>{label}</title></rect>'
        )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{height - 2}" font-size="10" text-anchor="middle">'
            f"{month:%b}</text>"
        )
    if estimate:
        y = pad + plot_h - plot_h * estimate / top
        parts.append(
            f'<line x1="0" y1="{y:.1f}" x2="{width}" y2="{y:.1f}" stroke="#c0392b" stroke-dasharray="4 3">'
            f"<title>{html.escape(f'estimate: {estimate:,.2f}/month')}</title></line>"
        )
    parts.append("</svg>")
    return "".join(parts)
