"""The evidence pack: every file listed in the manifest with its SHA-256, secrets and state
content absent, approvals with the plan hash they saw, only for the team and platform admins,
and each download audited."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.requests.models import Approval, EnvironmentRequest
from portal.runs.models import RunKind, RunLogLine
from tests.factories import SANDBOX_SECRET, STATE, RunFactory, StateVersionFactory

PLAN_SHA = "ab" * 32


@pytest.fixture
def evidence_env(make_environment, approver):
    environment = make_environment(name="audited", runnable=True)
    request = EnvironmentRequest.objects.get(environment_name="audited")
    request.environment = environment
    plan = RunFactory(
        environment=environment,
        request=request,
        kind=RunKind.PLAN,
        plan_sha256=PLAN_SHA,
        plan_add=3,
        plan_change=0,
        plan_destroy=0,
    )
    request.plan_run = plan
    request.save(update_fields=["plan_run", "environment"])
    RunLogLine.objects.bulk_create(
        RunLogLine(
            run=plan, seq=seq, stream="stdout", level="info", message=f"plan line {seq} token=[redacted]"
        )
        for seq in range(1, 2501)
    )
    Approval.objects.create(
        request=request,
        approver=approver,
        decision="approve",
        plan_run=plan,
        plan_sha256=PLAN_SHA,
        changes_sha256="cd" * 32,
        acknowledged_warnings=[{"policy": "tags", "version": "1", "messages": ["missing CostCentre"]}],
    )
    RunFactory(environment=environment, kind=RunKind.DRIFT, drift_detected=False)
    StateVersionFactory(environment=environment, body=STATE)
    return environment


def _download(client, user, environment) -> zipfile.ZipFile:
    client.force_login(user)
    response = client.get(reverse("environments:evidence", args=[environment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="evidence-')
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_manifest_hashes_verify_and_every_file_is_listed(client, requester, evidence_env):
    pack = _download(client, requester, evidence_env)
    manifest = json.loads(pack.read("manifest.json"))
    names = set(pack.namelist()) - {"manifest.json"}
    assert names == set(manifest["files"])
    assert {
        "index.html",
        "requests.json",
        "plans.json",
        "approvals.json",
        "policy_results.json",
        "state_versions.json",
        "drift_checks.json",
        "dr_drills.json",
        "audit_events.json",
    } <= names
    for name in names:
        data = pack.read(name)
        assert hashlib.sha256(data).hexdigest() == manifest["files"][name]["sha256"], name
        assert len(data) == manifest["files"][name]["size"]
    plan_run = evidence_env.requests.get().plan_run
    log = pack.read(f"logs/run-{plan_run.pk}.log").decode().splitlines()
    assert len(log) == 2500 and log[0].endswith("plan line 1 token=[redacted]")


def test_the_pack_holds_plans_approvals_and_state_checksums_but_no_secret(client, requester, evidence_env):
    pack = _download(client, requester, evidence_env)
    everything = b"".join(pack.read(name) for name in pack.namelist())
    assert SANDBOX_SECRET.encode() not in everything
    assert b'"lineage": "lin-1"' in pack.read("state_versions.json")
    assert b'"resources": []' not in pack.read("state_versions.json")  # no state content
    requests = json.loads(pack.read("requests.json"))
    assert requests[0]["inputs"]["api_token"] == "********"
    plans = json.loads(pack.read("plans.json"))
    assert plans[0]["plan_sha256"] == PLAN_SHA and plans[0]["add"] == 3
    approval = json.loads(pack.read("approvals.json"))[0]
    assert approval["plan_sha256_seen"] == PLAN_SHA and approval["approver"]
    assert approval["acknowledged_warnings"][0]["policy"] == "tags"
    drift = json.loads(pack.read("drift_checks.json"))
    assert len(drift["checks"]) == 1
    audit = json.loads(pack.read("audit_events.json"))
    actions = {e["action"] for e in audit}
    assert {"environment.created", "evidence.downloaded"} <= actions
    assert all(len(e["hash"]) == 64 for e in audit)
    index = pack.read("index.html").decode()
    assert "Evidence pack: " in index and PLAN_SHA in index


def test_each_download_is_audited(client, requester, evidence_env):
    _download(client, requester, evidence_env)
    _download(client, requester, evidence_env)
    events = AuditEvent.objects.filter(action="evidence.downloaded", target_id=str(evidence_env.pk))
    assert events.count() == 2 and events.first().actor == requester


def test_only_the_team_and_platform_admins_may_download(client, outsider, platform_admin, evidence_env):
    client.force_login(outsider)
    # not found, as on the environment's page: a 403 would tell another team that it exists
    assert client.get(reverse("environments:evidence", args=[evidence_env.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action="evidence.downloaded").exists()
    _download(client, platform_admin, evidence_env)
