from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.accounts.selectors import user_is_platform_admin, user_teams
from portal.costs.selectors import teams_spend
from portal.web.health import health_report, public_report


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
    """The user's teams with their budget and committed monthly spend (actual where known)."""
    teams = teams_spend(teams=user_teams(request.user).order_by("name"))
    return render(request, "web/home.html", {"teams": teams})
