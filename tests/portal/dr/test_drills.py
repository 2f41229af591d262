"""Drills as runs: AWS drills against a real moto server (executed in this process, as a worker
does), the sandbox drill with real Terraform through a real worker and `manage.py drill run`,
and kill -9 of a worker in the middle of a drill."""

from __future__ import annotations

import json
import signal
import threading
from io import StringIO

import boto3
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from portal.dr.models import Drill, DrillResource, DrillStatus
from portal.dr.services import DrillConflict, drill_start, drills_reconcile
from portal.runs.models import Run, RunStatus
from portal.runs.services import run_cancel, runs_reap
from tests.factories import MembershipFactory
from tests.portal.dr.conftest import execute_here
from tests.portal.runs.conftest import log_tail, wait_for
from tests.portal.runs.test_run_engine import plan_and_apply

pytestmark = pytest.mark.integration


def moto(aws_env, service):
    return boto3.client(service, region_name="us-east-1", endpoint_url=aws_env["AWS_ENDPOINT_URL"])


def drill_tables(aws_env) -> set[str]:
    return {t for t in moto(aws_env, "dynamodb").list_tables()["TableNames"] if "-drill-" in t}


def test_aws_drill_runs_as_a_run_passes_and_cleans_up(make_aws_environment, approver, aws_env, notifications):
    environment = make_aws_environment()
    drill = drill_start(environment=environment, actor=approver)
    assert drill.run.kind == "drill" and drill.run.queue == "drills"
    drill = execute_here(drill)
    assert drill.status == DrillStatus.PASSED, (drill.reason, log_tail(drill.run))
    drill.run.refresh_from_db()
    assert drill.run.status == RunStatus.SUCCEEDED
    assert drill.rto_achieved_s is not None and drill.rpo_api_s is not None
    assert [s["name"] for s in drill.steps][:3] == [
        "check preconditions",
        "write canary item",
        "restore table to point in time",
    ]
    assert all(s["outcome"] == "passed" for s in drill.steps)
    assert drill.cleanup_ok is True and drill.leftovers == []
    # Every scratch resource was stored as it was created, and is deleted now.
    states = dict(DrillResource.objects.filter(drill=drill).values_list("resource_id", "state"))
    assert any(rid.startswith("dynamodb-table:") for rid in states)
    assert set(states.values()) == {"deleted"}
    assert not any(
        environment.outputs["dynamodb_table_name"]["value"] + "-drill-" in t for t in drill_tables(aws_env)
    )
    # The live log has the runbook's lines, redacted of the AWS secret.
    messages = list(drill.run.log_lines.values_list("message", flat=True))
    assert any("t0 (restore call)" in m for m in messages)
    assert not any(aws_env["AWS_SECRET_ACCESS_KEY"] in m for m in messages)
    assert notifications() == []  # a passed drill alerts nobody


def test_an_injected_rpo_breach_fails_the_drill_and_notifies(
    make_aws_environment, team, approver, aws_env, notifications
):
    environment = make_aws_environment(rpo_minutes=0.00001)  # well under a millisecond
    drill = execute_here(drill_start(environment=environment, actor=approver))
    assert drill.status == DrillStatus.FAILED
    assert "RPO" in drill.reason, drill.reason
    assert max(drill.rpo_api_s or 0, drill.rpo_measured_s or 0) > drill.rpo_target_s
    assert drill.cleanup_ok is True  # it still cleaned up
    drill.run.refresh_from_db()
    assert drill.run.status == RunStatus.FAILED and "failed" in drill.run.error
    (message,) = notifications()
    assert f"DR drill of {environment} failed" in message.subject
    assert set(message.to) == {environment.owner.email, approver.email}
    assert f"/dr/{drill.pk}/" in message.body


def test_one_active_drill_per_environment(make_aws_environment, approver):
    environment = make_aws_environment()
    first = drill_start(environment=environment, actor=approver)
    with pytest.raises(DrillConflict):
        drill_start(environment=environment, actor=approver)
    assert Drill.objects.filter(environment=environment).count() == 1
    # Cancelled before a worker took it: the next drill may start.
    run_cancel(run=first.run, actor=approver)
    second = drill_start(environment=environment, actor=approver)
    first.refresh_from_db()
    assert first.status == DrillStatus.CANCELLED and second.is_active


def test_cancel_mid_drill_still_cleans_up(make_aws_environment, approver, aws_env, settings):
    settings.DRILL_CANARY_WAIT_S = 30  # the drill waits on the canary; it is cancelled there
    environment = make_aws_environment()
    drill = drill_start(environment=environment, actor=approver)

    def cancel_once_the_canary_is_tracked() -> None:
        try:
            wait_for(
                lambda: DrillResource.objects.filter(
                    drill=drill, resource_id__startswith="dynamodb-item:"
                ).exists(),
                timeout=30,
                what="the canary",
            )
            run_cancel(run=Run.objects.get(pk=drill.run_id), actor=approver)
        finally:
            connection.close()

    canceller = threading.Thread(target=cancel_once_the_canary_is_tracked)
    canceller.start()
    drill = execute_here(drill)
    canceller.join()
    assert drill.status == DrillStatus.CANCELLED, drill.reason
    assert Run.objects.get(pk=drill.run_id).status == RunStatus.CANCELLED
    states = dict(DrillResource.objects.filter(drill=drill).values_list("resource_id", "state"))
    assert states and set(states.values()) == {"deleted"}, states
    table = environment.outputs["dynamodb_table_name"]["value"]
    items = moto(aws_env, "dynamodb").scan(TableName=table)["Items"]
    assert not any("__portal_drill_canary__" in json.dumps(i) for i in items)


