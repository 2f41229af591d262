"""Actual spend: the daily fetch from AWS Cost Explorer and the owner's over-estimate alert.

The request and the parsing are pure (portal.costs.engine.actuals); this module holds the boto3
client, the writes and the alert rule. It never imports the environments or requests apps: the
caller (the Celery task) passes the environments to fetch for and the function that notifies an
owner, so the costs app stays below them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.audit.services import audit_record
from portal.costs.engine.actuals import (
    COST_METRIC,
    MonthlyAmount,
    cost_and_usage_request,
    month_start,
    parse_cost_and_usage,
    previous_month,
)
from portal.costs.models import CostActual

log = logging.getLogger(__name__)

SOURCE = f"aws-ce:{COST_METRIC}"
MAX_PAGES = 50  # a runaway NextPageToken loop must end

#: notify(environment, actual, estimate): tells the owner the month's actual exceeds the estimate.
OverrunNotifier = Callable[[Any, CostActual, Decimal], None]


def cost_explorer_client() -> Any:
    """A Cost Explorer client with the portal's own AWS credentials (instance role, profile or
    environment). Cost Explorer has one endpoint, in us-east-1; AWS_ENDPOINT_URL points it at an
    emulator."""
    import boto3

    return boto3.client("ce", region_name="us-east-1", endpoint_url=settings.AWS_ENDPOINT_URL or None)


def cost_actuals_fetch(*, client: Any, today: dt.date, environments: Iterable[Any]) -> list[MonthlyAmount]:
    """Last month's and this month's amounts for these environments, every page of the answer."""
    environments = list(environments)
    request = cost_and_usage_request(
        today=today,
        environments=[e.name for e in environments],
        blueprints=[e.blueprint_version.blueprint.slug for e in environments],
    )
    pages: list[dict[str, Any]] = []
    token = None
    for _ in range(MAX_PAGES):
        page = client.get_cost_and_usage(**request, **({"NextPageToken": token} if token else {}))
        pages.append(page)
        token = page.get("NextPageToken")
        if not token:
            break
    return parse_cost_and_usage(pages)


def cost_actual_upsert(
    *,
    environment: Any,
    month: dt.date,
    amount: Decimal,
    currency: str,
    estimated: bool = False,
    source: str = SOURCE,
    fetched_at: dt.datetime | None = None,
) -> CostActual:
    """Stores one environment's actual for one month, replacing an earlier figure for it (the
    daily fetch rewrites month to date); running it twice leaves one row."""
    actual, _ = CostActual.objects.update_or_create(
        environment=environment,
        month=month_start(month),
        defaults={
            "amount": amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
            "currency": currency,
            "estimated": estimated,
            "source": source,
            "fetched_at": fetched_at or timezone.now(),
        },
    )
    return actual


def cost_actual_overrun(*, environment: Any, actual: CostActual) -> Decimal | None:
    """The estimate this actual exceeds by more than COST_ACTUAL_ALERT_FACTOR, or None. Month to
    date counts too: once it passes the factor, the month will."""
    estimate = environment.monthly_cost_usd
    if not estimate or estimate <= 0:
        return None  # no estimate, or an incomplete one: nothing to compare with
    factor = Decimal(str(settings.COST_ACTUAL_ALERT_FACTOR))
    return estimate if actual.amount > estimate * factor else None


def cost_actual_alert(
    *, environment: Any, actual: CostActual, notify: OverrunNotifier | None, now: dt.datetime
) -> bool:
    """Tells the owner once per environment and month that the actual exceeds the estimate by
    the factor; the row remembers it. Call inside a transaction (the notifier sends on commit)."""
    if actual.alerted_at is not None:
        return False
    estimate = cost_actual_overrun(environment=environment, actual=actual)
    if estimate is None:
        return False
    actual.alerted_at = now
    actual.save(update_fields=["alerted_at"])
    audit_record(
        actor=None,
        action="cost.actual_over_estimate",
        target=environment,
        summary=(
            f"{environment} spent {actual.amount} {actual.currency} in {actual.month:%Y-%m}, "
            f"over {settings.COST_ACTUAL_ALERT_FACTOR}x its estimate of {estimate}/month."
        ),
        data={"month": actual.month.isoformat(), "amount": str(actual.amount), "estimate": str(estimate)},
    )
    if notify is not None:
        notify(environment, actual, estimate)
    return True


@dataclass
class ActualsRefresh:
    """What one fetch did, for logs and tests."""

    environments: int = 0
    stored: int = 0
    alerts: int = 0
    skipped: bool = False
    unmatched: list[str] = field(default_factory=list)


def cost_actuals_refresh(
    *,
    environments: Iterable[Any],
    client: Any | None = None,
    today: dt.date | None = None,
    notify: OverrunNotifier | None = None,
) -> ActualsRefresh:
    """The daily job: one Cost Explorer query for every given (active, AWS) environment, the
    month-to-date and last-month figures stored per environment, and an alert to the owner of
    each one whose actual exceeds its estimate by COST_ACTUAL_ALERT_FACTOR. Skipped when
    COST_ACTUALS_ENABLED is off. Cost Explorer charges per request, hence one query for all."""
    result = ActualsRefresh()
    if not settings.COST_ACTUALS_ENABLED:
        result.skipped = True
        return result
    environments = [e for e in environments if e.blueprint_version.blueprint.runtime == "aws"]
    result.environments = len(environments)
    if not environments:
        return result
    today = today or timezone.now().date()
    amounts = cost_actuals_fetch(
        client=client or cost_explorer_client(), today=today, environments=environments
    )
    by_key = {(e.team.slug, e.name): e for e in environments}
    wanted = {previous_month(today), month_start(today)}
    now = timezone.now()
    with transaction.atomic():
        for amount in amounts:
            environment = by_key.get((amount.team, amount.environment))
            if environment is None:
                result.unmatched.append(f"{amount.team}/{amount.environment}")
                continue
            if amount.month not in wanted:
                continue
            actual = cost_actual_upsert(
                environment=environment,
                month=amount.month,
                amount=amount.amount,
                currency=amount.currency,
                estimated=amount.estimated,
                fetched_at=now,
            )
            result.stored += 1
            result.alerts += cost_actual_alert(environment=environment, actual=actual, notify=notify, now=now)
        audit_record(
            actor=None,
            action="cost.actuals_fetched",
            summary=(
                f"Cost Explorer: {result.stored} monthly figure(s) stored for "
                f"{result.environments} environment(s), {result.alerts} over-estimate alert(s)."
            ),
            data={"today": today.isoformat(), "unmatched": sorted(set(result.unmatched))},
        )
    if result.unmatched:
        # Spend tagged like a portal environment that is not active here (or of another portal).
        log.info("cost actuals for unknown environments: %s", ", ".join(sorted(set(result.unmatched))))
    return result
