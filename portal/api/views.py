"""The personal access token page (/profile/tokens/): create (the token is shown once) and revoke."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from portal.api.errors import error_body
from portal.api.forms import TokenForm
from portal.api.models import PersonalAccessToken
from portal.api.services import token_create, token_revoke
from portal.audit.services import client_ip


def _page(request: HttpRequest, form: TokenForm, *, secret: str = "", status: int = 200) -> HttpResponse:
    tokens = PersonalAccessToken.objects.filter(user=request.user)
    context = {"form": form, "tokens": tokens, "secret": secret, "api_base": request.build_absolute_uri("/")}
    return render(request, "api/token_list.html", context, status=status)


@never_cache  # the page that shows a new token's secret must not be stored by any cache
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """Your tokens; a POST creates one and shows its secret on this answer only."""
    if request.method != "POST":
        return _page(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        _token, secret = token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            expires_at=timezone.now() + timedelta(days=form.cleaned_data["expires_in_days"]),
            read_only=form.cleaned_data["read_only"],
            ip=client_ip(request),
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
        return _page(request, form, status=400)
    return _page(request, TokenForm(), secret=secret)


@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Revokes one of your own tokens (another user's is not found)."""
    token = get_object_or_404(PersonalAccessToken, pk=pk, user=request.user)
    token_revoke(token=token, actor=request.user, ip=client_ip(request))
    messages.success(request, f"Token {token.name!r} revoked.")
    return redirect("profile:tokens")


def api_root(request: HttpRequest) -> JsonResponse:
    """/api/v1/: where the description and the docs are."""
    return JsonResponse(
        {"version": "1", "openapi": request.path + "openapi.json", "docs": request.path + "docs"}
    )


def api_not_found(request: HttpRequest, rest: str) -> JsonResponse:
    """Any other address under /api/: a JSON 404 in the API's error shape, not the HTML page."""
    return JsonResponse(error_body("not_found", f"No API endpoint at /api/{rest}."), status=404)
