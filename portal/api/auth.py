"""Who is calling the API: a personal access token (`Authorization: Bearer pat_…`) or the browser's
session. A token call needs no CSRF token (no browser sends the header by itself); a session call
that changes something must carry Django's CSRF token, as the pages' forms do."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError, AuthorizationError
from ninja.security import HttpBearer, SessionAuth

from portal.api.services import TokenInvalid, token_authenticate
from portal.audit.services import client_ip

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# POSTs that change nothing (an estimate is a computation): read-only tokens may call them.
READ_ONLY_POSTS = frozenset({"blueprint-estimate"})


class TokenAuth(HttpBearer):
    """A personal access token; a read-only one is refused every unsafe method (403)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            pat = token_authenticate(raw=token, ip=client_ip(request))
        except TokenInvalid as exc:
            raise AuthenticationError(message=str(exc)) from exc
        url_name = getattr(request.resolver_match, "url_name", None)
        if pat.read_only and request.method not in SAFE_METHODS and url_name not in READ_ONLY_POSTS:
            raise AuthorizationError(message=f"Token {pat.name!r} is read-only; it cannot {request.method}.")
        request.user = pat.user
        request.api_token = pat  # type: ignore[attr-defined]
        return pat.user


class BrowserSession(SessionAuth):
    """The signed-in browser session; SessionAuth checks CSRF on unsafe methods."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if request.user.is_authenticated and request.user.is_active:
            return request.user
        return None


API_AUTH = [TokenAuth(), BrowserSession(csrf=True)]
