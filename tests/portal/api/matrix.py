"""The API's permission matrix: every endpoint, like the pages' matrix in
tests/portal/test_view_permissions.py (which also checks that every API route is listed here).

Each case is called with a personal access token of the allowed user and of the refused one (a user
of another team, or one without the role); an anonymous call gets 401 in the error shape. A case
that answers 409 reaches the step but finds the request in the wrong state (the world's request is
a draft): the status says the permission check let the caller through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

API = "/api/v1"


@dataclass(frozen=True)
class ApiCase:
    method: str
    url: Callable[[Any], str]
    allowed: str
    ok: int
    denied: str | None = None
    refused: int | None = None
    data: Callable[[Any], dict[str, Any]] | None = None

    @property
    def unsafe(self) -> bool:
        return self.method != "get"


API_CASES = {
    "me": ApiCase("get", lambda w: f"{API}/me", "loner", 200),
    "blueprint-list": ApiCase("get", lambda w: f"{API}/blueprints", "loner", 200),
    "blueprint-detail": ApiCase("get", lambda w: f"{API}/blueprints/local-sandbox", "loner", 200),
    "version-detail": ApiCase(
        "get", lambda w: f"{API}/blueprints/local-sandbox/versions/{w.sandbox.version}", "loner", 200
    ),
    "version-schema": ApiCase(
        "get", lambda w: f"{API}/blueprints/local-sandbox/versions/{w.sandbox.version}/schema", "loner", 200
    ),
    "blueprint-estimate": ApiCase(
        "post",
        lambda w: f"{API}/blueprints/local-sandbox/estimate",
        "loner",
        200,
        data=lambda w: {"inputs": {"tier": "dev"}},
    ),
    "request-list": ApiCase("get", lambda w: f"{API}/requests", "outsider", 200),
    "request-create": ApiCase(
        "post",
        lambda w: f"{API}/requests",
        "requester",
        201,
        "loner",
        403,
        data=lambda w: {"blueprint": "local-sandbox", "inputs": {"name": "brand-new", "tier": "dev"}},
    ),
    "request-detail": ApiCase(
        "get", lambda w: f"{API}/requests/{w.env_request.pk}", "approver", 200, "outsider", 404
    ),
    "request-submit": ApiCase(
        "post", lambda w: f"{API}/requests/{w.env_request.pk}/submit", "requester", 202, "outsider", 404
    ),
    "request-replan": ApiCase(
        "post", lambda w: f"{API}/requests/{w.env_request.pk}/replan", "requester", 409, "outsider", 404
    ),
    "request-cancel": ApiCase(
        "post", lambda w: f"{API}/requests/{w.env_request.pk}/cancel", "requester", 200, "outsider", 404
    ),
    "request-decide": ApiCase(
        "post",
        lambda w: f"{API}/requests/{w.env_request.pk}/decide",
        "approver",
        409,
        "outsider",
        404,
        data=lambda w: {"decision": "approve", "comment": "ok"},
    ),
    "approval-queue": ApiCase("get", lambda w: f"{API}/approvals", "outsider", 200),
    "environment-list": ApiCase("get", lambda w: f"{API}/environments?status=active", "outsider", 200),
    "environment-detail": ApiCase(
        "get", lambda w: f"{API}/environments/{w.environment.pk}", "approver", 200, "outsider", 404
    ),
    "environment-outputs": ApiCase(
        "get", lambda w: f"{API}/environments/{w.environment.pk}/outputs", "approver", 200, "outsider", 404
    ),
    "environment-drift-check": ApiCase(
        "post",
        lambda w: f"{API}/environments/{w.environment.pk}/drift-check",
        "requester",
        202,
        "outsider",
        404,
    ),
    "environment-destroy": ApiCase(
        "post",
        lambda w: f"{API}/environments/{w.environment.pk}/destroy",
        "requester",
        201,
        "outsider",
        404,
        data=lambda w: {"confirm_name": w.environment.name, "reason": "done with it", "submit": False},
    ),
    "run-list": ApiCase("get", lambda w: f"{API}/runs", "outsider", 200),
    "run-detail": ApiCase("get", lambda w: f"{API}/runs/{w.run.pk}", "approver", 200, "outsider", 404),
    "run-log": ApiCase(
        "get", lambda w: f"{API}/runs/{w.run.pk}/log?after=1", "requester", 200, "outsider", 404
    ),
    "run-cancel": ApiCase(
        "post", lambda w: f"{API}/runs/{w.run.pk}/cancel", "approver", 200, "outsider", 404
    ),
    # An image build has no environment: everyone sees it, only a platform admin may cancel it.
    "image-run-cancel": ApiCase(
        "post", lambda w: f"{API}/runs/{w.image_run.pk}/cancel", "platform_admin", 200, "requester", 403
    ),
    "image-list": ApiCase("get", lambda w: f"{API}/images", "outsider", 200),
    "image-detail": ApiCase("get", lambda w: f"{API}/images/{w.image.pk}", "outsider", 200),
    "audit-list": ApiCase("get", lambda w: f"{API}/audit", "platform_admin", 200, "requester", 403),
}

# Answered to anyone, signed in or not: the API's description and the JSON 404 of unknown paths.
API_PUBLIC = {
    "root": ApiCase("get", lambda w: f"{API}/", "anonymous", 200),
    "openapi": ApiCase("get", lambda w: f"{API}/openapi.json", "anonymous", 200),
    "docs": ApiCase("get", lambda w: f"{API}/docs", "anonymous", 200),
    "not-found": ApiCase("get", lambda w: f"{API}/no-such-thing", "anonymous", 404),
}
