"""Read-side queries for runs, scoped to the user's teams (image builds are visible to all)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from portal.accounts.selectors import AnyUser
from portal.core.permissions import visible_team_ids
from portal.environments.models import Environment
from portal.runs.models import ACTIVE_STATUSES, Run, RunStatus

# A queued run no worker has claimed for this long is stuck (the requeue pass tries every
# RUN_REQUEUE_AFTER_S, so a healthy queue claims far sooner).
STUCK_QUEUED_AFTER = timedelta(minutes=15)


def run_list(*, user: AnyUser) -> QuerySet[Run]:
    runs = Run.objects.select_related("environment__team", "created_by")
    team_ids = visible_team_ids(user)
    if team_ids is None:  # every team: no filter at all
        return runs
    # By environment id, not through a join: the count is then an index count per environment.
    environments = Environment.objects.filter(team_id__in=team_ids).values("pk")
    return runs.filter(Q(environment__in=environments) | Q(environment__isnull=True))


def environment_active_run(environment: Any) -> Run | None:
    """The queued or running run of an environment (at most one: a database constraint)."""
    return Run.objects.filter(environment=environment, status__in=ACTIVE_STATUSES).first()


def stuck_runs_q(*, now: Any = None) -> Q:
    """Runs that should have moved and did not: queued longer than STUCK_QUEUED_AFTER, or running
    without a heartbeat for RUN_HEARTBEAT_TIMEOUT_S (the reaper fails those on its next pass)."""
    now = now or timezone.now()
    silent = now - timedelta(seconds=settings.RUN_HEARTBEAT_TIMEOUT_S)
    return (
        Q(status=RunStatus.QUEUED, created_at__lt=now - STUCK_QUEUED_AFTER)
        | Q(status=RunStatus.RUNNING, heartbeat_at__lt=silent)
        | Q(status=RunStatus.RUNNING, heartbeat_at__isnull=True, started_at__lt=silent)
    )
