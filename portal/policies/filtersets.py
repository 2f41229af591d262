"""Filters of the policy list."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from portal.core.lists import ListFilterSet
from portal.policies.models import PolicyOrigin, PolicySet, Severity


class PolicySetFilterSet(ListFilterSet):
    severity = django_filters.ChoiceFilter(choices=Severity.choices, empty_label="All severities")
    enabled = django_filters.BooleanFilter(label="Enabled")
    origin = django_filters.ChoiceFilter(choices=PolicyOrigin.choices, empty_label="All origins")
    q = django_filters.CharFilter(method="filter_text", label="Search name or description")

    class Meta:
        model = PolicySet
        fields = ["severity", "enabled", "origin", "q"]

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))