def test_kill_9_of_the_worker_mid_drill_leaves_no_resource_untracked(
    make_aws_environment, make_worker, approver, aws_env, settings
):
    environment = make_aws_environment()
    worker = make_worker(name="doomed", DRILL_CANARY_WAIT_S="120", DRILL_POLL_INTERVAL_S="0.2")
    drill = drill_start(environment=environment, actor=approver)
    wait_for(
        lambda: DrillResource.objects.filter(drill=drill, resource_id__startswith="dynamodb-item:").exists(),
        timeout=60,
        what="the canary to be tracked",
    )
    worker.stop(sig=signal.SIGKILL)

    settings.RUN_HEARTBEAT_TIMEOUT_S = 2
    reaped = wait_for(lambda: runs_reap() or None, timeout=20, what="the reaper")
    assert [r.pk for r in reaped] == [drill.run_id]
    finished = drills_reconcile()
    drill.refresh_from_db()
    assert [d.pk for d in finished] == [drill.pk]
    assert drill.status == DrillStatus.FAILED and "stopped heartbeating" in drill.reason
    # Everything the killed drill created was on record and is deleted now.
    states = dict(DrillResource.objects.filter(drill=drill).values_list("resource_id", "state"))
    assert states and set(states.values()) == {"deleted"}, states
    assert drill.cleanup_ok is True
    table = environment.outputs["dynamodb_table_name"]["value"]
    items = moto(aws_env, "dynamodb").scan(TableName=table)["Items"]
    assert not any("__portal_drill_canary__" in json.dumps(i) for i in items)
    assert not any(t.startswith(f"{table}-drill-") for t in drill_tables(aws_env))


def test_sandbox_drill_via_the_command_line_passes(
    portal_url, celery_worker, make_environment, requester, team
):
    environment = make_environment(name="drillme", runnable=True)
    _plan, apply = plan_and_apply(environment, requester)
    assert apply.status == RunStatus.SUCCEEDED, log_tail(apply)
    out = StringIO()
    call_command(
        "drill", "run", f"{team.slug}/drillme", "--wait", "--timeout", "120", "--format", "json", stdout=out
    )
    record = json.loads(out.getvalue())
    assert record["status"] == "passed", record
    assert record["runbook"] == "state-restore"
    assert [s["name"] for s in record["steps"]] == [
        "check preconditions",
        "restore state into scratch workspace",
        "terraform init",
        "plan against restored state",
        "cleanup: delete scratch workspace",
    ]
    assert record["rto_achieved_s"] > 0 and record["rpo_api_s"] == 0
    assert record["targets"]["rto_s"] == 300 and record["cleanup_ok"] is True
    drill = Drill.objects.get(pk=record["id"])
    assert drill.run.status == RunStatus.SUCCEEDED
    messages = list(drill.run.log_lines.values_list("message", flat=True))
    assert any("terraform:" in m for m in messages)
    from tests.factories import SANDBOX_SECRET

    assert not any(SANDBOX_SECRET in m for m in messages)

    # A state that no longer matches the configuration fails the drill, and the command exits non-zero.
    newest = environment.state_versions.order_by("-created_at", "-id").first()
    from portal.core.crypto import decrypt_json, encrypt_json

    state = json.loads(decrypt_json(newest.state))
    state["resources"] = []
    body = json.dumps(state)
    import hashlib

    newest.state, newest.sha256 = encrypt_json(body), hashlib.sha256(body.encode()).hexdigest()
    newest.save(update_fields=["state", "sha256"])
    MembershipFactory(team=team, role="approver")
    with pytest.raises(CommandError, match="failed"):
        call_command("drill", "run", str(environment.pk), "--wait", "--timeout", "120", stdout=StringIO())
    failed = Drill.objects.filter(environment=environment).first()
    assert failed.status == DrillStatus.FAILED and "does not match" in failed.reason


def test_aws_settings_of_the_environment_win_over_the_teams(make_aws_environment, team, aws_env):
    from portal.dr.models import AwsSettings
    from portal.dr.services import drill_aws

    environment = make_aws_environment()
    AwsSettings.objects.create(team=team, region="eu-west-1")
    assert drill_aws(environment).region == "eu-west-1"
    assert drill_aws(environment).endpoint_url == aws_env["AWS_ENDPOINT_URL"]
    AwsSettings.objects.create(
        environment=environment,
        region="us-east-1",
        role_arn="arn:aws:iam::123456789012:role/portal-drill",
        external_id="ext-42",
    )
    aws = drill_aws(environment)
    assert aws.region == "us-east-1"
    # The session holds the assumed role's temporary credentials (moto's STS), not the worker's.
    credentials = aws.session.get_credentials()
    assert credentials.token and credentials.access_key != aws_env["AWS_ACCESS_KEY_ID"]
