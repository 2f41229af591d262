"""Authentication backends."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


class LoginLockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, first in AUTHENTICATION_BACKENDS; it never logs anyone in.

    Every login over HTTP (the login page, the admin's login) passes the request and is checked.
    `authenticate()` without a request is not a login attempt from the network: the test client's
    `login()` and code in `manage.py shell` call it so. Axes would raise for those; here they are
    left to the next backend.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class LocalLoginPolicyBackend:
    """Refuses password logins while LOCAL_LOGIN_ENABLED is off, except for the break-glass
        accounts in BREAK_GLASS_USERS. Placed before ModelBackend: raising PermissionDenied stops
        Django from asking the backends after it. It never logs anyone in, and has no get_user(), so
    that the test client's force_login() keeps picking ModelBackend."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        from portal.accounts.oidc import local_login_allowed

        if password is not None and not local_login_allowed(username):
            raise PermissionDenied("Password login is switched off; use single sign-on.")
        return None
