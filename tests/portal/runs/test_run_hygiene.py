"""Run hygiene with real processes: no Terraform descendant outlives a cancel or a dead worker,
recovery needs no live worker, and a plan on one worker host is applied on another.

The sandbox's local-exec runs `sleep <apply_seconds>`; a duration no other test uses marks the
sleep, so /proc shows whether any of it survived."""

from __future__ import annotations

import random
import signal
import time
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
