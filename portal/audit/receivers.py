"""Audit events for things other libraries do: a login lockout by django-axes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from portal.audit.services import audit_record


def audit_login_locked_out(
    sender: Any, request: HttpRequest, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    """Records the lockout once, when the failure that reaches the limit locks the pair out;
    later refused attempts during the lockout are not logged again."""
    failures = getattr(request, "axes_failures_since_start", None)
    if failures != settings.AXES_FAILURE_LIMIT:
        return
    with transaction.atomic():
        audit_record(
            actor=None,
            action="login.locked_out",
            summary=f"Login as {username!r} from {ip_address or 'an unknown address'} locked after "
            f"{failures} failed attempts",
            ip=ip_address,
            data={"username": username or "", "failures": failures},
        )
