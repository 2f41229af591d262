"""Read-side queries over the audit log."""

from __future__ import annotations

from django.db.models import QuerySet

from portal.audit.chain import GENESIS_HASH, ChainReport, Link, chain_walk
from portal.audit.models import AuditChainHead, AuditEvent


def audit_event_list() -> QuerySet[AuditEvent]:
    """Every event, newest first; the audit page's FilterSet narrows it."""
    return AuditEvent.objects.all()


def audit_chain_verify() -> ChainReport:
    """Walks the whole log in id order and checks every link and the chain head."""
    head = AuditChainHead.objects.filter(pk=1).first()
    events = AuditEvent.objects.order_by("id")
    links = (
        Link(event_id=event.pk, fields=event.chain_fields(), prev_hash=event.prev_hash, hash=event.hash)
        for event in events.iterator(chunk_size=2000)
    )
    return chain_walk(
        links,
        head_event_id=head.last_event_id if head else None,
        head_hash=head.last_hash if head else GENESIS_HASH,
    )
