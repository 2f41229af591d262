"""Filters of the audit log, shared by the audit page and its CSV export."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from portal.audit.models import AuditEvent
from portal.core.lists import ListFilterSet


def _actions() -> list[tuple[str, str]]:
    actions = AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()
    return [(action, action) for action in actions]


class AuditEventFilterSet(ListFilterSet):
    """Action, actor, target, a time window (UTC) and a text search; every filter is optional."""

    action = django_filters.ChoiceFilter(choices=_actions, empty_label="All actions")
    actor = django_filters.CharFilter(field_name="actor_name", lookup_expr="iexact", label="Actor")
    target = django_filters.CharFilter(method="filter_target", label="Target (app.model:id or name)")
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
        fields = ["action", "actor", "target", "since", "until", "q"]

    def filter_target(self, queryset: QuerySet[AuditEvent], name: str, value: str) -> QuerySet[AuditEvent]:
        """`app.model:id` (as in the export's target columns) or text in the target's name."""
        target_type, sep, target_id = value.partition(":")
        if sep and "." in target_type:
            return queryset.filter(target_type=target_type.lower(), target_id=target_id)
        return queryset.filter(Q(target_repr__icontains=value) | Q(target_type__iexact=value))

    def filter_text(self, queryset: QuerySet[AuditEvent], name: str, value: str) -> QuerySet[AuditEvent]:
        return queryset.filter(Q(summary__icontains=value) | Q(target_repr__icontains=value))
