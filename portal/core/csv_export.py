"""CSV downloads of list pages: the page's own FilterSet narrows the page's own (already scoped)
queryset, and the rows are streamed from a server-side cursor, so a 10,000-row export never holds
every row in memory.

Cells are made safe for spreadsheets: text starting with = + - @ (or a tab or carriage return,
which some spreadsheets strip before reading a formula) is prefixed with a quote, so a name like
`=HYPERLINK(...)` is shown, never run.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 500

Column = tuple[str, Callable[[Any], Any]]


def csv_cell(value: Any) -> str:
    """One cell as text: empty for None, ISO 8601 for times, and quoted when text could be read
    as a formula."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool | int | float) or type(value).__name__ == "Decimal":
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_rows(columns: Sequence[Column], objects: Iterable[Any]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow([header for header, _ in columns])
    for obj in objects:
        yield writer.writerow([csv_cell(get(obj)) for _, get in columns])


def csv_export(
    request: HttpRequest,
    *,
    queryset: QuerySet[Any],
    filterset_class: type[Any],
    columns: Sequence[Column],
    filename: str,
) -> StreamingHttpResponse:
    """Streams `queryset` (scoped by the caller's selector), filtered as its list page filters it."""
    filterset = filterset_class(request.GET or None, queryset=queryset, request=request)
    objects = filterset.qs.iterator(chunk_size=CHUNK_SIZE)
    response = StreamingHttpResponse(csv_rows(columns, objects), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
