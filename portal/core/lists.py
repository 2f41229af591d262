"""One way to show a list page: a FilterSet validates and applies the filters, a `per_page`
parameter sizes the page, and the page template extends `list.html` (filters, table, pagination).

Querysets come from each app's selectors, already scoped to what the user may see; this module
only narrows and slices them.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# Large columns no list shows; a list defers those of its rows (and of their joined rows), so a page
# of 100 rows does not drag megabytes of plan JSON, estimates and pinned source files along.
BLUEPRINT_VERSION_BLOBS = ("blueprint_version__metadata", "blueprint_version__source_files")
ENVIRONMENT_BLOBS = ("inputs", "outputs", "cost_estimate", "drift_changes", "secret_inputs", "state_password")
REQUEST_BLOBS = ("inputs", "secret_inputs", "estimate", "plan_estimate", "policy_decision")
RUN_BLOBS = ("plan_json", "plan_file", "plan_resources")

PER_PAGE_CHOICES = (10, 25, 50, 100)
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100


def per_page(raw: str | None) -> int:
    """The page size asked for: one of PER_PAGE_CHOICES, capped at MAX_PER_PAGE; anything else
    (junk, zero, negative, an odd size) falls back to the default."""
    try:
        value = int(raw or "")
    except ValueError:
        return DEFAULT_PER_PAGE
    if value > MAX_PER_PAGE:
        return MAX_PER_PAGE
    return value if value in PER_PAGE_CHOICES else DEFAULT_PER_PAGE


class ListFilterSet(django_filters.FilterSet):
    """Base of every list's FilterSet: each filter is optional, labelled for screen readers
    (the filter bar has no visible labels), and an invalid value is reported and ignored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.form.fields.items():
            field.required = False
            field.widget.attrs.setdefault("aria-label", str(field.label or name))
            if isinstance(field.widget, forms.TextInput):
                field.widget.attrs.setdefault("placeholder", str(field.label or name))


def list_page(
    request: HttpRequest,
    *,
    queryset: QuerySet[Any],
    filterset_class: type[ListFilterSet],
    template: str,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """Filters `queryset` with the request's GET parameters and renders one page of it."""
    filterset = filterset_class(request.GET or None, queryset=queryset, request=request)
    page = paginate(request, filterset.qs)
    return render(
        request,
        template,
        {"filterset": filterset, "page": page, "per_page_choices": PER_PAGE_CHOICES, **(context or {})},
    )


def paginate(request: HttpRequest, queryset: QuerySet[Any]) -> Page:
    """The requested page; a page number out of range or not a number gives the nearest page."""
    return Paginator(queryset, per_page(request.GET.get("per_page"))).get_page(request.GET.get("page"))
