from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.accounts.selectors import user_is_platform_admin, user_teams
from portal.audit.services import client_ip
from portal.core.permissions import can_download_evidence, holds_platform_admin, loaded_memberships
from portal.core.roles import Role
from portal.costs.selectors import teams_spend
from portal.environments.selectors import environment_list
from portal.requests.evidence import evidence_pack_build
from portal.web.health import health_report, public_report
from portal.web.home import approvals_waiting, estate_counts, requester_home

APPROVING_ROLES = (Role.APPROVER, Role.PLATFORM_ADMIN)


@require_GET
@never_cache
@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, report = health_report()
    if not _is_platform_admin(request):
        report = public_report(report)
    return JsonResponse(report, status=200 if healthy else 503)


def _is_platform_admin(request: HttpRequest) -> bool:
    """False when the database cannot say: /healthz must answer while the database is down."""
    try:
        return user_is_platform_admin(request.user)
    except DatabaseError:
        return False


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """What needs the user: approvals waiting for them first; their open requests, environments
    and failures; for platform admins, estate-wide counts. Then their teams' budgets and committed
    monthly spend (actual where known)."""
    user = request.user
    teams = teams_spend(teams=user_teams(user).order_by("name"))
    memberships = loaded_memberships(user)
    may_approve = any(m.role in APPROVING_ROLES or m.budget_approver for m in memberships)
    context: dict[str, Any] = {"teams": teams, "may_approve": may_approve, **requester_home(user)}
    if may_approve:
        context["approvals"] = approvals_waiting(user)
    if holds_platform_admin(memberships):
        context["estate"] = estate_counts(teams)
    return render(request, "web/home.html", context)


@require_GET
def environment_evidence(request: HttpRequest, pk: int) -> FileResponse:
    """The environment's evidence pack (a zip), built in a temporary file and streamed. Looked up
    within what the user may see: another team's environment is "not found", as on its page."""
    environment = get_object_or_404(environment_list(user=request.user), pk=pk)
    if not can_download_evidence(request.user, environment):
        raise PermissionDenied("Only the team's members and platform admins may download its evidence pack.")
    file = evidence_pack_build(environment=environment, actor=request.user, ip=client_ip(request))
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return FileResponse(
        file,
        as_attachment=True,
        filename=f"evidence-{environment.team.slug}-{environment.name}-{stamp}.zip",
        content_type="application/zip",
    )
