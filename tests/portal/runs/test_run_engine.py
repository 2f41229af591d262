"""The run engine end to end with real processes: Redis, Celery workers, Terraform 1.0.3 with the
offline null provider, and the portal's own HTTP state backend on a live server."""

from __future__ import annotations

import json
import signal

import pytest
from django.db import connection

from portal.environments.models import EnvironmentStatus, StateLock, StateVersion
from portal.runs.models import Run, RunKind, RunLogLine, RunStatus
from portal.runs.services import RunConflict, RunNotAllowed, run_cancel, run_enqueue, runs_reap
from tests.portal.runs.conftest import SECRET, log_tail, wait_for, wait_for_run

pytestmark = pytest.mark.integration


def plan_and_apply(environment, actor, destroy=False, timeout=60):
    plan = wait_for_run(
        run_enqueue(kind=RunKind.PLAN, environment=environment, actor=actor, destroy_plan=destroy)
    )
    assert plan.status == RunStatus.SUCCEEDED, log_tail(plan)
    apply = run_enqueue(
        kind=RunKind.DESTROY if destroy else RunKind.APPLY,
        environment=environment,
        actor=actor,
        plan_run=plan,
    )
    return plan, wait_for_run(apply, timeout)


def test_plan_apply_destroy_with_outputs_state_and_no_secret_stored(
    portal_url, celery_worker, make_environment, requester
):
    environment = make_environment(app_replicas=2)
    plan, apply = plan_and_apply(environment, requester)
    assert (plan.plan_add, plan.plan_change, plan.plan_destroy) == (3, 0, 0)
    assert len(plan.plan_sha256) == 64 and {r["address"] for r in plan.plan_resources} == {
        "null_resource.app[0]",
        "null_resource.app[1]",
        "null_resource.healthcheck",
    }
    assert apply.status == RunStatus.SUCCEEDED, log_tail(apply)
    assert apply.exit_code == 0 and apply.worker_host.startswith("test@") and apply.celery_task_id
    environment.refresh_from_db()
    assert environment.status == EnvironmentStatus.ACTIVE
    assert environment.outputs["app_url"]["value"] == "http://sbx.sandbox.local"
    assert environment.outputs["api_token"] == {"value": "(sensitive)", "sensitive": True}
    assert StateVersion.objects.filter(environment=environment).count() >= 1
    assert not StateLock.objects.filter(environment=environment).exists()
    messages = list(RunLogLine.objects.filter(run=apply).values_list("message", flat=True))
    assert any("hello (instance 1 of 2)" in m for m in messages), messages[:20]

    _, destroy = plan_and_apply(environment, requester, destroy=True)
    assert destroy.status == RunStatus.SUCCEEDED, log_tail(destroy)
    environment.refresh_from_db()
    assert environment.status == EnvironmentStatus.DESTROYED

    # The secret was in tfvars, the plan, the state and an output: it is in no table in clear.
    with connection.cursor() as cursor:
        for table in (
            "runs_runlogline",
            "runs_run",
            "environments_stateversion",
            "environments_environment",
            "audit_auditevent",
        ):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            assert SECRET not in json.dumps(cursor.fetchall(), default=str), table


def test_log_lines_are_stored_before_the_run_ends(portal_url, celery_worker, make_environment, requester):
    environment = make_environment(app_replicas=1, apply_seconds=4)
    plan = wait_for_run(run_enqueue(kind=RunKind.PLAN, environment=environment, actor=requester))
    apply = run_enqueue(kind=RunKind.APPLY, environment=environment, actor=requester, plan_run=plan)
    wait_for(
        lambda: RunLogLine.objects.filter(run=apply, message__contains="hello (instance 1").exists(),
        what="the first provisioner line",
    )
    apply.refresh_from_db()
    assert apply.status == RunStatus.RUNNING  # still sleeping in local-exec
    assert wait_for_run(apply).status == RunStatus.SUCCEEDED


def test_cancel_mid_apply_releases_the_lock_and_the_next_run_works(
    portal_url, celery_worker, make_environment, requester
):
    environment = make_environment(app_replicas=1, apply_seconds=60)
    plan = wait_for_run(run_enqueue(kind=RunKind.PLAN, environment=environment, actor=requester))
    apply = run_enqueue(kind=RunKind.APPLY, environment=environment, actor=requester, plan_run=plan)
    wait_for(lambda: StateLock.objects.filter(environment=environment).exists(), what="the state lock")
    wait_for(lambda: RunLogLine.objects.filter(run=apply, message__contains="hello (instance 1").exists())
    run_cancel(run=apply, actor=requester)
    apply = wait_for_run(apply, timeout=30)
    assert apply.status == RunStatus.CANCELLED
    assert not StateLock.objects.filter(environment=environment).exists()
    again = wait_for_run(run_enqueue(kind=RunKind.PLAN, environment=environment, actor=requester))
    assert again.status == RunStatus.SUCCEEDED, log_tail(again)


