"""Read-side queries about who may do what. Every scoped queryset starts here."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from portal.accounts.models import Membership, Role, Team

AnyUser = AbstractBaseUser | AnonymousUser


def user_is_platform_admin(user: AnyUser) -> bool:
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(user=user, role=Role.PLATFORM_ADMIN).exists()


def user_teams(user: AnyUser):  # -> QuerySet[Team]
    """Teams whose environments and requests the user may see. Platform admins see every team."""
    scope = user_team_scope(user)
    return Team.objects.all() if scope is None else scope.distinct()


def user_team_scope(user: AnyUser):  # -> QuerySet[Team] | None
    """Like user_teams, but None when the user sees every team (a platform admin): a list then
    needs no scoping filter at all, which at 100,000 rows is a join or subquery per row saved."""
    if not user.is_authenticated:
        return Team.objects.none()
    if user_is_platform_admin(user):
        return None
    return Team.objects.filter(memberships__user=user)


def user_memberships(user: AnyUser):  # -> QuerySet[Membership]
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("team")
