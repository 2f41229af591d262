"""What the API answers besides permissions: the one error shape with the right status, field
errors, control characters in JSON, conflicts (a concurrent run, a stale plan hash, an illegal
step), pagination with a hard maximum, the log cursor, the form as JSON Schema."""

from __future__ import annotations

import json

import jsonschema
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.api.schemas import MAX_LIMIT
from portal.requests.models import Approval, EnvironmentRequest, RequestState
from portal.requests.services import approval_policies_ensure_defaults
from portal.runs.models import Run, RunKind
from tests.factories import EnvironmentFactory
from tests.portal.api.conftest import bearer


@pytest.fixture
def api(client, requester, make_token):
    """A test client that sends the requester's token."""
    secret = make_token(requester)

    class Api:
        def get(self, url, **kwargs):
            return client.get(url, headers=bearer(secret), **kwargs)

        def post(self, url, data=None, raw=None):
            body = raw if raw is not None else json.dumps(data or {})
            return client.post(url, body, content_type="application/json", headers=bearer(secret))

    return Api()


def error_of(response, status):
    assert response.status_code == status, response.content[:800]
    return response.json()["error"]


def test_bad_input_is_400_with_field_errors(api, sandbox, team):
    error = error_of(api.get(f"/api/v1/environments?limit={MAX_LIMIT + 1}"), 400)
    assert error["code"] == "invalid" and "limit" in error["fields"]
    error = error_of(api.get("/api/v1/environments?status=sideways"), 400)
    assert "status" in error["fields"]
    error = error_of(
        api.post(
            "/api/v1/requests",
            {"blueprint": "local-sandbox", "inputs": {"name": "Bad Name", "tier": "dev", "nope": 1}},
        ),
        400,
    )
    assert {"name", "nope"} <= set(error["fields"]) and "lowercase" in error["fields"]["name"]
    error = error_of(api.post("/api/v1/requests", {"inputs": {}}), 400)
    assert "blueprint" in error["fields"]
    error_of(api.post("/api/v1/requests", raw="{not json"), 400)
    assert not EnvironmentRequest.objects.exists()


def test_control_characters_in_json_and_query_strings_are_refused(api, sandbox):
    error = error_of(
        api.post(
            "/api/v1/requests",
            {
                "blueprint": "local-sandbox",
                "inputs": {"name": "ok-name", "tier": "dev"},
                "reason": "a\u0000b",
            },
        ),
        400,
    )
    assert "reason" in error["fields"] and "NUL" in error["fields"]["reason"]
    error = error_of(api.get("/api/v1/environments?name=x%00y"), 400)
    assert "NUL" in error["fields"]["name"]
    assert not EnvironmentRequest.objects.exists()


