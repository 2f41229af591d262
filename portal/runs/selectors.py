"""Read-side queries for runs, scoped to the user's teams (image builds are visible to all)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from portal.accounts.selectors import AnyUser, user_team_scope
from portal.runs.models import Run


def run_list(*, user: AnyUser) -> QuerySet[Run]:
    runs = Run.objects.select_related("environment__team", "created_by")
    teams = user_team_scope(user)
    if teams is None:
        return runs
    return runs.filter(Q(environment__team__in=teams) | Q(environment__isnull=True))
