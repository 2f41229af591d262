"""An apply through a 30-second PostgreSQL outage, on a whole throwaway portal.

`python -m tests.portal.runs.outage_scenario` (run by test_database_outage.py) starts its own
PostgreSQL cluster, redis-server, gunicorn (the Terraform state backend), one Celery worker and
the recovery process, and points this process's Django at the same database. It plans, starts
the apply, stops PostgreSQL with `pg_ctl stop -m immediate` as soon as the apply's local-exec
has started, starts it again OUTAGE_S later, waits for the run to end and prints what it found
as one JSON line. The apply's local-exec ends during the outage, so Terraform's state write and
unlock meet the outage too. Its own cluster makes the scenario the same in the SQLite and the
PostgreSQL pass of the suite.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.processes import (
    ROOT,
    VENV_BIN,
    CeleryWorker,
    PostgresCluster,
    RecoveryProcess,
    RedisServer,
    free_port,
    wait_until,
)

OUTAGE_S = 30
APPLY_SECONDS = 12  # the local-exec sleep: Terraform finishes its apply within the outage
HEARTBEAT_TIMEOUT_S = 20  # shorter than the outage: the recovery process must not reap the run


def web_answers(url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(f"{url}/login/", timeout=1)  # noqa: S310 - our own loopback server
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="portal-outage-"))
    cluster, started = PostgresCluster(), []
    try:
        cluster.init()
        redis_server = RedisServer(tmp / "redis")
        redis_server.start()
        started.append(redis_server)
        web_port = free_port()
        web_url = f"http://127.0.0.1:{web_port}"
        env = {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": cluster.url,
            "REDIS_URL": redis_server.url,
            "PORTAL_DATA_DIR": str(tmp / "data"),
            "RUNS_WORK_DIR": str(tmp / "runs"),
            "PORTAL_INTERNAL_URL": web_url,
            "RUN_HEARTBEAT_TIMEOUT_S": str(HEARTBEAT_TIMEOUT_S),
            "RUN_REQUEUE_AFTER_S": "3600",
            "TERRAFORM_CLI_CONFIG": os.environ.get(
                "TERRAFORM_CLI_CONFIG", str(ROOT / "data" / "terraform" / "terraformrc")
            ),
            "LOG_LEVEL": "INFO",
            "WORKER_HEARTBEAT_INTERVAL": "0.5",
        }
        os.environ.update(env)
        os.environ.pop("CELERY_BROKER_URL", None)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, check=True, capture_output=True
        )
        web_log = open(tmp / "web.log", "ab")  # noqa: SIM115 - closed with the process
        web = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "portal.wsgi:application",
                f"--bind=127.0.0.1:{web_port}",
                "--workers=2",
                "--access-logfile=-",
            ],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=web_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append(web)
        worker = CeleryWorker(
            redis_url=redis_server.url, db_url=cluster.url, logfile=tmp / "worker.log", extra_env=env
        )
        worker.start()
        started.append(worker)
        recovery = RecoveryProcess(
            redis_url=redis_server.url, db_url=cluster.url, logfile=tmp / "recovery.log"
        )
        recovery.start()
        started.append(recovery)
        wait_until(lambda: web_answers(web_url), 60, "the web server")

        import django

        django.setup()
        from django.db import close_old_connections, connection

        from portal.environments.models import StateLock, StateVersion
        from portal.runs.models import FINISHED_STATUSES, Run, RunKind, RunStatus
        from portal.runs.services import run_enqueue
        from tests.factories import (
            SANDBOX_RUN_INPUTS,
            MembershipFactory,
            TeamFactory,
            environment_from_request,
            published_sandbox,
        )

        team = TeamFactory()
        requester = MembershipFactory(team=team, role="requester").user
        environment = environment_from_request(
            team=team,
            requester=requester,
            blueprint_version=published_sandbox(),
            environment_name="outage",
            tier="dev",
            runnable=True,
            inputs={**SANDBOX_RUN_INPUTS, "app_replicas": 1, "apply_seconds": APPLY_SECONDS},
        )

        def finished(run: Run, timeout: float) -> Run:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                run.refresh_from_db()
                if run.status in FINISHED_STATUSES:
                    return run
                time.sleep(0.2)
            raise TimeoutError(f"run {run.pk} still {run.status} after {timeout} s")

        plan = finished(run_enqueue(kind=RunKind.PLAN, environment=environment, actor=requester), 120)
        if plan.status != RunStatus.SUCCEEDED:
            raise RuntimeError(f"the plan failed: {plan.error}")
        apply = run_enqueue(kind=RunKind.APPLY, environment=environment, actor=requester, plan_run=plan)
        wait_until(
            lambda: apply.log_lines.filter(message__contains="hello (instance 1").exists(),
            120,
            "the local-exec",
        )
        connection.close()
        cluster.stop("immediate")
        down_at = time.monotonic()
        time.sleep(OUTAGE_S)  # the outage itself: what the scenario is about, not a wait for a condition
        cluster.start()
        up_after = time.monotonic() - down_at
        close_old_connections()
        apply = finished(apply, 300)
        seqs = list(apply.log_lines.order_by("seq").values_list("seq", flat=True))
        messages = list(apply.log_lines.order_by("seq").values_list("message", flat=True))

        # The idle worker keeps its database connection between tasks; a restart breaks it, and
        # the next run must still be claimed and run (the connection is checked before a task).
        connection.close()
        cluster.stop("fast")
        cluster.start()
        close_old_connections()
        replan = finished(run_enqueue(kind=RunKind.PLAN, environment=environment, actor=requester), 120)
        print(
            json.dumps(
                {
                    "outage_s": round(up_after, 1),
                    "status": apply.status,
                    "error": apply.error,
                    "exit_code": apply.exit_code,
                    "state_versions": StateVersion.objects.filter(environment=environment, run=apply).count(),
                    "locked": StateLock.objects.filter(environment=environment).exists(),
                    "environment_status": type(environment).objects.get(pk=environment.pk).status,
                    "seqs": seqs,
                    "log_lines_count": apply.log_lines_count,
                    "messages": messages,
                    "web_503": (tmp / "web.log").read_text(errors="replace").count(" 503 "),
                    "web_500": (tmp / "web.log").read_text(errors="replace").count(" 500 "),
                    "replan": [replan.status, replan.error],
                }
            ),
            flush=True,
        )
    except BaseException:
        for name in ("worker.log", "web.log", "recovery.log"):
            if (tmp / name).exists():
                print(f"--- {name}\n{(tmp / name).read_text(errors='replace')[-3000:]}", file=sys.stderr)
        raise
    finally:
        for process in reversed(started):
            if isinstance(process, subprocess.Popen):
                process.terminate()
                process.wait(timeout=20)
            else:
                process.stop()
        cluster.remove()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
