"""Who may do what with drills: one small function per rule, so they can move into the shared
permission module as they are."""

from __future__ import annotations

from typing import Any

from portal.accounts.models import Membership, Role
from portal.accounts.selectors import AnyUser, user_is_platform_admin


def _team_approver(user: AnyUser, team_id: int) -> bool:
    return Membership.objects.filter(user=user, team_id=team_id, role=Role.APPROVER).exists()


def user_may_start_drill(user: AnyUser, environment: Any) -> bool:
    """The owning team's approvers and platform admins start drills."""
    if not user.is_authenticated:
        return False
    return user_is_platform_admin(user) or _team_approver(user, environment.team_id)


def user_may_change_drill_schedule(user: AnyUser, environment: Any) -> bool:
    """The owning team's approvers and platform admins change an environment's drill schedule."""
    if not user.is_authenticated:
        return False
    return user_is_platform_admin(user) or _team_approver(user, environment.team_id)


def user_may_see_estate_dr(user: AnyUser) -> bool:
    """Approvers (of any team) and platform admins see the estate DR page."""
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(user=user, role__in=[Role.APPROVER, Role.PLATFORM_ADMIN]).exists()
