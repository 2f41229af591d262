"""Read-side queries for environments, scoped to the user's teams."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from portal.accounts.selectors import AnyUser
from portal.catalog.models import BlueprintVersion
from portal.core.permissions import visible_team_ids
from portal.costs.selectors import teams_spend
from portal.environments.models import Environment, EnvironmentStatus

# A state lock held longer than this is worth a platform admin's look.
STALE_LOCK_AGE = timedelta(hours=1)


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


def with_upgrade_flag(environments: QuerySet[Environment]) -> QuerySet[Environment]:
    """Annotates `upgrade_available`: a version of the environment's blueprint published after the
    one it runs exists (a destroyed environment has nothing to upgrade)."""
    newer = BlueprintVersion.objects.filter(
        blueprint_id=OuterRef("blueprint_version__blueprint_id"),
        published_at__gt=OuterRef("blueprint_version__published_at"),
    )
    return environments.annotate(upgrade_available=Exists(newer) & ~Q(status=EnvironmentStatus.DESTROYED))
