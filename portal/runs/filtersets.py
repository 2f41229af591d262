"""Filters of the run list and of the machine image list."""

from __future__ import annotations

import django_filters

from portal.catalog.models import MachineImage
from portal.core.lists import ListFilterSet
from portal.runs.models import Run, RunKind, RunStatus
from portal.runs.selectors import stuck_runs_q


class RunFilterSet(ListFilterSet):
    kind = django_filters.ChoiceFilter(choices=RunKind.choices, empty_label="All kinds")
    status = django_filters.ChoiceFilter(choices=RunStatus.choices, empty_label="All statuses")
    stuck = django_filters.ChoiceFilter(
        choices=[("1", "Stuck")], empty_label="Stuck or not", method="filter_stuck", label="Stuck"
    )
    mine = django_filters.ChoiceFilter(
        choices=[("1", "Started by me")], empty_label="Anyone's", method="filter_mine", label="Started by"
    )

    class Meta:
        model = Run
        fields = ["kind", "status", "stuck", "mine"]

    def filter_stuck(self, queryset, name, value):
        return queryset.filter(stuck_runs_q())

    def filter_mine(self, queryset, name, value):
        return queryset.filter(created_by_id=getattr(getattr(self.request, "user", None), "pk", None))


class ImageFilterSet(ListFilterSet):
    blueprint = django_filters.CharFilter(field_name="blueprint_version__blueprint__slug", label="Blueprint")

    class Meta:
        model = MachineImage
        fields = ["blueprint"]
