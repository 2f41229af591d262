from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.views.decorators.http import require_GET

from portal.audit.filtersets import AuditEventFilterSet
from portal.audit.models import AuditEvent
from portal.audit.selectors import audit_event_list
from portal.core.lists import list_page
from portal.core.permissions import can_view_audit, permission_required


@require_GET
@permission_required(can_view_audit, "Only platform admins may see this page.")
def audit_list(request: HttpRequest) -> HttpResponse:
    return list_page(
        request,
        queryset=audit_event_list(),
        filterset_class=AuditEventFilterSet,
        template="audit/audit_list.html",
        keyset=("-created_at", "-id"),
    )


# Leading characters that make a spreadsheet treat a cell as a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
EXPORT_COLUMNS = (
    "id",
    "created_at",
    "actor",
    "action",
    "target_type",
    "target_id",
    "target",
    "summary",
    "ip_address",
    "data",
    "prev_hash",
    "hash",
)


def _csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def _export_rows(events: QuerySet[AuditEvent]) -> Iterator[list[str]]:
    yield list(EXPORT_COLUMNS)
    for event in events.order_by("id").iterator(chunk_size=2000):
        row = [
            event.pk,
            event.created_at.isoformat(),
            event.actor_name,
            event.action,
            event.target_type,
            event.target_id,
            event.target_repr,
            event.summary,
            event.ip_address,
            json.dumps(event.data, sort_keys=True),
            event.prev_hash,
            event.hash,
        ]
        yield [_csv_cell(value) for value in row]


class _Echo:
    """A file-like object whose write returns the line, for a streaming csv.writer."""

    def write(self, value: str) -> str:
        return value


@require_GET
@permission_required(can_view_audit, "Only platform admins may see this page.")
def audit_export(request: HttpRequest) -> HttpResponse:
    """The audit log as CSV, with the same filters as the page, oldest first, with each event's hashes."""
    filterset = AuditEventFilterSet(request.GET, queryset=AuditEvent.objects.all())
    if not filterset.is_valid():
        return HttpResponseBadRequest(
            "Invalid filter: "
            + "; ".join(f"{name}: {' '.join(errs)}" for name, errs in filterset.errors.items()),
            content_type="text/plain",
        )
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in _export_rows(filterset.qs)), content_type="text/csv"
    )
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response
