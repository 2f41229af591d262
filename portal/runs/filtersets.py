"""Filters of the run list and of the machine image list."""

from __future__ import annotations

import django_filters

from portal.catalog.models import MachineImage
from portal.core.lists import ListFilterSet
from portal.runs.models import Run, RunKind, RunStatus


class RunFilterSet(ListFilterSet):
    kind = django_filters.ChoiceFilter(choices=RunKind.choices, empty_label="All kinds")
    status = django_filters.ChoiceFilter(choices=RunStatus.choices, empty_label="All statuses")

    class Meta:
        model = Run
        fields = ["kind", "status"]


class ImageFilterSet(ListFilterSet):
    blueprint = django_filters.CharFilter(field_name="blueprint_version__blueprint__slug", label="Blueprint")

    class Meta:
        model = MachineImage
        fields = ["blueprint"]
