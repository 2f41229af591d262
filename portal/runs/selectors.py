"""Read-side queries for runs, scoped to the user's teams (image builds are visible to all)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from portal.accounts.selectors import AnyUser, user_team_scope
from portal.environments.models import Environment
from portal.runs.models import Run


def run_list(*, user: AnyUser) -> QuerySet[Run]:
    runs = Run.objects.select_related("environment__team", "created_by")
    teams = user_team_scope(user)
    if teams is None:
        return runs
    # By environment id, not through a join: the count is then an index count per environment.
    environments = Environment.objects.filter(team__in=teams).values("pk")
    return runs.filter(Q(environment__in=environments) | Q(environment__isnull=True))
