"""Authentication backends."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
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
