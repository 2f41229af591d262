"""One way to show a list page: a FilterSet validates and applies the filters, a `per_page`
parameter sizes the page, and the page template extends `list.html` (filters, table, pagination).

Querysets come from each app's selectors, already scoped to what the user may see; this module
only narrows and slices them.

Long lists that grow without bound (runs, requests, the audit log) page by keyset: give
`list_page` the list's `keyset`, an ordering that ends in a unique field, such as
("-created_at", "-id"). Their Next and Previous links carry a `cursor` (the sort values of the
last or first row shown, and the page number for display), and a page is fetched with
`WHERE (created_at, id) < cursor ORDER BY ... LIMIT per_page + 1`: an index walk from the cursor,
as fast on page 500 as on page 1, with no row skipped or repeated when rows are added meanwhile.
Other lists page by number (`page`); their sorts have indexes and their offsets stay small.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# Large columns no list shows; a list defers those of its rows (and of their joined rows), so a page
# of 100 rows does not drag megabytes of plan JSON, estimates and pinned source files along.
BLUEPRINT_VERSION_BLOBS = ("blueprint_version__metadata", "blueprint_version__source_files")
# The largest (estimates, plan files and plan JSON) are in one-to-one tables of their own
# (EnvironmentEstimate, RequestEstimates, RunPlanData), which lists never join.
ENVIRONMENT_BLOBS = ("inputs", "outputs", "drift_changes", "secret_inputs", "state_password")
REQUEST_BLOBS = ("inputs", "secret_inputs", "policy_decision")
RUN_BLOBS = ("plan_resources",)

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
            if isinstance(field.widget, forms.TextInput | forms.NumberInput):
                field.widget.attrs.setdefault("placeholder", str(field.label or name))


def list_page(
    request: HttpRequest,
    *,
    queryset: QuerySet[Any],
    filterset_class: type[ListFilterSet],
    template: str,
    context: dict[str, Any] | None = None,
    keyset: tuple[str, ...] = (),
    count: int | None = None,
) -> HttpResponse:
    """Filters `queryset` with the request's GET parameters and renders one page of it: by
    keyset when `keyset` (an ordering ending in a unique field) is given, else by page number.
    `count`: the unfiltered queryset's row count when the caller has it already (the approval
    queue counts itself for its summary); a keyset page uses it when no filter is set."""
    filterset = filterset_class(request.GET or None, queryset=queryset, request=request)
    if keyset:
        rows = filterset.qs  # validates the form first
        filtered = filterset.is_bound and any(  # 0 and False are filter values too
            value not in (None, "", [], ()) for value in filterset.form.cleaned_data.values()
        )
        page: Page | KeysetPage = keyset_paginate(request, rows, keyset, count=None if filtered else count)
    else:
        page = paginate(request, filterset.qs)
    return render(
        request,
        template,
        {"filterset": filterset, "page": page, "per_page_choices": PER_PAGE_CHOICES, **(context or {})},
    )


def paginate(request: HttpRequest, queryset: QuerySet[Any]) -> Page:
    """The requested page; a page number out of range or not a number gives the nearest page.

    The page's rows are found by primary key first, and only those rows are then read with their
    joins (`WHERE id IN (SELECT id ... ORDER BY ... LIMIT n OFFSET m)`): the sort and the offset
    walk an index instead of joining and reading every skipped row. Same rows, same order."""
    page = Paginator(queryset.values_list("pk", flat=True), per_page(request.GET.get("per_page"))).get_page(
        request.GET.get("page")
    )
    keys = list(page.object_list)  # a list, not a subquery: see _rows
    page.object_list = _by_keys(queryset, keys) if keys else queryset.none()
    return page


@dataclass
class KeysetPaginator:
    """What list.html shows of the whole list: the page size, the row count and the page count."""

    per_page: int
    count: int

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.count / self.per_page))


@dataclass
class KeysetPage(Sequence[Any]):
    """One page of a keyset-paginated list; quacks like django.core.paginator.Page for list.html."""

    object_list: list[Any]
    number: int
    paginator: KeysetPaginator
    next_cursor: str | None = None
    previous_cursor: str | None = None  # None on page 2: its previous page is the first
    is_keyset = True  # list.html draws cursor links

    def __getitem__(self, index: Any) -> Any:
        return self.object_list[index]

    def __len__(self) -> int:
        return len(self.object_list)

    def has_next(self) -> bool:
        return self.next_cursor is not None

    def has_previous(self) -> bool:
        return self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def _cursor_encode(direction: str, number: int, values: list[Any]) -> str:
    raw = json.dumps([direction, number, values], separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_decode(token: str, keyset: tuple[str, ...], model: Any) -> tuple[str, int, list[Any]] | None:
    """(direction, page number, typed sort values) of a cursor; None for anything malformed."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        direction, number, values = json.loads(raw)
        if direction not in ("next", "prev") or not isinstance(number, int) or number < 1:
            return None
        if not isinstance(values, list) or len(values) != len(keyset):
            return None
        typed = []
        for name, value in zip(keyset, values, strict=True):
            if value is None:
                return None
            typed.append(model._meta.get_field(name.lstrip("-")).to_python(value))
        return direction, number, typed
    except (ValueError, TypeError, binascii.Error, ValidationError, UnicodeDecodeError):
        return None


