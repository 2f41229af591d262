"""Single sign-on with OpenID Connect, on mozilla-django-oidc.

SSO is on when OIDC_RP_CLIENT_ID is set. The provider's endpoints are read from its discovery
document (OIDC_OP_DISCOVERY_URL) unless each is set on its own. Every SSO login matches the user
by the OIDC_USERNAME_CLAIM claim (creating them on first login) and then sets their team
memberships from the OIDC_GROUPS_CLAIM claim through OIDC_GROUP_MAPPING
(portal.accounts.services.membership_sync_from_groups).
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from portal.accounts.services import Grant, membership_sync_from_groups
from portal.core.roles import Role

logger = logging.getLogger(__name__)

# Setting name -> key in the provider's discovery document.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
_discovery_lock = threading.Lock()
_discovery_cache: dict[str, dict[str, Any]] = {}


def sso_enabled() -> bool:
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))


def local_login_allowed(username: str | None) -> bool:
    """Whether the password form may log `username` in: always, unless LOCAL_LOGIN_ENABLED is off,
    then only the break-glass accounts named in BREAK_GLASS_USERS."""
    if getattr(settings, "LOCAL_LOGIN_ENABLED", True):
        return True
    return bool(username) and username in getattr(settings, "BREAK_GLASS_USERS", [])


def discovery_document(url: str) -> dict[str, Any]:
    """The provider's /.well-known/openid-configuration, fetched once per process."""
    with _discovery_lock:
        if url not in _discovery_cache:
            response = requests.get(url, timeout=getattr(settings, "OIDC_TIMEOUT", 10))
            response.raise_for_status()
            document = response.json()
            if not isinstance(document, dict):
                raise ImproperlyConfigured(f"OIDC discovery document at {url} is not a JSON object")
            _discovery_cache[url] = document
        return _discovery_cache[url]


def oidc_setting(name: str, *default: Any) -> Any:
    """mozilla-django-oidc's settings lookup, with the provider's endpoints filled in from the
    discovery document when they are not set one by one."""
    value = getattr(settings, name, None)
    if name in DISCOVERED and not value and getattr(settings, "OIDC_OP_DISCOVERY_URL", ""):
        discovered = discovery_document(settings.OIDC_OP_DISCOVERY_URL).get(DISCOVERED[name])
        if discovered:
            return discovered
    if name in DISCOVERED and not value:
        if default:
            return default[0]
        raise ImproperlyConfigured(f"Setting {name} not found (nor OIDC_OP_DISCOVERY_URL)")
    return import_from_settings(name, *default)


# --- the group mapping -------------------------------------------------------------------------


def parse_group_mapping(raw: str | dict[str, Any]) -> dict[str, tuple[Grant, ...]]:
    """Parses OIDC_GROUP_MAPPING: ``{"group": {"team": slug, "role": role}}``, where a group may
    also map to a list of such objects. Raises ValueError naming what is wrong."""
    data = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(data, dict):
        raise ValueError("OIDC_GROUP_MAPPING must be a JSON object of group name to {team, role}")
    roles = set(Role.values)
    mapping: dict[str, tuple[Grant, ...]] = {}
    for group, value in data.items():
        entries = value if isinstance(value, list) else [value]
        grants = []
        for entry in entries:
            if not isinstance(entry, dict) or set(entry) != {"team", "role"}:
                raise ValueError(f"OIDC_GROUP_MAPPING[{group!r}]: each entry needs exactly 'team' and 'role'")
            if entry["role"] not in roles:
                raise ValueError(
                    f"OIDC_GROUP_MAPPING[{group!r}]: role {entry['role']!r} is not one of {sorted(roles)}"
                )
            if not isinstance(entry["team"], str) or not entry["team"]:
                raise ValueError(f"OIDC_GROUP_MAPPING[{group!r}]: team must be a team's slug")
            grants.append(Grant(team=entry["team"], role=entry["role"]))
        mapping[str(group)] = tuple(grants)
    return mapping


