"""Read-side queries for runs, scoped to the user's teams (image builds are visible to all)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from portal.accounts.selectors import AnyUser, user_teams
from portal.runs.models import ACTIVE_STATUSES, Run


def run_list(*, user: AnyUser) -> QuerySet[Run]:
    return Run.objects.filter(
        Q(environment__team__in=user_teams(user)) | Q(environment__isnull=True)
    ).select_related("environment__team", "created_by")


def environment_active_run(environment: Any) -> Run | None:
    """The queued or running run of an environment (at most one: a database constraint)."""
    return Run.objects.filter(environment=environment, status__in=ACTIVE_STATUSES).first()