def _after(keyset: tuple[str, ...], values: list[Any], *, forward: bool) -> Q:
    """Rows strictly after `values` in the `keyset` ordering (before them when not forward):
    (a > x) OR (a = x AND b > y) OR ..., each comparison turned by the field's direction.

    The whole is ANDed with `a >= x`, which it implies: databases (SQLite among them) seek an
    index on that plain range, where the OR alone makes them scan the index from its start."""
    condition = Q(pk__in=[])
    for i, key in enumerate(keyset):
        name = key.lstrip("-")
        step = Q(**{f"{name}__{'gt' if _ascending(key, forward) else 'lt'}": values[i]})
        for earlier, value in zip(keyset[:i], values[:i], strict=False):
            step &= Q(**{earlier.lstrip("-"): value})
        condition |= step
    leading = keyset[0].lstrip("-")
    return Q(**{f"{leading}__{'gte' if _ascending(keyset[0], forward) else 'lte'}": values[0]}) & condition


def _ascending(key: str, forward: bool) -> bool:
    """Whether the rows after a cursor have greater values of `key` (descending and forward:
    smaller values come next)."""
    return key.startswith("-") != forward


def _reverse(keyset: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(key[1:] if key.startswith("-") else f"-{key}" for key in keyset)


def _rows(queryset: QuerySet[Any], where: Q, ordering: tuple[str, ...], limit: int) -> list[Any]:
    """The first `limit` rows of `queryset` matching `where` in `ordering`: their primary keys
    first (an index walk), then those rows alone with their joins. The keys are read as a list
    of their own: nested as a subquery, the planner may apply the scope's filter again to the
    whole table before it narrows to the keys (PostgreSQL did, at 100,000 runs)."""
    keys = list(queryset.filter(where).order_by(*ordering).values_list("pk", flat=True)[:limit])
    return list(_by_keys(queryset, keys).order_by(*ordering)) if keys else []


def _by_keys(queryset: QuerySet[Any], keys: list[Any]) -> QuerySet[Any]:
    """The rows of `queryset` with these primary keys, which were chosen under its filters.

    Without annotations (which may depend on the filters' joins), the rows are read by key alone,
    with the same joins, deferred columns and prefetches but not the filters again: SQLite
    otherwise walks a scope's OR (the runs a requester sees: their teams' environments, or none)
    across every matching row instead of reading 100 rows by key."""
    if queryset.query.annotations or queryset.query.extra:
        return queryset.filter(pk__in=keys)
    rows = queryset.model._default_manager.filter(pk__in=keys)
    rows.query.select_related = queryset.query.select_related
    rows.query.deferred_loading = queryset.query.deferred_loading
    rows.query.order_by, rows.query.default_ordering = (
        queryset.query.order_by,
        queryset.query.default_ordering,
    )
    return rows.prefetch_related(*queryset._prefetch_related_lookups)


def keyset_paginate(
    request: HttpRequest, queryset: QuerySet[Any], keyset: tuple[str, ...], *, count: int | None = None
) -> KeysetPage:
    """The page the request's `cursor` points at (the first page without one, or with a
    malformed one): `per_page` rows after (or before) the cursor's sort values, in `keyset` order.
    `count`, when known, is the queryset's row count (else it is counted)."""
    size = per_page(request.GET.get("per_page"))
    if count is None:
        count = queryset.count()
    parsed = _cursor_decode(request.GET.get("cursor", ""), keyset, queryset.model)
    direction, number, values = parsed if parsed else ("next", 1, [])
    if values and direction == "prev":
        rows = _rows(queryset, _after(keyset, values, forward=False), _reverse(keyset), size + 1)
        if len(rows) <= size:  # reached the start (rows were added before it meanwhile): the first page
            number, values, direction = 1, [], "next"
        else:
            rows = rows[:size][::-1]
            number = max(2, number)
    if not values:
        number = 1
    if direction == "next":
        rows = _rows(queryset, _after(keyset, values, forward=True) if values else Q(), keyset, size + 1)
        has_next = len(rows) > size
        rows = rows[:size]
    else:
        has_next = True

    def key_of(obj: Any) -> list[Any]:
        return [getattr(obj, key.lstrip("-")) for key in keyset]

    return KeysetPage(
        object_list=rows,
        number=number,
        paginator=KeysetPaginator(per_page=size, count=count),
        next_cursor=_cursor_encode("next", number + 1, key_of(rows[-1])) if has_next and rows else None,
        previous_cursor=_cursor_encode("prev", number - 1, key_of(rows[0])) if number > 2 and rows else None,
    )
