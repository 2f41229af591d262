"""View decorators for roles. The rules themselves live in portal.accounts.selectors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from portal.accounts.selectors import user_is_platform_admin


def platform_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not user_is_platform_admin(request.user):
            raise PermissionDenied("Only platform admins may see this page.")
        return view(request, *args, **kwargs)

    return wrapper
