"""Read-side queries for environments, scoped to the user's teams."""

from __future__ import annotations

from django.db.models import QuerySet

from portal.accounts.selectors import AnyUser, user_team_scope
from portal.environments.models import Environment


def environment_list(*, user: AnyUser) -> QuerySet[Environment]:
    environments = Environment.objects.select_related(
        "team", "owner", "blueprint_version__blueprint", "state_lock"
    )
    teams = user_team_scope(user)
    return environments if teams is None else environments.filter(team__in=teams)
