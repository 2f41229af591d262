"""What the home page shows each person: what waits for them. Every list is a short slice of a
scoped selector, joined so the number of queries does not grow with the rows; every count is one
aggregate. Each list links to its full page with the same filters (the lists' FilterSets)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from portal.accounts.selectors import AnyUser
from portal.core.lists import BLUEPRINT_VERSION_BLOBS, ENVIRONMENT_BLOBS, REQUEST_BLOBS, RUN_BLOBS
from portal.environments.models import DriftStatus, Environment, EnvironmentStatus
from portal.environments.selectors import (
    STALE_LOCK_AGE,
    environment_list,
    with_upgrade_flag,
)
from portal.requests.models import RequestState
from portal.requests.selectors import approval_queue, approval_queue_counts, request_list
from portal.requests.states import CLOSED_STATES
from portal.runs.models import Run, RunStatus
from portal.runs.selectors import stuck_runs_q

HOME_ROWS = 10
EXPIRING_DAYS = 7
BUDGET_WARNING = Decimal("0.8")  # a team at 80% of its monthly budget or more


def _url(name: str, **params: Any) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse(name) + (f"?{query}" if query else "")


@dataclass
class EstateCount:
    """One figure on a platform admin's home, with the filtered page that lists it."""

    label: str
    count: int
    url: str
    testid: str


def approvals_waiting(user: AnyUser) -> dict[str, Any]:
    queue = approval_queue(user=user)
    plan_blobs = [f"plan_run__{name}" for name in RUN_BLOBS]
    rows = list(queue.defer(*REQUEST_BLOBS, *BLUEPRINT_VERSION_BLOBS, *plan_blobs)[:HOME_ROWS])
    return {"rows": rows, "counts": approval_queue_counts(queue), "url": reverse("requests:queue")}


def requester_home(user: AnyUser) -> dict[str, Any]:
    requests = (
        request_list(user=user).filter(requester_id=user.pk).defer(*REQUEST_BLOBS, *BLUEPRINT_VERSION_BLOBS)
    )
    environments = with_upgrade_flag(
        environment_list(user=user)
        .filter(owner_id=user.pk)
        .exclude(status=EnvironmentStatus.DESTROYED)
        .defer(*ENVIRONMENT_BLOBS, *BLUEPRINT_VERSION_BLOBS)
    )
    soon = timezone.now() + timedelta(days=EXPIRING_DAYS)
    return {
        "open_requests": list(requests.exclude(state__in=CLOSED_STATES)[:HOME_ROWS]),
        "open_requests_url": _url("requests:list", mine=1, open=1),
        "environments": list(environments.order_by("name")[:HOME_ROWS]),
        "environments_url": _url("environments:list", mine=1),
        "expiring_soon": soon,
        "failed_requests": list(requests.filter(state=RequestState.FAILED)[:HOME_ROWS]),
        "failed_requests_url": _url("requests:list", mine=1, state=RequestState.FAILED),
        "failed_environments": list(environments.filter(status=EnvironmentStatus.FAILED)[:HOME_ROWS]),
        "failed_environments_url": _url("environments:list", mine=1, status=EnvironmentStatus.FAILED),
    }


def estate_counts(spend: Sequence[Any]) -> dict[str, Any]:
    """A platform admin's view of the whole estate, in two queries. Budgets are the teams of
    `spend`, the home page's budget table (costs.selectors.teams_spend: committed spend, actual
    where known), at BUDGET_WARNING of their budget or more. Only queued, running and failed runs
    are read (the status index finds them), not the whole run history."""
    now = timezone.now()
    runs = Run.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.FAILED]).aggregate(
        stuck=Count("pk", filter=stuck_runs_q(now=now)),
        failed=Count("pk", filter=Q(status=RunStatus.FAILED)),
    )
    live = Environment.objects.exclude(status=EnvironmentStatus.DESTROYED)
    environments = live.aggregate(
        stale_locks=Count("pk", filter=Q(state_lock__created_at__lt=now - STALE_LOCK_AGE)),
        drifted=Count("pk", filter=Q(drift_status=DriftStatus.DRIFTED)),
        expiring=Count("pk", filter=Q(expires_at__lte=now + timedelta(days=EXPIRING_DAYS))),
    )
    teams = [
        {
            "team": row.team,
            "committed": row.committed,
            "used_percent": round(row.committed / row.team.monthly_budget_usd * 100),
        }
        for row in spend
        if (row.team.monthly_budget_usd or 0) > 0
        and row.committed >= row.team.monthly_budget_usd * BUDGET_WARNING
    ]
    return {
        "counts": [
            EstateCount("Stuck runs", runs["stuck"], _url("runs:list", stuck=1), "stuck-runs"),
            EstateCount(
                "Failed runs", runs["failed"], _url("runs:list", status=RunStatus.FAILED), "failed-runs"
            ),
            EstateCount(
                "Locks held over an hour",
                environments["stale_locks"],
                _url("environments:list", lock="stale"),
                "stale-locks",
            ),
            EstateCount(
                "Drifted environments",
                environments["drifted"],
                _url("environments:list", drift=DriftStatus.DRIFTED),
                "drifted",
            ),
            EstateCount(
                f"Expiring within {EXPIRING_DAYS} days",
                environments["expiring"],
                _url("environments:list", expiring=EXPIRING_DAYS),
                "expiring",
            ),
        ],
        "budget_teams": teams,
    }
