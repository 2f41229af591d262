"""Filters of the audit log."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from portal.audit.models import AuditEvent
from portal.core.lists import ListFilterSet


def _actions() -> list[tuple[str, str]]:
    actions = AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()
    return [(action, action) for action in actions]


class AuditEventFilterSet(ListFilterSet):
    action = django_filters.ChoiceFilter(choices=_actions, empty_label="All actions")
    actor = django_filters.CharFilter(field_name="actor_name", label="Actor")
    q = django_filters.CharFilter(method="filter_text", label="Search summary or target")

    class Meta:
        model = AuditEvent
        fields = ["action", "actor", "q"]

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(summary__icontains=value) | Q(target_repr__icontains=value))
