"""Puts the signed-in user's memberships in every template, for the page header."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from portal.core.permissions import holds_platform_admin, loaded_memberships


def membership(request: HttpRequest) -> dict[str, Any]:
    # Read once per request (or reused from the view's own permission checks); the rules the
    # page's template asks ({% test_rule %}) read these instead of the database.
    memberships = loaded_memberships(request.user)
    return {
        "memberships": memberships,
        "is_platform_admin": holds_platform_admin(memberships),
    }