def test_create_then_submit_queues_a_plan(api, sandbox, team, requester):
    created = api.post(
        "/api/v1/requests",
        {"blueprint": "local-sandbox", "inputs": {"name": "api-env", "tier": "dev"}, "reason": "try"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "draft" and body["team"] == team.name and "submit" in body["moves"]
    submitted = api.post(f"/api/v1/requests/{body['id']}/submit")
    assert submitted.status_code == 202
    run = Run.objects.get(pk=submitted.json()["run"])
    assert run.kind == RunKind.PLAN and run.request_id == body["id"]
    assert submitted.json()["request"]["state"] == RequestState.PLANNING
    # Submitting twice is an illegal move of the state machine: 409.
    error = error_of(api.post(f"/api/v1/requests/{body['id']}/submit"), 409)
    assert error["code"] == "illegal_transition"


def test_a_second_concurrent_run_is_a_409(api, make_environment):
    environment = make_environment()
    assert api.post(f"/api/v1/environments/{environment.pk}/drift-check").status_code == 202
    error = error_of(api.post(f"/api/v1/environments/{environment.pk}/drift-check"), 409)
    assert error["code"] == "run_conflict" and "active run" in error["message"]
    assert Run.objects.filter(environment=environment).count() == 1


def test_a_decision_on_a_stale_plan_hash_is_a_409_and_records_nothing(client, awaiting, approver, make_token):
    approval_policies_ensure_defaults()
    request = awaiting()
    secret = make_token(approver)
    detail = client.get(f"/api/v1/requests/{request.pk}", headers=bearer(secret)).json()
    current = detail["plan"]["plan_sha256"]
    assert detail["can_decide"] is True and current == request.plan_run.plan_sha256

    decide = f"/api/v1/requests/{request.pk}/decide"
    stale = {"decision": "approve", "plan_sha256": "0" * 64}
    response = client.post(decide, stale, content_type="application/json", headers=bearer(secret))
    error = error_of(response, 409)
    assert error["code"] == "stale_plan" and current[:12] in error["message"]
    assert not Approval.objects.filter(request=request).exists()

    fresh = {"decision": "approve", "plan_sha256": current, "comment": "ok"}
    response = client.post(decide, fresh, content_type="application/json", headers=bearer(secret))
    assert response.status_code == 200, response.content
    assert Approval.objects.get(request=request).plan_sha256 == current


def test_policy_refusals_of_a_decision_have_their_own_codes(client, awaiting, approver, make_token):
    from tests.portal.requests.test_plan_policies import add_policy

    approval_policies_ensure_defaults()
    add_policy("no_apps", severity="warn", text="apps cost money")
    request = awaiting()
    decide = f"/api/v1/requests/{request.pk}/decide"
    headers = bearer(make_token(approver))
    body = {"decision": "approve", "plan_sha256": request.plan_run.plan_sha256}

    response = client.post(decide, body, content_type="application/json", headers=headers)
    error = error_of(response, 400)
    assert error["code"] == "acknowledgement_required" and "no_apps" in error["fields"]["acknowledge"]
    assert not Approval.objects.filter(request=request).exists()

    body["acknowledge_warnings"] = True
    response = client.post(decide, body, content_type="application/json", headers=headers)
    assert response.status_code == 200, response.content
    assert [a["policy"] for a in Approval.objects.get(request=request).acknowledged_warnings] == ["no_apps"]

    add_policy("no_apps_strict", text="apps are not allowed")
    denied = awaiting(name="rq-denied", changes="changes-2")
    response = client.post(
        f"/api/v1/requests/{denied.pk}/decide",
        {"decision": "approve", "plan_sha256": denied.plan_run.plan_sha256, "acknowledge_warnings": True},
        content_type="application/json",
        headers=headers,
    )
    error = error_of(response, 409)
    assert error["code"] == "policy_blocks_approval" and "no_apps_strict denies" in error["message"]
    assert not Approval.objects.filter(request=denied).exists()


def test_a_rejection_needs_a_reason(client, awaiting, approver, make_token):
    approval_policies_ensure_defaults()
    request = awaiting()
    response = client.post(
        f"/api/v1/requests/{request.pk}/decide",
        {"decision": "reject"},
        content_type="application/json",
        headers=bearer(make_token(approver)),
    )
    assert "comment" in error_of(response, 400)["fields"]
    request.refresh_from_db()
    assert request.state == RequestState.AWAITING_APPROVAL


def test_lists_page_by_limit_and_offset(api, sandbox, team, requester):
    for i in range(3):
        EnvironmentFactory(team=team, owner=requester, blueprint_version=sandbox, name=f"pg-{i}")
    first = api.get("/api/v1/environments?limit=2").json()
    assert (first["count"], len(first["items"]), first["next_offset"]) == (3, 2, 2)
    rest = api.get(f"/api/v1/environments?limit=2&offset={first['next_offset']}").json()
    assert len(rest["items"]) == 1 and rest["next_offset"] is None
    names = [e["name"] for e in first["items"] + rest["items"]]
    assert names == ["pg-0", "pg-1", "pg-2"]
    assert [e["name"] for e in api.get("/api/v1/environments?name=pg-1").json()["items"]] == ["pg-1"]


def test_the_log_is_read_after_a_cursor(api, world):
    assert [line["message"] for line in api.get(f"/api/v1/runs/{world.run.pk}/log").json()["lines"]] == [
        "line 1",
        "line 2",
    ]
    later = api.get(f"/api/v1/runs/{world.run.pk}/log?after=1").json()
    assert [line["seq"] for line in later["lines"]] == [2] and later["next_after"] == 2
    done = api.get(f"/api/v1/runs/{world.run.pk}/log?after=2").json()
    assert done["lines"] == [] and done["finished"] is True


def test_the_form_as_json_schema_accepts_what_the_form_accepts(api, sandbox):
    schema = api.get(f"/api/v1/blueprints/local-sandbox/versions/{sandbox.version}/schema").json()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert {"name", "tier"} <= set(schema["required"]) and "app_replicas" in schema["properties"]
    assert validator.is_valid({"name": "ok-env", "tier": "dev", "app_replicas": 2})
    assert not validator.is_valid({"name": "Bad", "tier": "dev"})
    assert not validator.is_valid({"name": "ok-env", "tier": "dev", "unknown": 1})
    secret_fields = [name for name, prop in schema["properties"].items() if prop.get("writeOnly")]
    assert secret_fields == ["api_token"]


def test_estimates_match_the_forms_engine(api, sandbox):
    response = api.post(
        "/api/v1/blueprints/local-sandbox/estimate", {"inputs": {"tier": "prod", "app_replicas": 3}}
    )
    body = response.json()
    assert response.status_code == 200 and body["tier"] == "prod" and body["version"] == sandbox.version
    assert body["estimate"]["complete"] is True
    assert body["monthly_usd"] == body["estimate"]["total_monthly_usd"]
    error = error_of(api.post("/api/v1/blueprints/local-sandbox/estimate", {"inputs": {"tier": "gold"}}), 400)
    assert "tier" in error["fields"]
    assert error_of(api.post("/api/v1/blueprints/nope/estimate", {}), 404)["code"] == "not_found"


def _rows(world, count: int) -> None:
    for i in range(count):
        environment = EnvironmentFactory(
            team=world.environment.team,
            owner=world.users["approver"],
            blueprint_version=world.sandbox,
            name=f"qc-{i:02d}",
        )
        Run.objects.create(kind=RunKind.DRIFT, environment=environment, created_by=world.users["requester"])
        EnvironmentRequest.objects.create(
            team=world.environment.team,
            requester=world.users["approver"],
            blueprint_version=world.sandbox,
            environment_name=f"qc-{i:02d}",
            tier="dev",
        )


LISTS = ("/api/v1/environments", "/api/v1/runs", "/api/v1/requests", "/api/v1/approvals", "/api/v1/images")


def test_list_query_counts_do_not_grow_with_rows(client, world, make_token):
    """Every related object on a row is joined: 1 row and 20 rows cost the same queries."""
    secret = make_token(world.users["requester"])
    client.get("/api/v1/me", headers=bearer(secret))  # the token's first use writes its audit event

    def counts() -> dict[str, int]:
        result = {}
        for url in LISTS:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url, headers=bearer(secret)).status_code == 200
            result[url] = len(queries)
        return result

    few = counts()
    _rows(world, 19)
    assert client.get("/api/v1/environments", headers=bearer(secret)).json()["count"] == 20
    assert counts() == few


def test_a_wrong_method_is_405_in_the_error_shape(api, world):
    response = api.get(f"/api/v1/requests/{world.env_request.pk}/submit")
    assert error_of(response, 405)["code"] == "method_not_allowed" and response["Allow"] == "POST"
    assert world.env_request.state == "draft"
