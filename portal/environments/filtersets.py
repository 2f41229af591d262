"""Filters of the environment list (the home pages link to it with these filters set)."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.utils import timezone

from blueprints.spec import TIERS
from portal.core.lists import ListFilterSet
from portal.environments.models import DriftStatus, Environment, EnvironmentStatus
from portal.environments.selectors import STALE_LOCK_AGE, with_upgrade_flag

YES = [("1", "Yes")]


class EnvironmentFilterSet(ListFilterSet):
    status = django_filters.ChoiceFilter(choices=EnvironmentStatus.choices, empty_label="All statuses")
    tier = django_filters.ChoiceFilter(choices=[(tier, tier) for tier in TIERS], empty_label="All tiers")
    name = django_filters.CharFilter(lookup_expr="icontains", label="Name contains")
    drift = django_filters.ChoiceFilter(
        field_name="drift_status", choices=DriftStatus.choices, empty_label="Any drift", label="Drift"
    )
    expiring = django_filters.NumberFilter(
        method="filter_expiring", label="Expiring within (days)", min_value=0, max_value=3650
    )
    lock = django_filters.ChoiceFilter(
        choices=[("locked", "Locked"), ("stale", "Locked over an hour")],
        empty_label="Any lock",
        method="filter_lock",
        label="Lock",
    )
    upgrade = django_filters.ChoiceFilter(
        choices=[("1", "Upgrade available")],
        empty_label="Any version",
        method="filter_upgrade",
        label="Upgrade",
    )
    mine = django_filters.ChoiceFilter(
        choices=[("1", "Owned by me")], empty_label="Any owner", method="filter_mine", label="Owner"
    )

    class Meta:
        model = Environment
        fields = ["status", "tier", "name", "drift", "expiring", "lock", "upgrade", "mine"]

    def filter_expiring(self, queryset, name, value):
        """Live environments whose expiry falls within `value` days (overdue ones included)."""
        return queryset.exclude(status=EnvironmentStatus.DESTROYED).filter(
            expires_at__lte=timezone.now() + timedelta(days=float(value))
        )

    def filter_lock(self, queryset, name, value):
        if value == "stale":
            return queryset.filter(state_lock__created_at__lt=timezone.now() - STALE_LOCK_AGE)
        return queryset.filter(state_lock__isnull=False)

    def filter_upgrade(self, queryset, name, value):
        if "upgrade_available" not in queryset.query.annotations:
            queryset = with_upgrade_flag(queryset)
        return queryset.filter(upgrade_available=True)

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        return queryset.filter(owner_id=getattr(user, "pk", None))
