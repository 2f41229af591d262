"""Puts the signed-in user's memberships in every template, for the page header."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from portal.accounts.selectors import user_memberships
from portal.core.permissions import holds_platform_admin


def membership(request: HttpRequest) -> dict[str, Any]:
    memberships = list(user_memberships(request.user))
    return {
        "memberships": memberships,
        "is_platform_admin": holds_platform_admin(memberships),
    }
