"""Read-side queries for environments, scoped to the user's teams."""

from __future__ import annotations

from django.db.models import QuerySet

from portal.accounts.selectors import AnyUser, user_teams
from portal.environments.models import Environment, EnvironmentStatus


def environment_list(*, user: AnyUser) -> QuerySet[Environment]:
    return Environment.objects.filter(team__in=user_teams(user)).select_related(
        "team", "owner", "blueprint_version__blueprint", "state_lock"
    )


def environments_active() -> QuerySet[Environment]:
    """Every active environment, for scheduled jobs (not scoped to a user)."""
    return Environment.objects.filter(status=EnvironmentStatus.ACTIVE).select_related(
        "team", "owner", "blueprint_version__blueprint"
    )
