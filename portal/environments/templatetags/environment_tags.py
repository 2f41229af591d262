"""`{% environment_status obj as shown %}`: (badge class, label) of a listed environment."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def environment_status(environment: Any) -> tuple[str, str]:
    from portal.environments.views import status_display

    return status_display(
        environment.status,
        environment.get_status_display(),
        getattr(environment, "latest_request_state", None),
        getattr(environment, "latest_run_kind", None),
    )
