"""The audit log (platform admins) and who the caller is."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Query, Router

from portal.accounts.selectors import user_memberships
from portal.api.routes.env_requests import filtered
from portal.api.schemas import ERRORS, AuditPage, MeOut, PageParams, page
from portal.audit.filtersets import AuditEventFilterSet
from portal.audit.models import AuditEvent
from portal.audit.selectors import audit_event_list
from portal.core.permissions import can_view_audit, is_platform_admin

router = Router()


def audit_event_out(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "created_at": event.created_at,
        "actor": event.actor_name,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target": event.target_repr,
        "summary": event.summary,
        "ip_address": event.ip_address,
        "data": event.data or {},
    }


@router.get("/audit", response={200: AuditPage, **ERRORS}, url_name="audit-list", tags=["audit"])
def audit_events(
    request: HttpRequest,
    params: Query[PageParams],
    action: str = "",
    actor: str = "",
    target: str = "",
    since: str = "",
    until: str = "",
    q: str = "",
) -> Any:
    """The audit log, newest first, with the audit page's filters (platform admins only)."""
    if not can_view_audit(request.user):
        raise PermissionDenied("Only platform admins may read the audit log.")
    return page(filtered(AuditEventFilterSet, request, audit_event_list()), params, audit_event_out)


@router.get("/me", response={200: MeOut, **ERRORS}, url_name="me", tags=["account"])
def me(request: HttpRequest) -> Any:
    """The caller: username, teams and roles, and the token in use (if any)."""
    token = getattr(request, "api_token", None)
    return {
        "username": request.user.get_username(),
        "name": request.user.get_full_name(),
        "platform_admin": is_platform_admin(request.user),
        "teams": [
            {"team": m.team.name, "role": m.role, "budget_approver": m.budget_approver}
            for m in user_memberships(request.user)
        ],
        "token": {"name": token.name, "read_only": token.read_only, "expires_at": token.expires_at}
        if token
        else None,
    }
