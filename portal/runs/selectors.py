"""Read-side queries for runs, scoped to the user's teams (image builds are visible to all)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from portal.accounts.selectors import AnyUser
from portal.core.permissions import visible_team_ids
from portal.environments.models import Environment
from portal.runs.models import ACTIVE_STATUSES, Run


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
