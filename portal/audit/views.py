from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.audit.models import AuditEvent
from portal.audit.selectors import audit_event_list
from portal.core.permissions import can_view_audit, permission_required


@require_GET
@permission_required(can_view_audit, "Only platform admins may see this page.")
def audit_list(request: HttpRequest) -> HttpResponse:
    filters = {key: request.GET.get(key, "").strip() for key in ("action", "actor", "q")}
    page = Paginator(audit_event_list(**filters), 50).get_page(request.GET.get("page"))
    actions = AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()
    return render(
        request,
        "audit/audit_list.html",
        {"page": page, "filters": filters, "actions": list(actions)},
    )
