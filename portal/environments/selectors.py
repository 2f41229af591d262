"""Read-side queries for environments, scoped to the user's teams."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum

from portal.accounts.selectors import AnyUser
from portal.core.permissions import visible_team_ids
from portal.environments.models import Environment, EnvironmentStatus


def environment_list(*, user: AnyUser) -> QuerySet[Environment]:
    environments = Environment.objects.select_related(
        "team", "owner", "blueprint_version__blueprint", "state_lock"
    )
    team_ids = visible_team_ids(user)  # None: every team, so no filter at all
    return environments if team_ids is None else environments.filter(team_id__in=team_ids)


def team_committed_spend(team: Any) -> Decimal:
    """Monthly cost of the team's live environments, from the estimates of their applied plans."""
    total = Environment.objects.filter(team=team, status=EnvironmentStatus.ACTIVE).aggregate(
        total=Sum("monthly_cost_usd")
    )["total"]
    return total or Decimal("0")


def with_committed_spend(teams: Any) -> Any:
    """Annotates a Team queryset with `committed_usd` in one query."""
    return teams.annotate(
        committed_usd=Sum(
            "environments__monthly_cost_usd", filter=Q(environments__status=EnvironmentStatus.ACTIVE)
        )
    )
