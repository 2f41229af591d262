"""Filters over the audit log, shared by the audit page and its CSV export."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from portal.audit.models import AuditEvent


class AuditEventFilterSet(django_filters.FilterSet):
    """Actor, action, target and a time window; every filter is optional."""

    actor = django_filters.CharFilter(field_name="actor_name", lookup_expr="iexact", label="Actor")
    action = django_filters.CharFilter(field_name="action", label="Action")
    target = django_filters.CharFilter(method="filter_target", label="Target")
    since = django_filters.IsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        label="From (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    until = django_filters.IsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="lt",
        label="Until (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    q = django_filters.CharFilter(method="filter_text", label="Search summary or target")

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    def filter_target(self, queryset: QuerySet[AuditEvent], name: str, value: str) -> QuerySet[AuditEvent]:
        """`app.model:id` (as in the export's target columns) or text in the target's name."""
        target_type, sep, target_id = value.partition(":")
        if sep and "." in target_type:
            return queryset.filter(target_type=target_type.lower(), target_id=target_id)
        return queryset.filter(Q(target_repr__icontains=value) | Q(target_type__iexact=value))

    def filter_text(self, queryset: QuerySet[AuditEvent], name: str, value: str) -> QuerySet[AuditEvent]:
        return queryset.filter(Q(summary__icontains=value) | Q(target_repr__icontains=value))
