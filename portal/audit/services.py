"""The one way to write an audit event. Callers invoke it inside their own transaction."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.http import HttpRequest

from portal.audit.models import AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor: Any,
    action: str,
    summary: str,
    target: models.Model | None = None,
    ip: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Appends an audit event. `actor` may be None for system actions (beat jobs, the reaper).

    It refuses to run outside a transaction, so that an audited change and its event commit or
    roll back together.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside transaction.atomic()")
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=actor_obj,
        actor_name=actor_obj.get_username() if actor_obj else "system",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:255] if target is not None else "",
        summary=summary,
        ip_address=ip,
        data=data or {},
    )


def audit_encryption_keys_rotated(
    sender: Any, *, key: str, reencrypted: dict[str, int], **kwargs: Any
) -> None:
    """Receiver of portal.core.signals.encryption_keys_rotated (connected in AuditConfig.ready)."""
    audit_record(
        actor=None,
        action="encryption_keys.rotated",
        summary=f"Re-encrypted {sum(reencrypted.values())} stored secrets with key {key}.",
        data={"key": key, "reencrypted": reencrypted},
    )
