"""The API instance: /api/v1/, its authentication, error shape, JSON checks and OpenAPI document.

Every endpoint (portal/api/routes/) calls the same selectors, services and permission rules as the
pages; this layer only translates JSON to keyword arguments and exceptions to status codes.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.parser import Parser

from blueprints.inputs import control_character_error
from portal.api.auth import API_AUTH
from portal.api.errors import ApiError, install_handlers
from portal.api.routes import audit, catalog, env_requests, environments, runs


def control_characters(value: Any, path: str = "") -> dict[str, str]:
    """Field errors for NUL and other control characters anywhere in a JSON value (keys too); the
    middleware that guards forms and query strings never sees a JSON body."""
    problems: dict[str, str] = {}
    if isinstance(value, str):
        problem = control_character_error(value, multiline=True)
        if problem:
            problems[path or "body"] = problem
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            problem = control_character_error(str(key), multiline=False)
            if problem:
                problems[name.encode("unicode_escape").decode()] = problem
            problems.update(control_characters(item, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problems.update(control_characters(item, f"{path}.{index}" if path else str(index)))
    return problems


class CheckedJsonParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        data = json.loads(request.body or b"{}")
        problems = control_characters(data)
        if problems:
            raise ApiError(400, "invalid", "The request holds control characters.", problems)
        return data


api = NinjaAPI(
    title="Infra portal API",
    version="1",
    description=(
        "Blueprints, estimates, requests and approvals, environments, runs, images and the audit log. "
        "Authenticate with `Authorization: Bearer <personal access token>` (create one at "
        "/profile/tokens/), or with the browser session plus a CSRF token on unsafe calls. Errors are "
        '`{"error": {"code", "message", "fields"?}}`.'
    ),
    urls_namespace="api",
    auth=API_AUTH,
    parser=CheckedJsonParser(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_handlers(api)
api.add_router("/", catalog.router)
api.add_router("/", env_requests.router)
api.add_router("/", environments.router)
api.add_router("/", runs.router)
api.add_router("/", audit.router)
