"""Puts the signed-in user's memberships in every template, for the page header."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from portal.accounts.selectors import user_memberships
from portal.core.permissions import LOADED_MEMBERSHIPS, holds_platform_admin


def membership(request: HttpRequest) -> dict[str, Any]:
    memberships = list(user_memberships(request.user))
    if request.user.is_authenticated:
        # The rules the page's template asks ({% test_rule %}) read these instead of the database.
        setattr(request.user, LOADED_MEMBERSHIPS, memberships)
    return {
        "memberships": memberships,
        "is_platform_admin": holds_platform_admin(memberships),
    }
