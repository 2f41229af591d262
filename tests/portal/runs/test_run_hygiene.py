"""Run hygiene with real processes: no Terraform descendant outlives a cancel or a dead worker,
recovery needs no live worker, and a plan on one worker host is applied on another.

The sandbox's local-exec runs `sleep <apply_seconds>`; a duration no other test uses marks the
sleep, so /proc shows whether any of it survived."""

from __future__ import annotations

import base64
import io
import json
import random
import signal
import time
import zipfile
from pathlib import Path

import pytest
from django.db import connection

from portal.environments.models import StateLock, StateVersion
from portal.runs.models import RunKind, RunLogLine, RunStatus
from portal.runs.services import run_cancel, run_enqueue
from tests.portal.runs.conftest import log_tail, wait_for, wait_for_run
from tests.processes import RecoveryProcess, database_url, processes_running

pytestmark = pytest.mark.integration

HEARTBEAT_TIMEOUT_S = 3


def unusual_seconds() -> int:
    return random.randint(300, 600)


def started_applying(apply) -> bool:
    return RunLogLine.objects.filter(run=apply, message__contains="hello (instance 1").exists()


@pytest.fixture
def recovery(redis_url, transactional_db, tmp_path):
    """The recovery process, with a short heartbeat timeout."""
    process = RecoveryProcess(
        redis_url=redis_url,
        db_url=database_url(connection.settings_dict),
        logfile=tmp_path / "recovery.log",
        extra_env={
            "RUN_HEARTBEAT_TIMEOUT_S": str(HEARTBEAT_TIMEOUT_S),
            "RUN_REQUEUE_AFTER_S": "3600",
            "WORKER_HEARTBEAT_INTERVAL": "0.5",  # as the test workers beat
        },
    )
    process.start()
    yield process
    process.stop()


def test_cancel_mid_apply_lets_terraform_release_the_lock_and_leaves_no_orphan(
    portal_url, celery_worker, make_environment, requester
):
    seconds = unusual_seconds()
    environment = make_environment(app_replicas=1, apply_seconds=seconds)
    plan = wait_for_run(run_enqueue(kind=RunKind.PLAN, environment=environment, actor=requester))
    apply = run_enqueue(kind=RunKind.APPLY, environment=environment, actor=requester, plan_run=plan)
    wait_for(lambda: started_applying(apply), what="the local-exec to start")
    assert processes_running(["sleep", str(seconds)])
    run_cancel(run=apply, actor=requester)

    apply = wait_for_run(apply, timeout=60)
    assert apply.status == RunStatus.CANCELLED, log_tail(apply)
    # Terraform got SIGINT with its output still read: it saved state and unlocked, and exited
    # with 1 (an interrupted apply), not 255 (killed with the lock held).
    assert apply.exit_code == 1, log_tail(apply)
    assert StateVersion.objects.filter(environment=environment, run=apply).exists()
    messages = "\n".join(apply.log_lines.values_list("message", flat=True))
    assert "Error releasing the state lock" not in messages and "Failed to unlock" not in messages
    assert not StateLock.objects.filter(environment=environment).exists()
    assert processes_running(["sleep", str(seconds)]) == []


def test_kill_9_of_the_only_worker_leaves_no_orphan_and_recovery_needs_no_worker(
    portal_url, make_worker, recovery, make_environment, requester
):
    seconds = unusual_seconds()
    worker = make_worker(name="only")
    environment = make_environment(app_replicas=1, apply_seconds=seconds)
    plan = wait_for_run(run_enqueue(kind=RunKind.PLAN, environment=environment, actor=requester))
    apply = run_enqueue(kind=RunKind.APPLY, environment=environment, actor=requester, plan_run=plan)
    wait_for(lambda: started_applying(apply), what="the local-exec to start")
    wait_for(lambda: StateLock.objects.filter(environment=environment).exists(), what="the state lock")

    worker.stop(sig=signal.SIGKILL)  # the whole worker: main process and pool child; none restarts
    killed_at = time.monotonic()

    # Nothing Terraform started survives the worker.
    wait_for(lambda: not processes_running(["sleep", str(seconds)]), timeout=30, what="no orphaned sleep")
    # The recovery process fails the run and releases the lock within the timeout + 10 s.
    apply = wait_for_run(apply, timeout=HEARTBEAT_TIMEOUT_S + 10)
    assert time.monotonic() - killed_at <= HEARTBEAT_TIMEOUT_S + 10
    assert apply.status == RunStatus.FAILED
    assert "stopped heartbeating" in apply.error and "crashed or was killed" in apply.error, apply.error
    assert not StateLock.objects.filter(environment=environment).exists()


