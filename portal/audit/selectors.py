"""Read-side queries over the audit log."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from portal.audit.models import AuditEvent


def audit_event_list(*, action: str = "", actor: str = "", q: str = "") -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.all()
    if action:
        events = events.filter(action=action)
    if actor:
        events = events.filter(actor_name=actor)
    if q:
        events = events.filter(Q(summary__icontains=q) | Q(target_repr__icontains=q))
    return events
