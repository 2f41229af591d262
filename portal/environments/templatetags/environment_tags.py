"""`{% environment_status obj as shown %}`: (badge class, label) of a listed environment."""

from __future__ import annotations

from typing import Any

from django import template

from portal.environments.progress import status_display

register = template.Library()


@register.simple_tag
def environment_status(environment: Any) -> tuple[str, str]:
    return status_display(environment)
