"""Filters of the environment list."""

from __future__ import annotations

import django_filters

from blueprints.spec import TIERS
from portal.core.lists import ListFilterSet
from portal.environments.models import Environment, EnvironmentStatus


class EnvironmentFilterSet(ListFilterSet):
    status = django_filters.ChoiceFilter(choices=EnvironmentStatus.choices, empty_label="All statuses")
    tier = django_filters.ChoiceFilter(choices=[(tier, tier) for tier in TIERS], empty_label="All tiers")
    name = django_filters.CharFilter(lookup_expr="icontains", label="Name contains")

    class Meta:
        model = Environment
        fields = ["status", "tier", "name"]
