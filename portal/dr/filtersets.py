"""Filters of the estate DR page (and its CSV export)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils import timezone

from blueprints.spec import TIERS
from portal.accounts.models import Team
from portal.catalog.models import Blueprint
from portal.core.lists import ListFilterSet
from portal.dr.models import DrillStatus
from portal.environments.models import Environment

DR_STATES = [
    ("overdue", "Overdue"),
    ("failing", "Last drill failed"),
    ("passing", "Last drill passed"),
    ("never", "Never drilled"),
]


class EstateDrFilterSet(ListFilterSet):
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all(), empty_label="All teams")
    blueprint = django_filters.ModelChoiceFilter(
        field_name="blueprint_version__blueprint",
        queryset=Blueprint.objects.only("pk", "slug", "title"),
        to_field_name="slug",
        empty_label="All blueprints",
    )
    tier = django_filters.ChoiceFilter(choices=[(tier, tier) for tier in TIERS], empty_label="All tiers")
    dr = django_filters.ChoiceFilter(
        choices=DR_STATES, empty_label="Any DR status", method="filter_dr", label="DR status"
    )

    class Meta:
        model = Environment
        fields = ["team", "blueprint", "tier", "dr"]

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if self.request is not None:  # offer only the teams the user may see
            from portal.accounts.selectors import user_teams

            self.filters["team"].queryset = user_teams(self.request.user)
            self.form.fields["team"].queryset = user_teams(self.request.user)

    def filter_dr(self, queryset: QuerySet[Environment], name: str, value: str) -> QuerySet[Environment]:
        if value == "overdue":
            return queryset.filter(drill_schedule__overdue_at__lt=timezone.now())
        if value == "failing":
            return queryset.filter(
                drill_schedule__last_drill__status__in=[DrillStatus.FAILED, DrillStatus.ERROR]
            )
        if value == "passing":
            return queryset.filter(drill_schedule__last_drill__status=DrillStatus.PASSED)
        return queryset.filter(drill_schedule__last_drill__isnull=True)
