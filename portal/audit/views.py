from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from portal.audit.filtersets import AuditEventFilterSet
from portal.audit.selectors import audit_event_list
from portal.core.lists import list_page
from portal.core.permissions import platform_admin_required


@require_GET
@platform_admin_required
def audit_list(request: HttpRequest) -> HttpResponse:
    return list_page(
        request,
        queryset=audit_event_list(),
        filterset_class=AuditEventFilterSet,
        template="audit/audit_list.html",
        keyset=("-created_at", "-id"),
    )
