"""Filters of the request list and of the approval queue."""

from __future__ import annotations

import django_filters

from blueprints.spec import TIERS
from portal.core.lists import ListFilterSet
from portal.requests.models import EnvironmentRequest, RequestKind, RequestState
from portal.requests.states import CLOSED_STATES

TIER_CHOICES = [(tier, tier) for tier in TIERS]


class RequestFilterSet(ListFilterSet):
    state = django_filters.ChoiceFilter(choices=RequestState.choices, empty_label="All states")
    kind = django_filters.ChoiceFilter(choices=RequestKind.choices, empty_label="All kinds")
    tier = django_filters.ChoiceFilter(choices=TIER_CHOICES, empty_label="All tiers")
    open = django_filters.ChoiceFilter(
        choices=[("1", "Still in progress")], empty_label="Open or closed", method="filter_open", label="Open"
    )
    mine = django_filters.ChoiceFilter(
        choices=[("1", "Asked by me")], empty_label="Anyone's", method="filter_mine", label="Requester"
    )

    class Meta:
        model = EnvironmentRequest
        fields = ["state", "kind", "tier", "open", "mine"]

    def filter_open(self, queryset, name, value):
        return queryset.exclude(state__in=CLOSED_STATES)

    def filter_mine(self, queryset, name, value):
        return queryset.filter(requester_id=getattr(getattr(self.request, "user", None), "pk", None))


class ApprovalFilterSet(ListFilterSet):
    kind = django_filters.ChoiceFilter(choices=RequestKind.choices, empty_label="All kinds")
    tier = django_filters.ChoiceFilter(choices=TIER_CHOICES, empty_label="All tiers")
    over_budget = django_filters.ChoiceFilter(
        choices=[("yes", "Over budget"), ("no", "Within budget")],
        empty_label="Any budget",
        method="filter_over_budget",
        label="Budget",
    )

    class Meta:
        model = EnvironmentRequest
        fields = ["kind", "tier", "over_budget"]

    def filter_over_budget(self, queryset, name, value):
        return queryset.filter(over_budget=value == "yes")