def group_mapping() -> dict[str, tuple[Grant, ...]]:
    return parse_group_mapping(getattr(settings, "OIDC_GROUP_MAPPING", "{}") or "{}")


def groups_from_claims(claims: dict[str, Any]) -> list[str]:
    """The groups claim as a list of names; a single string counts as one group."""
    value = claims.get(getattr(settings, "OIDC_GROUPS_CLAIM", "groups"), [])
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


# --- mozilla-django-oidc subclasses ------------------------------------------------------------


class PortalOIDCBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    """Logs a user in from the provider's callback; does nothing while SSO is off.

    Django builds every backend on every `authenticate()` call, password logins included, so the
    provider's settings (and its discovery document) are read only for an SSO callback.
    """

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django.contrib.auth import get_user_model

        self.UserModel = get_user_model()
        self._configured = False

    def _configure(self) -> None:
        if not self._configured:
            super().__init__()
            self._configured = True

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> AbstractBaseUser | None:
        if request is None or not sso_enabled() or "code" not in request.GET or "state" not in request.GET:
            return None
        if "nonce" not in kwargs:  # only the callback view passes it: this is not a password login
            return None
        try:
            self._configure()
            user: AbstractBaseUser | None = super().authenticate(request, **kwargs)
        except requests.RequestException as exc:
            # The provider refused the code (forged, replayed, expired) or could not be reached:
            # a failed login, not a server error.
            logger.warning("SSO login failed at the provider: %s", exc)
            return None
        return user

    def _username(self, claims: dict[str, Any]) -> str:
        claim = getattr(settings, "OIDC_USERNAME_CLAIM", "preferred_username")
        return str(claims.get(claim) or claims.get("email") or "").strip()

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(self._username(claims))

    def describe_user_by_claims(self, claims: dict[str, Any]) -> str:
        return f"username {self._username(claims)!r}"

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        return self.UserModel.objects.filter(username=self._username(claims))

    def create_user(self, claims: dict[str, Any]) -> AbstractBaseUser:
        user: AbstractBaseUser = self.UserModel.objects.create_user(
            self._username(claims), email=claims.get("email", "")
        )
        return self.update_user(user, claims)

    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        changed = False
        for field, claim in (("email", "email"), ("first_name", "given_name"), ("last_name", "family_name")):
            value = claims.get(claim)
            if isinstance(value, str) and getattr(user, field) != value:
                setattr(user, field, value[:150])
                changed = True
        if changed:
            user.save()
        return user

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        user_info = self.get_userinfo(access_token, id_token, payload)
        # The groups claim may be in the ID token only, the userinfo answer only, or both.
        claims = {**payload, **user_info}
        if not self.verify_claims(claims):
            raise SuspiciousOperation("Claims verification failed")
        with transaction.atomic():
            users = list(self.filter_users_by_claims(claims))
            if len(users) > 1:
                raise SuspiciousOperation("Multiple users returned")
            user = self.update_user(users[0], claims) if users else self.create_user(claims)
            if not user.is_active:
                return user
            membership_sync_from_groups(
                user=user,
                groups=groups_from_claims(claims),
                mapping=group_mapping(),
                ip=self.request.META.get("REMOTE_ADDR") if self.request else None,
            )
        return user


class SSOAuthenticationRequestView(OIDCAuthenticationRequestView):  # type: ignore[misc]
    """Sends the browser to the provider; 404 while SSO is off."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if sso_enabled():
            super().__init__(*args, **kwargs)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        from django.http import Http404

        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        return super().dispatch(request, *args, **kwargs)


class SSOCallbackView(OIDCAuthenticationCallbackView):  # type: ignore[misc]
    """The provider's redirect back (the redirect URI to register: /oidc/callback/)."""

    get_settings = staticmethod(oidc_setting)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        from django.http import Http404

        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        return super().dispatch(request, *args, **kwargs)

    def login_failure(self) -> Any:
        from django.contrib import messages

        messages.error(self.request, "Single sign-on did not log you in. Try again, or ask an administrator.")
        return super().login_failure()
