"""Read-side queries for environments, scoped to the user's teams."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from portal.accounts.selectors import AnyUser
from portal.core.permissions import visible_team_ids
from portal.costs.selectors import teams_spend
from portal.environments.models import Environment, EnvironmentStatus


def environment_list(*, user: AnyUser) -> QuerySet[Environment]:
    environments = Environment.objects.select_related(
        "team", "owner", "blueprint_version__blueprint", "state_lock"
    )
    team_ids = visible_team_ids(user)  # None: every team, so no filter at all
    return environments if team_ids is None else environments.filter(team_id__in=team_ids)


def team_committed_spend(team: Any) -> Decimal:
    """Monthly cost of the team's live environments: last month's actual spend where Cost
    Explorer reported one, the estimate of the applied plan otherwise (costs.selectors)."""
    return teams_spend(teams=type(team).objects.filter(pk=team.pk))[0].committed


def environments_active() -> QuerySet[Environment]:
    """Every active environment, for scheduled jobs (not scoped to a user)."""
    return Environment.objects.filter(status=EnvironmentStatus.ACTIVE).select_related(
        "team", "owner", "blueprint_version__blueprint"
    )
