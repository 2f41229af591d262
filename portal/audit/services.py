"""The one way to write an audit event. Callers invoke it inside their own transaction."""

from __future__ import annotations

import json
from typing import Any

from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from portal.audit.chain import event_hash
from portal.audit.models import AuditChainHead, AuditEvent


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
    roll back together. It links the event to the chain while holding the chain head's row lock,
    which the caller's transaction keeps until it commits: audited transactions append one at a time.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside transaction.atomic()")
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    event = AuditEvent(
        actor=actor_obj,
        actor_name=actor_obj.get_username() if actor_obj else "system",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:255] if target is not None else "",
        summary=summary,
        # Stored as the field normalises it, and data as JSON gives it back, so the hash computed
        # now is the one `audit verify` recomputes from the row.
        ip_address=AuditEvent._meta.get_field("ip_address").to_python(ip),
        data=json.loads(json.dumps(data or {})),
        created_at=timezone.now(),
    )
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    event.prev_hash = head.last_hash
    event.hash = event_hash(event.chain_fields(), event.prev_hash)
    event.save(force_insert=True)
    head.last_event_id, head.last_hash = event.pk, event.hash
    head.save(update_fields=["last_event_id", "last_hash"])
    return event


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
