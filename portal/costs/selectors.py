"""Read-side queries about actual spend: an environment's months, a blueprint's estimate accuracy
per tier, and team spend that uses the actual where it is known and the estimate otherwise."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from blueprints.spec import TIERS
from portal.accounts.selectors import AnyUser, user_teams
from portal.costs.engine.actuals import Accuracy, accuracy, month_start, previous_month, spend_chart_svg
from portal.costs.models import CostActual

CHART_MONTHS = 12
ACTIVE = "active"  # EnvironmentStatus.ACTIVE, by value: the costs app does not import environments


def _ratio(amount: Decimal | None, estimate: Decimal | None) -> float | None:
    if amount is None or not estimate or estimate <= 0:
        return None
    return float(amount / estimate)


@dataclass(frozen=True)
class EnvironmentSpend:
    """An environment's estimate against what it really cost."""

    estimate: Decimal | None
    month_to_date: CostActual | None
    last_month: CostActual | None
    ratio: float | None  # last month's actual ÷ the monthly estimate
    months: list[CostActual] = field(default_factory=list)
    chart_svg: SafeString = field(default_factory=lambda: mark_safe(""))

    @property
    def known(self) -> bool:
        return bool(self.months)


def environment_spend(*, environment: Any, today: dt.date | None = None) -> EnvironmentSpend:
    """One query: the last twelve months of actuals, with the ratio and a chart."""
    today = today or timezone.now().date()
    months = list(CostActual.objects.filter(environment=environment).order_by("-month")[:CHART_MONTHS])[::-1]
    by_month = {a.month: a for a in months}
    last_month = by_month.get(previous_month(today))
    estimate = environment.monthly_cost_usd
    chart = spend_chart_svg(
        [(a.month, float(a.amount)) for a in months], estimate=float(estimate) if estimate else None
    )
    return EnvironmentSpend(
        estimate=estimate,
        month_to_date=by_month.get(month_start(today)),
        last_month=last_month,
        ratio=_ratio(last_month.amount if last_month else None, estimate),
        months=months,
        # Built from numbers and dates only, every text escaped by spend_chart_svg.
        chart_svg=mark_safe(chart),  # noqa: S308
    )


def _accuracy_teams(user: AnyUser) -> Any:
    """Whose environments a user's accuracy figures are drawn from: the teams the user may see
    (every team for a platform admin). One place, so a permission module can replace it."""
    return user_teams(user)


@dataclass(frozen=True)
class TierAccuracy:
    tier: str
    accuracy: Accuracy


def blueprint_estimate_accuracy(
    *, blueprint: Any, user: AnyUser, today: dt.date | None = None
) -> list[TierAccuracy]:
    """Per tier, the median and p25-p75 spread of actual ÷ estimate over the blueprint's
    environments (each one's latest complete month, against its current monthly estimate)."""
    today = today or timezone.now().date()
    rows = (
        CostActual.objects.filter(
            environment__blueprint_version__blueprint=blueprint,
            environment__team__in=_accuracy_teams(user),
            environment__monthly_cost_usd__gt=0,
            month__lt=month_start(today),
        )
        .order_by("environment_id", "-month")
        .values_list("environment_id", "environment__tier", "amount", "environment__monthly_cost_usd")
    )
    ratios: dict[str, list[float]] = {}
    seen: set[int] = set()
    for environment_id, tier, amount, estimate in rows:
        if environment_id in seen:
            continue  # an older month of the same environment
        seen.add(environment_id)
        ratio = _ratio(amount, estimate)
        if ratio is not None:
            ratios.setdefault(tier, []).append(ratio)
    order = {tier: i for i, tier in enumerate(TIERS)}
    result = []
    for tier in sorted(ratios, key=lambda t: (order.get(t, len(order)), t)):
        stats = accuracy(ratios[tier])
        if stats is not None:
            result.append(TierAccuracy(tier, stats))
    return result


@dataclass(frozen=True)
class TeamSpend:
    """A team's committed monthly spend: last month's actual for each active environment that
    has one, the estimate for the others."""

    team: Any
    committed: Decimal
    actual_count: int
    estimate_count: int

    @property
    def basis(self) -> str:
        if not self.actual_count:
            return "estimate"
        return "actual" if not self.estimate_count else "actual and estimate"

    @property
    def over_budget(self) -> bool:
        budget = self.team.monthly_budget_usd
        return bool(budget) and self.committed > budget


def teams_spend(*, teams: Any, today: dt.date | None = None) -> list[TeamSpend]:
    """Committed spend of each team in a Team queryset, in two queries whatever the count."""
    today = today or timezone.now().date()
    active = Q(environments__status=ACTIVE)
    annotated = teams.annotate(
        estimate_usd=Sum("environments__monthly_cost_usd", filter=active),
        active_count=Count("environments", filter=active),
    )
    actuals = CostActual.objects.filter(
        environment__team__in=teams, environment__status=ACTIVE, month=previous_month(today)
    ).values_list("environment__team_id", "amount", "environment__monthly_cost_usd")
    replaced: dict[int, list[Decimal]] = {}  # team id -> [actual total, estimates it replaces, count]
    for team_id, amount, estimate in actuals:
        entry = replaced.setdefault(team_id, [Decimal(0), Decimal(0), Decimal(0)])
        entry[0] += amount
        entry[1] += estimate or Decimal(0)
        entry[2] += 1
    result = []
    for team in annotated:
        actual_total, replaced_estimate, count = replaced.get(team.pk, [Decimal(0)] * 3)
        committed = (team.estimate_usd or Decimal(0)) - replaced_estimate + actual_total
        result.append(
            TeamSpend(
                team=team,
                committed=committed,
                actual_count=int(count),
                estimate_count=team.active_count - int(count),
            )
        )
    return result
