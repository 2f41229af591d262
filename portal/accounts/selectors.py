"""Read-side queries about teams and memberships. Every scoped queryset starts here; who may do
what is decided in portal.core.permissions."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from portal.accounts.models import Membership, Team
from portal.core.permissions import is_platform_admin, visible_team_ids

AnyUser = AbstractBaseUser | AnonymousUser


def user_is_platform_admin(user: AnyUser) -> bool:
    return is_platform_admin(user)


def user_teams(user: AnyUser):  # -> QuerySet[Team]
    """Teams whose environments and requests the user may see (portal.core.permissions.can_view):
    their own; platform admins see every team."""
    team_ids = visible_team_ids(user)
    return Team.objects.all() if team_ids is None else Team.objects.filter(pk__in=team_ids)


def user_memberships(user: AnyUser):  # -> QuerySet[Membership]
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("team")
