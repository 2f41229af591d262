"""`manage.py check` refuses an OIDC_GROUP_MAPPING that does not parse."""

from __future__ import annotations

import json
from typing import Any

from django.core.checks import Error, register

from portal.accounts.oidc import group_mapping


@register()
def check_oidc_group_mapping(app_configs: Any, **kwargs: Any) -> list[Error]:
    try:
        group_mapping()
    except (ValueError, json.JSONDecodeError) as exc:
        return [Error(f"OIDC_GROUP_MAPPING: {exc}", id="accounts.E001")]
    return []
