"""Puts the signed-in user's memberships in every template, for the page header."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from portal.accounts.models import Role
from portal.accounts.selectors import user_memberships


def membership(request: HttpRequest) -> dict[str, Any]:
    memberships = list(user_memberships(request.user))
    return {
        "memberships": memberships,
        "is_platform_admin": any(m.role == Role.PLATFORM_ADMIN for m in memberships),
    }
