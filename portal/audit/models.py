from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from portal.audit.chain import CONTENT_FIELDS, GENESIS_HASH


class AuditEvent(models.Model):
    """One state change: who did what to which object, from where and when.

    Append-only and tamper-evident: `hash` is the SHA-256 of the event's content and of the previous
    event's hash (see portal/audit/chain.py), and database triggers refuse UPDATE and DELETE.
    """

    # PROTECT: a user who appears in the log cannot be deleted (the triggers would refuse the
    # SET NULL or CASCADE anyway); deactivate the account instead.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Kept as text too, so the record survives renames and shows "system" for automated actions.
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=80, db_index=True)
    target_type = models.CharField(max_length=80, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="")
    target_repr = models.CharField(max_length=255, blank=True, default="")
    summary = models.TextField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    # Set in Python before the insert, so that the hash covers it.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    prev_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            models.Index(fields=["-created_at", "-id"], name="audit_created_idx"),
            models.Index(fields=["action", "-created_at", "-id"], name="audit_action_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit events are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only and cannot be deleted.")

    def chain_fields(self) -> dict[str, object]:
        """The content the hash covers (see portal/audit/chain.py)."""
        return {name: getattr(self, name) for name in CONTENT_FIELDS}


class AuditChainHead(models.Model):
    """The single row (pk=1) that names the last event of the chain.

    Appends lock it (`select_for_update`), so concurrent writers take turns and never fork the
    chain; `audit verify` compares it with the log's last event to catch rows dropped at the end.
    """

    last_event_id = models.BigIntegerField(null=True, blank=True)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"audit chain head: event {self.last_event_id}"
