"""Read-side queries over the audit log."""

from __future__ import annotations

from django.db.models import QuerySet

from portal.audit.models import AuditEvent


def audit_event_list() -> QuerySet[AuditEvent]:
    """Every event, newest first; the audit page's FilterSet narrows it."""
    return AuditEvent.objects.all()