def test_a_plan_on_host_a_is_applied_on_host_b_and_an_apply_on_the_plan_host_skips_init(
    portal_url, make_worker, make_environment, requester, tmp_path, settings
):
    def host(name: str) -> dict[str, str]:
        """A host's own data folder. Like real hosts they share configuration only: the keys, and
        the installed Terraform with its provider mirror and CLI config."""
        data = tmp_path / name
        return {
            "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
            "TERRAFORM_CLI_CONFIG": settings.TERRAFORM_CLI_CONFIG,
            "PORTAL_DATA_DIR": str(data),
            "RUNS_WORK_DIR": str(data / "runs"),
            "TF_PLUGIN_CACHE_DIR": str(data / "plugin-cache"),
        }

    def init_notes(run) -> int:
        return run.log_lines.filter(stream="portal", message__startswith="terraform init (").count()

    environment = make_environment(app_replicas=1)
    host_a = make_worker(name="hosta", **host("a"))
    plan = wait_for_run(run_enqueue(kind=RunKind.PLAN, environment=environment, actor=requester))
    assert plan.status == RunStatus.SUCCEEDED and plan.worker_host.startswith("hosta@"), log_tail(plan)
    # Host A kept the plan's initialized folder; its provider is a link into A's plugin cache.
    providers = list((tmp_path / "a" / "runs" / "initialized" / f"plan-{plan.pk}").rglob("linux_amd64"))
    assert providers and all(p.is_symlink() for p in providers), providers
    assert all(Path(p.readlink()).is_relative_to(tmp_path / "a" / "plugin-cache") for p in providers)
    host_a.stop()

    make_worker(name="hostb", **host("b"))
    apply = wait_for_run(
        run_enqueue(kind=RunKind.APPLY, environment=environment, actor=requester, plan_run=plan)
    )
    assert apply.status == RunStatus.SUCCEEDED and apply.worker_host.startswith("hostb@"), log_tail(apply)
    assert init_notes(apply) == 1  # host B has no folder of A's: it ran init itself
    assert not (tmp_path / "b" / "runs" / "initialized" / f"plan-{plan.pk}").exists()

    # Plan and apply both on host B: the apply takes the plan's initialized folder, no init.
    plan = wait_for_run(run_enqueue(kind=RunKind.PLAN, environment=environment, actor=requester))
    apply = wait_for_run(
        run_enqueue(kind=RunKind.APPLY, environment=environment, actor=requester, plan_run=plan)
    )
    assert apply.status == RunStatus.SUCCEEDED, log_tail(apply)
    assert init_notes(apply) == 0
    assert apply.log_lines.filter(
        message__startswith=f"Reusing the folder terraform init prepared for plan run #{plan.pk}"
    ).exists()
    assert not (tmp_path / "b" / "runs" / "initialized" / f"plan-{plan.pk}").exists()  # taken


def test_one_init_per_version_and_worker_serves_every_environment_and_writes_no_credential(
    portal_url, celery_worker, make_environment, requester, settings
):
    from portal.core.crypto import decrypt_json
    from portal.environments.services import environment_state_password
    from portal.runs.models import RunPlanData

    def init_notes(run) -> int:
        return run.log_lines.filter(stream="portal", message__startswith="terraform init (").count()

    first = make_environment(name="first", app_replicas=1)
    second = make_environment(name="second", app_replicas=2)
    plans = []
    for environment in (first, second):
        plans.append(wait_for_run(run_enqueue(kind=RunKind.PLAN, environment=environment, actor=requester)))
        assert plans[-1].status == RunStatus.SUCCEEDED, log_tail(plans[-1])
    # The worker's first plan of the version ran init and kept the result as a template; the
    # second environment's plan copied it and ran no init process.
    assert init_notes(plans[0]) == 1 and init_notes(plans[1]) == 0
    assert plans[1].log_lines.filter(message__startswith="terraform init: reused this worker's").exists()
    templates = list((Path(settings.RUNS_WORK_DIR) / "init-templates").iterdir())
    assert len(templates) == 1, templates

    for environment, plan in zip((first, second), plans, strict=True):
        apply = wait_for_run(
            run_enqueue(kind=RunKind.APPLY, environment=environment, actor=requester, plan_run=plan)
        )
        assert apply.status == RunStatus.SUCCEEDED, log_tail(apply)
    # Each environment's state went to its own address: one app instance in the first, two in the second.
    for environment, replicas in ((first, 1), (second, 2)):
        state = json.loads(decrypt_json(environment.state_versions.latest("created_at").state))
        apps = [r for r in state["resources"] if r["name"] == "app"]
        assert len(apps[0]["instances"]) == replicas, apps

    # The state credentials reached Terraform in its environment only: not in the stored plan
    # files, not in the template, not in any folder the worker keeps.
    passwords = [environment_state_password(e).encode() for e in (first, second)]
    for data in RunPlanData.objects.filter(run__in=plans):
        plan_file = base64.b64decode(decrypt_json(data.plan_file))
        with zipfile.ZipFile(io.BytesIO(plan_file)) as archive:
            contents = b"".join(archive.read(name) for name in archive.namelist())
        assert b"tfplan" in b"".join(n.encode() for n in archive.namelist())
        assert not any(p in contents for p in passwords)
    kept = [p for p in Path(settings.RUNS_WORK_DIR).rglob("*") if p.is_file() and not p.is_symlink()]
    assert kept and not any(p in path.read_bytes() for path in kept for p in passwords)
