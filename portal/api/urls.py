"""/api/v1/ (django-ninja) and the token pages under /profile/."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from portal.api import views
from portal.api.api import api
from portal.api.errors import error_response


def _json_405(view: Any) -> Any:
    """django-ninja answers a wrong method with a plain-text 405; this gives it the error shape."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code != 405 or response.get("Content-Type", "").startswith("application/json"):
            return response
        allowed = response.get("Allow", "")
        json = error_response(405, "method_not_allowed", f"{request.method} is not allowed here ({allowed}).")
        json["Allow"] = allowed
        return json

    return wrapper


def _token_or_session(patterns: list[Any]) -> list[Any]:
    """The API answers anonymous callers itself (401 in JSON, or a token) rather than being sent to
    the login page by LoginRequiredMiddleware; its docs and OpenAPI document are public."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _token_or_session(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            pattern.callback = _json_405(pattern.callback)
            pattern.callback.login_required = False
    return patterns


ninja_patterns, _app_name, _namespace = api.urls
# django-ninja's root pattern answers an HTML 404; ours says where the docs are (same name, which
# django-ninja reverses to find the API's prefix).
api_patterns = _token_or_session(
    [
        *(p for p in ninja_patterns if getattr(p, "name", None) != "api-root"),
        path("", views.api_root, name="api-root"),
        path("<path:rest>", views.api_not_found, name="not-found"),
    ]
)

profile_patterns = [
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke_view, name="token-revoke"),
]
