"""Personal access tokens: create, revoke, and authenticate a presented token.

A token is `pat_<prefix><secret>`. Only the SHA-256 of the whole token is stored; the prefix finds
the row. The secret is returned once, by `token_create`, and never again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from portal.api.models import PersonalAccessToken
from portal.audit.services import audit_record
from portal.core.validators import validate_text

TOKEN_MARK = "pat_"  # noqa: S105 (a marker, not a secret)
PREFIX_LENGTH = 8
# A token's use is audited at most once a minute: `portalctl runs logs --follow` polls every
# second, and an event per call would bury every other event and serialize every API call on the
# audit chain's head lock. The first use, and the first after each quiet minute, are recorded.
USE_AUDIT_INTERVAL = timedelta(minutes=1)
MAX_TOKENS_PER_USER = 50


class TokenInvalid(Exception):
    """The presented token is unknown, revoked or expired (the message says which)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_create(
    *,
    user: Any,
    name: str,
    expires_at: datetime | None,
    read_only: bool = False,
    ip: str | None = None,
) -> tuple[PersonalAccessToken, str]:
    """Creates a token and returns it with its secret, which is stored only as a hash."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the token a name."})
    try:
        validate_text(name, multiline=False)
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from exc
    if len(name) > 100:
        raise ValidationError({"name": "At most 100 characters."})
    if PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_TOKENS_PER_USER:
        raise ValidationError({"name": f"Revoke a token first: at most {MAX_TOKENS_PER_USER} are live."})
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    raw = f"{TOKEN_MARK}{prefix}{secrets.token_urlsafe(32)}"
    token = PersonalAccessToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        secret_sha256=token_hash(raw),
        expires_at=expires_at,
        read_only=read_only,
    )
    audit_record(
        actor=user,
        action="api_token.created",
        target=token,
        ip=ip,
        summary=f"{user} created {'read-only' if read_only else 'read-write'} API token {token.name!r}, "
        + (f"expiring {expires_at:%Y-%m-%d %H:%M} UTC." if expires_at else "without expiry."),
        data={"prefix": prefix, "read_only": read_only},
    )
    return token, raw


@transaction.atomic
def token_revoke(*, token: PersonalAccessToken, actor: Any, ip: str | None = None) -> None:
    """Revokes a token at once; the next call with it is refused (401)."""
    updated = PersonalAccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if updated:
        audit_record(
            actor=actor,
            action="api_token.revoked",
            target=token,
            ip=ip,
            summary=f"{actor} revoked API token {token.name!r} of {token.user}.",
            data={"prefix": token.prefix},
        )


def token_authenticate(*, raw: str, ip: str | None = None) -> PersonalAccessToken:
    """The active token `raw` stands for; its use is recorded (see USE_AUDIT_INTERVAL)."""
    raw = raw.strip()
    if not raw.startswith(TOKEN_MARK) or len(raw) <= len(TOKEN_MARK) + PREFIX_LENGTH:
        raise TokenInvalid("Malformed token: portal tokens start with 'pat_'.")
    prefix = raw[len(TOKEN_MARK) : len(TOKEN_MARK) + PREFIX_LENGTH]
    token = PersonalAccessToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.secret_sha256, token_hash(raw)):
        raise TokenInvalid("Unknown token.")
    if token.revoked_at is not None:
        raise TokenInvalid("This token was revoked.")
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenInvalid("This token has expired; create a new one on your profile page.")
    if not token.user.is_active:
        raise TokenInvalid("The token's user is inactive.")
    _token_used(token, now=now, ip=ip)
    return token


@transaction.atomic
def _token_used(token: PersonalAccessToken, *, now: datetime, ip: str | None) -> None:
    # One conditional UPDATE decides which of concurrent calls records the use: only the one that
    # moves last_used_at past the interval (or brings a new IP address) writes the audit event.
    quiet = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - USE_AUDIT_INTERVAL)
    if ip:  # a new address is recorded at once, however recent the last use
        quiet |= Q(last_used_ip__isnull=True) | ~Q(last_used_ip=ip)
    updated = PersonalAccessToken.objects.filter(quiet, pk=token.pk).update(last_used_at=now, last_used_ip=ip)
    if updated:
        audit_record(
            actor=token.user,
            action="api_token.used",
            target=token,
            ip=ip,
            summary=f"{token.user} used API token {token.name!r} from {ip or 'an unknown address'}.",
            data={"token": token.name, "prefix": token.prefix},
        )