def test_kill_9_of_the_worker_fails_the_run_releases_the_lock_and_the_next_run_works(
    portal_url, make_worker, make_environment, requester, settings
):
    worker = make_worker(name="doomed")
    environment = make_environment(app_replicas=1, apply_seconds=60)
    plan = wait_for_run(run_enqueue(kind=RunKind.PLAN, environment=environment, actor=requester))
    apply = run_enqueue(kind=RunKind.APPLY, environment=environment, actor=requester, plan_run=plan)
    wait_for(lambda: StateLock.objects.filter(environment=environment).exists(), what="the state lock")
    worker.stop(sig=signal.SIGKILL)  # the whole worker: main process and its pool child

    settings.RUN_HEARTBEAT_TIMEOUT_S = 2
    apply = wait_for(lambda: runs_reap() or None, timeout=20, what="the reaper")[0]
    assert apply.status == RunStatus.FAILED and "stopped heartbeating" in apply.error
    assert not StateLock.objects.filter(environment=environment).exists()

    make_worker(name="rescue")
    retry = wait_for_run(run_enqueue(kind=RunKind.PLAN, environment=environment, actor=requester))
    assert retry.status == RunStatus.SUCCEEDED, log_tail(retry)
    # The redelivered message of the killed apply did not run it a second time.
    assert Run.objects.get(pk=apply.pk).status == RunStatus.FAILED


def test_a_duplicate_message_does_not_run_again(portal_url, celery_worker, make_environment, requester):
    from portal.celery import app

    environment = make_environment()
    plan = wait_for_run(run_enqueue(kind=RunKind.PLAN, environment=environment, actor=requester))
    lines, finished_at = plan.log_lines_count, plan.finished_at
    app.send_task("portal.run_execute", args=[plan.pk], queue="runs", task_id=f"run-{plan.pk}")
    marker = wait_for_run(run_enqueue(kind=RunKind.DRIFT, environment=environment, actor=requester))
    assert marker.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)  # the queue was drained past it
    plan.refresh_from_db()
    assert (plan.log_lines_count, plan.finished_at) == (lines, finished_at)


def test_a_second_concurrent_apply_is_refused(portal_url, make_environment, requester, transactional_db):
    environment = make_environment()
    Run.objects.create(kind=RunKind.APPLY, environment=environment, status=RunStatus.RUNNING)
    with pytest.raises(RunConflict, match="already has an active run"):
        run_enqueue(kind=RunKind.PLAN, environment=environment, actor=requester)


@pytest.mark.parametrize("kind", [RunKind.PLAN, RunKind.DRIFT, RunKind.IMAGE_BUILD])
def test_a_run_without_what_it_runs_on_is_refused(kind, requester, db):
    with pytest.raises(RunNotAllowed, match="needs"):
        run_enqueue(kind=kind, actor=requester)
    assert not Run.objects.exists()


def test_after_a_redis_restart_no_queued_run_is_lost(
    portal_url, redis_server, make_worker, make_environment, requester, settings
):
    environments = [make_environment(name=f"r{i}x") for i in range(3)]
    runs = [run_enqueue(kind=RunKind.PLAN, environment=env, actor=requester) for env in environments]
    import redis

    redis.Redis.from_url(redis_server.url).flushall()  # what a restart without persistence leaves
    redis_server.restart()
    settings.RUN_REQUEUE_AFTER_S = 0
    from portal.runs.services import runs_requeue_lost

    assert {r.pk for r in runs_requeue_lost()} == {r.pk for r in runs}
    make_worker(name="after-restart")
    assert all(wait_for_run(run).status == RunStatus.SUCCEEDED for run in runs)


def test_drift_is_detected_after_a_resource_vanishes_from_state(
    portal_url, celery_worker, make_environment, requester
):
    from portal.environments.services import state_latest, state_write

    environment = make_environment(app_replicas=2)
    plan_and_apply(environment, requester)
    clean = wait_for_run(run_enqueue(kind=RunKind.DRIFT, environment=environment, actor=requester))
    assert clean.status == RunStatus.SUCCEEDED and clean.drift_detected is False and clean.exit_code == 0

    state = json.loads(state_latest(environment))
    app = next(r for r in state["resources"] if r["name"] == "app")
    app["instances"] = app["instances"][:1]  # "someone deleted instance 1 outside Terraform"
    state["serial"] += 1
    state_write(environment=environment, body=json.dumps(state).encode(), lock_id="")
    drift = wait_for_run(run_enqueue(kind=RunKind.DRIFT, environment=environment, actor=requester))
    assert drift.status == RunStatus.SUCCEEDED and drift.drift_detected is True and drift.exit_code == 2
    environment.refresh_from_db()
    assert environment.drift_status == "drifted"
    assert any(c["address"] == "null_resource.app[1]" for c in environment.drift_changes)


def test_image_build_records_the_artifact(celery_worker, sandbox, platform_admin):
    from portal.catalog.models import MachineImage

    run = wait_for_run(run_enqueue(kind=RunKind.IMAGE_BUILD, image_source=sandbox, actor=platform_admin))
    assert run.status == RunStatus.SUCCEEDED, log_tail(run)
    image = MachineImage.objects.get(run=run)
    assert image.artifacts == [{"region": "", "image_id": "Null"}]
    assert RunLogLine.objects.filter(
        run=run, message__contains=f"building image local-sandbox-{sandbox.version}"
    ).exists()


def test_terraform_gets_no_portal_secrets_and_aws_runs_get_only_aws_credentials(monkeypatch, tmp_path):
    from portal.runs.execution import _tool_env

    monkeypatch.setenv("SECRET_KEY", "portal-secret")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:pw@db/portal")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE12")
    local = _tool_env(tmp_path, "local")
    aws = _tool_env(tmp_path, "aws")
    for env in (local, aws):
        assert "SECRET_KEY" not in env and "DATABASE_URL" not in env
        assert env["HOME"] == str(tmp_path) and env["TF_IN_AUTOMATION"] == "1"
    assert "AWS_ACCESS_KEY_ID" not in local and aws["AWS_ACCESS_KEY_ID"] == "AKIAEXAMPLEEXAMPLE12"
