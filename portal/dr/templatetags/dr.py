"""`{% load dr %}{% dr_section environment %}`: the DR section of the environment page. A template
tag, so the environments app (a lower layer) shows it without importing this app."""

from __future__ import annotations

from typing import Any

from django import template

from portal.dr.selectors import environment_dr_context

register = template.Library()


@register.inclusion_tag("dr/environment_dr.html", takes_context=True)
def dr_section(context: template.Context, environment: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return {
        **environment_dr_context(environment=environment, user=user),
        "environment": environment,
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
