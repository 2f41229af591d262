"""The API's permission matrix (tests/portal/api/matrix.py), tried as anonymous, as a refused user,
as the allowed user, and with a read-only token: refused calls change nothing."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from portal.audit.models import AuditEvent
from portal.environments.models import Environment, StateLock
from portal.requests.models import EnvironmentRequest
from portal.runs.models import Run, RunStatus
from tests.portal.api.conftest import bearer
from tests.portal.api.matrix import API_CASES, API_PUBLIC, ApiCase

DENIABLE = {name: case for name, case in API_CASES.items() if case.denied}
UNSAFE = {name: case for name, case in API_CASES.items() if case.unsafe and name != "blueprint-estimate"}


def call(client: Client, case: ApiCase, world, headers: dict[str, str] | None = None):
    data = case.data(world) if case.data else {}
    if case.method == "get":
        return client.get(case.url(world), headers=headers or {})
    return client.generic(
        case.method.upper(),
        case.url(world),
        json.dumps(data),
        content_type="application/json",
        headers=headers or {},
    )


def side_effects() -> tuple[int, ...]:
    """What the actions write; token use is audited by design, so it is left out."""
    return (
        AuditEvent.objects.exclude(action="api_token.used").count(),
        Run.objects.count(),
        Environment.objects.count(),
        EnvironmentRequest.objects.count(),
        StateLock.objects.count(),
        Run.objects.filter(status=RunStatus.CANCELLED).count(),
    )


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]


@pytest.mark.parametrize("name", API_CASES)
def test_anonymous_gets_401_in_the_error_shape(client, world, name):
    case = API_CASES[name]
    before = side_effects()
    response = call(client, case, world)
    error = assert_error(response, 401, "unauthenticated")
    assert "Bearer" in response["WWW-Authenticate"] and "token" in error["message"].lower()
    assert side_effects() == before


@pytest.mark.parametrize("name", API_PUBLIC)
def test_public_api_addresses_answer_anyone(client, world, name):
    case = API_PUBLIC[name]
    assert call(client, case, world).status_code == case.ok


@pytest.mark.parametrize("name", DENIABLE)
def test_user_without_permission_is_refused(client, world, make_token, name):
    case = DENIABLE[name]
    secret = make_token(world.users[case.denied])
    before = side_effects()
    response = call(client, case, world, bearer(secret))
    assert_error(response, case.refused, {403: "forbidden", 404: "not_found"}[case.refused])
    assert side_effects() == before


@pytest.mark.parametrize("name", API_CASES)
def test_user_with_permission_is_served(client, world, make_token, name):
    case = API_CASES[name]
    secret = make_token(world.users[case.allowed])
    response = call(client, case, world, bearer(secret))
    assert response.status_code == case.ok, response.content[:1000]
    if case.ok == 409:  # reached the step; the draft's state refused it
        assert_error(response, 409, "illegal_transition")


@pytest.mark.parametrize("name", API_CASES)
def test_the_browser_session_works_too(client, world, name):
    """Same answers with the session (the test client skips CSRF; test_tokens checks it)."""
    case = API_CASES[name]
    client.force_login(world.users[case.allowed])
    assert call(client, case, world).status_code == case.ok


@pytest.mark.parametrize("name", UNSAFE)
def test_read_only_token_is_refused_every_unsafe_call(client, world, make_token, name):
    case = UNSAFE[name]
    secret = make_token(world.users[case.allowed], read_only=True)
    before = side_effects()
    error = assert_error(call(client, case, world, bearer(secret)), 403, "forbidden")
    assert "read-only" in error["message"]
    assert side_effects() == before


# Reads served by both front doors: the API case and the page case of the same thing.
TWINS = {
    "request-list": "request-list",
    "request-detail": "request-detail",
    "approval-queue": "approval-queue",
    "environment-list": "environment-list",
    "environment-detail": "environment-detail",
    "run-list": "run-list",
    "run-detail": "run-detail",
    "run-log": "run-log",
    "image-list": "image-list",
    "image-detail": "image-detail",
    "blueprint-list": "catalog-list",
    "blueprint-detail": "catalog-detail",
    "audit-list": "audit-list",
}
ROLES = ("requester", "approver", "outsider", "platform_admin", "loner")


@pytest.mark.parametrize("name", TWINS)
def test_every_role_gets_the_same_answer_from_the_api_and_the_page(client, world, make_token, name):
    """One implementation, two front doors: for each role (a user of another team and a user in no
    team included), the page and the API allow or refuse alike, with the same refusal."""
    from tests.portal.test_view_permissions import CASES
    from tests.portal.test_view_permissions import call as page_call

    api_case, page_case = API_CASES[name], CASES[TWINS[name]]
    for role in ROLES:
        user = world.users[role]
        client.force_login(user)
        page = page_call(client, page_case, world).status_code
        client.logout()
        api = call(client, api_case, world, bearer(make_token(user, name=f"{name}-{role}"))).status_code
        page_allowed, api_allowed = page in (200, 286), api == 200
        assert page_allowed == api_allowed, (role, page, api)
        if not api_allowed:
            assert page == api, (role, page, api)
