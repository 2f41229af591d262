"""Blueprint upgrades: the "upgrade available" notice, the prefilled update request with its
input notes, bulk upgrades by platform admins, and the sandbox 1.0.0 → 1.1.0 with real Terraform."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.environments.models import Environment, EnvironmentStatus
from portal.requests.models import EnvironmentRequest, RequestKind, RequestState, UpgradeBatch
from portal.requests.upgrades import upgrade_batch_create, upgrade_inputs
from portal.runs.models import Run, RunKind
from tests.factories import EnvironmentFactory, published_sandbox_version
from tests.portal.runs.conftest import wait_for, wait_for_run


@pytest.fixture
def sandbox_v1(sandbox):
    return published_sandbox_version("1.0.0")


@pytest.fixture
def old_env(sandbox_v1, requester, team):
    return EnvironmentFactory(
        team=team,
        owner=requester,
        name="old-env",
        blueprint_version=sandbox_v1,
        inputs={"app_replicas": 2, "greeting": "kept", "enable_cache": False, "apply_seconds": 0},
    )


def test_the_catalog_knows_both_sandbox_versions_and_the_latest_is_1_1_0(sandbox, sandbox_v1):
    assert (sandbox_v1.version, sandbox.version) == ("1.0.0", "1.1.0")
    assert sandbox.blueprint.latest_version == sandbox
    assert "healthcheck" in sandbox.changes
    assert "healthcheck_interval_seconds" in {f.name for f in sandbox.fields}
    assert "healthcheck_interval_seconds" not in {f.name for f in sandbox_v1.fields}


def test_upgrade_available_on_the_environment_the_inventory_and_the_owners_home(
    client, requester, old_env, sandbox
):
    current = EnvironmentFactory(
        team=old_env.team, owner=requester, name="new-env", blueprint_version=sandbox
    )
    client.force_login(requester)
    detail = client.get(reverse("environments:detail", args=[old_env.pk])).content.decode()
    assert "Upgrade available: 1.0.0 → 1.1.0" in detail
    assert "health check" in detail  # the changelog
    assert f"?environment={old_env.pk}&amp;version=1.1.0" in detail
    assert (
        "upgrade available"
        not in client.get(reverse("environments:detail", args=[current.pk])).content.decode()
    )
    listing = client.get(reverse("environments:list")).content.decode()
    assert listing.count("upgrade available: 1.0.0 → 1.1.0") == 1
    home = client.get(reverse("home")).content.decode()
    assert "upgrade available: 1.0.0 → 1.1.0" in home


def test_the_upgrade_form_is_prefilled_and_explains_new_inputs(client, requester, old_env, sandbox):
    client.force_login(requester)
    url = reverse("catalog:request", args=["local-sandbox"]) + f"?environment={old_env.pk}&version=1.1.0"
    page = client.get(url).content.decode()
    assert "Upgrade: 1.0.0 → 1.1.0" in page
    assert 'data-testid="upgrade-added"' in page and "healthcheck_interval_seconds" in page
    assert 'name="healthcheck_interval_seconds" value="30"' in page  # the new input's default
    assert 'name="app_replicas" value="2"' in page and 'value="kept"' in page  # current inputs


def test_upgrade_inputs_drop_removed_inputs_and_leave_new_ones_to_their_defaults(old_env, sandbox):
    old_env.inputs = {**old_env.inputs, "gone_input": 1}
    data = upgrade_inputs(environment=old_env, target=sandbox)
    assert "gone_input" not in data and "healthcheck_interval_seconds" not in data
    assert data["app_replicas"] == 2 and data["name"] == "old-env"


def test_only_platform_admins_upgrade_in_bulk(client, requester, platform_admin, old_env, sandbox):
    client.force_login(requester)
    assert client.get(reverse("requests:upgrade-new", args=[sandbox.pk])).status_code == 403
    with pytest.raises(Exception, match="platform admins"):
        upgrade_batch_create(actor=requester, target=sandbox, environments=[old_env])


def test_a_batch_makes_one_submitted_request_per_environment(
    client, platform_admin, old_env, sandbox, sandbox_v1, django_capture_on_commit_callbacks
):
    other = EnvironmentFactory(name="other-env", blueprint_version=sandbox_v1, inputs={"app_replicas": 1})
    current = EnvironmentFactory(name="current-env", blueprint_version=sandbox)
    client.force_login(platform_admin)
    page = client.get(reverse("requests:upgrade-new", args=[sandbox.pk])).content.decode()
    assert "old-env" in page and "other-env" in page and "current-env" not in page
    response = client.post(
        reverse("requests:upgrade-new", args=[sandbox.pk]),
        {"environment": [old_env.pk, other.pk, current.pk]},
    )
    batch = UpgradeBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "requests:upgrade-batch", args=[batch.pk]
    )
    requests = list(batch.requests.order_by("environment_name"))
    assert [r.environment_name for r in requests] == ["old-env", "other-env"]
    for req in requests:
        assert req.kind == RequestKind.UPDATE and req.blueprint_version == sandbox
        assert req.state == RequestState.PLANNING and req.requester == platform_admin
        assert Run.objects.filter(request=req, kind=RunKind.PLAN).count() == 1
    assert (
        requests[0].inputs["app_replicas"] == 2 and requests[0].inputs["healthcheck_interval_seconds"] == 30
    )
    assert AuditEvent.objects.filter(action="upgrade_batch.created").count() == 1
    summary = client.get(reverse("requests:upgrade-batch", args=[batch.pk])).content.decode()
    assert summary.count('data-testid="batch-request"') == 2 and "Planning" in summary
    assert current.pk not in {r.environment_id for r in requests}


@pytest.mark.integration
def test_upgrade_sandbox_1_0_0_to_1_1_0_with_real_terraform(
    client, portal_url, celery_worker, sandbox, sandbox_v1, requester, approver, team
):
    def approve(request):
        request.refresh_from_db()
        if request.state == RequestState.AWAITING_APPROVAL:
            client.force_login(approver)
            decision = {"decision": "approve", "comment": "ok", "plan_sha256": request.plan_run.plan_sha256}
            client.post(reverse("requests:decide", args=[request.pk]), decision)
            client.force_login(requester)
        wait_for(
            lambda: EnvironmentRequest.objects.get(pk=request.pk).state == RequestState.DONE, what="done"
        )

    client.force_login(requester)
    form = {
        "team": team.pk,
        "tier": "staging",
        "rendered_tier": "staging",
        "app_replicas": "1",
        "greeting": "before upgrade",
        "enable_cache": "on",
        "cache_size_mb": "128",
        "apply_seconds": "0",
        "usage_profile": "medium",
    }
    url = reverse("catalog:request", args=["local-sandbox"])
    secret = "upg-Secret-4242"
    response = client.post(
        url, {**form, "name": "upg-env", "version": "1.0.0", "reason": "v1", "api_token": secret}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    create = EnvironmentRequest.objects.get(environment_name="upg-env")
    assert create.blueprint_version == sandbox_v1
    client.post(reverse("requests:submit", args=[create.pk]))
    assert wait_for_run(Run.objects.get(request=create, kind=RunKind.PLAN)).status == "succeeded"
    approve(create)
    environment = Environment.objects.get(name="upg-env", status=EnvironmentStatus.ACTIVE)
    assert "healthcheck_id" not in environment.outputs

    detail = client.get(reverse("environments:detail", args=[environment.pk])).content.decode()
    assert "Upgrade available: 1.0.0 → 1.1.0" in detail
    page = client.get(url + f"?environment={environment.pk}&version=1.1.0").content.decode()
    assert 'name="healthcheck_interval_seconds" value="30"' in page
    upgrade_form = {**form, "environment": environment.pk, "version": "1.1.0", "rendered_version": "1.1.0"}
    upgrade_form.update(greeting="before upgrade", reason="upgrade", healthcheck_interval_seconds="30")
    response = client.post(url, upgrade_form)
    assert response.status_code == 302, response.content.decode()[:2000]
    update = EnvironmentRequest.objects.get(environment=environment, kind=RequestKind.UPDATE)
    client.post(reverse("requests:submit", args=[update.pk]))
    assert wait_for_run(Run.objects.get(request=update, kind=RunKind.PLAN)).status == "succeeded"
    update.refresh_from_db()
    assert update.state == RequestState.AWAITING_APPROVAL  # staging: the normal approval
    assert update.cost_delta_usd == 0  # the sandbox's null resources cost nothing
    review = client.get(reverse("requests:detail", args=[update.pk])).content.decode()
    assert "null_resource.healthcheck" in review
    assert "no change in monthly cost" in review and "+$0.00" not in review
    approve(update)
    environment.refresh_from_db()
    assert environment.blueprint_version == sandbox
    assert environment.outputs.get("healthcheck_id")
    assert environment.inputs["greeting"] == "before upgrade"
    detail = client.get(reverse("environments:detail", args=[environment.pk])).content.decode()
    assert "Upgrade available" not in detail

    # The evidence pack tells the whole story, without the secret.
    response = client.get(reverse("environments:evidence", args=[environment.pk]))
    pack = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert secret.encode() not in b"".join(pack.read(name) for name in pack.namelist())
    plans = json.loads(pack.read("plans.json"))
    assert {p["request"] for p in plans} == {create.pk, update.pk} and all(p["plan_sha256"] for p in plans)
    assert len(json.loads(pack.read("approvals.json"))) == 2
    assert len(json.loads(pack.read("state_versions.json"))) >= 2
    assert any(
        "health check every 30 s" in pack.read(name).decode()
        for name in pack.namelist()
        if name.startswith("logs/")
    )


def test_api_upgrade_drafts_and_submits_an_update_to_the_latest_version(
    client, requester, old_env, sandbox, django_capture_on_commit_callbacks
):
    client.force_login(requester)
    url = reverse("api:environment-upgrade", args=[old_env.pk])
    response = client.post(url, {}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    update = EnvironmentRequest.objects.get(pk=body["request"]["id"])
    assert update.blueprint_version == sandbox and update.state == RequestState.PLANNING
    assert update.inputs["healthcheck_interval_seconds"] == 30 and update.inputs["greeting"] == "kept"
    assert body["run"] == Run.objects.get(request=update, kind=RunKind.PLAN).pk
    again = client.post(
        reverse(
            "api:environment-upgrade",
            args=[EnvironmentFactory(team=old_env.team, blueprint_version=sandbox).pk],
        ),
        {},
        content_type="application/json",
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "up_to_date"
