"""DR drill benchmarks: the estate DR page at scale, and a sandbox drill's overhead outside Terraform.

Both work inside a transaction that is rolled back, so the database is left as it was.

* Estate page: 10,000 active environments and 50,000 finished drills (5 per environment, each
  with its run), the schedule rows pointing at each environment's newest drill. Server time of
  GET /dr/ (50 rows, overdue and failing first) through Django's test client as a platform
  admin: p50, p95, the p95 of this process's CPU time (SQLite runs in it; less sensitive to a busy
  machine) and the query count. Target: p95 < 150 ms.
* Sandbox drill overhead: a local-sandbox environment applied for real (its state stored as a
  state version), then a state-restore drill executed in this process the way a worker does
  (claim, log sink, heartbeat, Drill record). Overhead = the drill run's wall time minus the time
  inside its two Terraform processes (init, plan). Median of 5. Target < 200 ms.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from bench.timing import percentile, timed


class _Rollback(Exception):
    pass


def _sandbox_version() -> Any:
    from portal.catalog.models import Blueprint

    blueprint = Blueprint.objects.filter(slug="local-sandbox").select_related("latest_version").first()
    if blueprint is None or blueprint.latest_version is None:
        raise RuntimeError("no local-sandbox blueprint: run `python manage.py blueprints sync` first")
    return blueprint.latest_version


def bench_estate(
    environments: int = 10_000, drills_per_environment: int = 5, repeat: int = 30
) -> dict[str, float]:
    from portal.accounts.models import Membership, Role, Team
    from portal.dr.models import Drill, DrillSchedule
    from portal.environments.models import Environment
    from portal.runs.models import Run, RunKind, RunStatus

    figures: dict[str, float] = {}
    version = _sandbox_version()
    try:
        with transaction.atomic():
            now = timezone.now()
            User = get_user_model()
            admin = User.objects.create(username="bench-dr-admin")
            team = Team.objects.create(slug="bench-dr", name="Bench DR")
            Membership.objects.create(user=admin, team=team, role=Role.PLATFORM_ADMIN)
            Environment.objects.bulk_create(
                Environment(
                    team=team,
                    owner=admin,
                    name=f"dr{i:05d}",
                    blueprint_version=version,
                    tier="prod",
                    status="active",
                )
                for i in range(environments)
            )
            env_ids = list(Environment.objects.filter(team=team).values_list("pk", flat=True))
            runs = Run.objects.bulk_create(
                Run(kind=RunKind.DRILL, status=RunStatus.SUCCEEDED, environment_id=env_id, finished_at=now)
                for env_id in env_ids
                for _ in range(drills_per_environment)
            )
            statuses = ["passed", "passed", "passed", "failed"]
            made = Drill.objects.bulk_create(
                Drill(
                    run=run,
                    environment_id=run.environment_id,
                    runbook="state-restore",
                    status=statuses[i % 4],
                    rto_target_s=300,
                    rpo_target_s=0,
                    rto_achieved_s=3.0 + i % 7,
                    rpo_api_s=0.0,
                    cleanup_ok=True,
                    finished_at=now,
                )
                for i, run in enumerate(runs)
            )
            newest = {drill.environment_id: drill for drill in made}
            DrillSchedule.objects.bulk_create(
                DrillSchedule(
                    environment_id=env_id,
                    frequency="monthly",
                    next_due_at=now,
                    overdue_at=now if env_id % 9 == 0 else now + timezone.timedelta(days=30),
                    last_drill=newest[env_id],
                )
                for env_id in env_ids
            )
            client = Client()
            client.force_login(admin)
            assert client.get("/dr/").status_code == 200
            queries: list[str] = []

            def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
                queries.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                client.get("/dr/")
            samples = timed(lambda: client.get("/dr/"), repeat)
            # CPU time of this process (SQLite runs in it too): less sensitive to a busy machine.
            cpu = []
            for _ in range(repeat):
                start = time.process_time()
                client.get("/dr/")
                cpu.append((time.process_time() - start) * 1000)
            figures = {
                "dr.estate_page_environments": float(environments),
                "dr.estate_page_drills": float(len(made)),
                "dr.estate_page_p50_ms": round(statistics.median(samples), 2),
                "dr.estate_page_p95_ms": round(percentile(samples, 95), 2),
                "dr.estate_page_cpu_p95_ms": round(percentile(cpu, 95), 2),
                "dr.estate_page_queries": float(len(queries)),
            }
            raise _Rollback
    except _Rollback:
        pass
    return figures


def _applied_state(environment: Any, version: Any, workdir: Path) -> bytes:
    """Applies the sandbox environment for real in a local-backend folder; returns its state."""
    from portal.runs.execution import work_folder_write
    from workers.runner.process import minimal_env
    from workers.runner.redaction import Redactor
    from workers.runner.terraform import Terraform

    module_dir, _, _ = work_folder_write(
        environment=environment,
        version=version,
        inputs=environment.inputs,
        secret_inputs=environment.secret_inputs,
        workdir=workdir,
        with_backend=False,
    )
    home = workdir / ".home"
    home.mkdir(exist_ok=True)
    tf = Terraform(
        binary=settings.TERRAFORM_BIN,
        workdir=module_dir,
        env=minimal_env(home=home, cli_config=settings.TERRAFORM_CLI_CONFIG),
        redactor=Redactor([]),
        on_line=lambda line: None,
        timeout_s=300,
    )
    for step in (tf.init, tf.plan):
        if not step().ok:
            raise RuntimeError("terraform init/plan of the sandbox failed: run `make mirror` first")
    if not tf.apply("plan.tfplan").ok:
        raise RuntimeError("terraform apply of the sandbox failed")
    return (module_dir / "terraform.tfstate").read_bytes()


def bench_sandbox_drill(rounds: int = 5) -> dict[str, float]:
    from portal.accounts.models import Membership, Role, Team
    from portal.core.crypto import encrypt_json
    from portal.dr.models import Drill
    from portal.dr.services import drill_start
    from portal.environments.models import Environment
    from portal.environments.services import state_write
    from portal.runs.execution import run_execute

    version = _sandbox_version()
    overheads: list[float] = []
    walls: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-drill-") as tmp:
        old_work_dir = settings.RUNS_WORK_DIR
        settings.RUNS_WORK_DIR = Path(tmp) / "runs"
        try:
            with transaction.atomic():
                admin = get_user_model().objects.create(username="bench-drill-admin")
                team = Team.objects.create(slug="bench-drill", name="Bench drill", cost_centre="cc-1")
                Membership.objects.create(user=admin, team=team, role=Role.PLATFORM_ADMIN)
                environment = Environment.objects.create(
                    team=team,
                    owner=admin,
                    name="drill-bench",
                    blueprint_version=version,
                    tier="dev",
                    status="active",
                    inputs={
                        "app_replicas": 1,
                        "greeting": "hello",
                        "enable_cache": False,
                        "apply_seconds": 0,
                    },
                    secret_inputs=encrypt_json({"api_token": "tok-bench-0123456789"}),
                )
                state = _applied_state(environment, version, Path(tmp) / "apply")
                state_write(environment=environment, body=state, lock_id="")
                for _ in range(rounds):
                    drill = drill_start(environment=environment, actor=admin)
                    start = time.perf_counter()
                    run_execute(run_id=drill.run_id, worker_host="bench", task_id=f"bench-{drill.run_id}")
                    wall = time.perf_counter() - start
                    drill = Drill.objects.get(pk=drill.pk)
                    if drill.status != "passed":
                        raise RuntimeError(f"the sandbox drill did not pass: {drill.reason}")
                    steps = {s["name"]: s for s in drill.result["steps"]}
                    terraform_s = sum(
                        steps[name]["evidence"]["duration_s"]
                        for name in ("terraform init", "plan against restored state")
                    )
                    walls.append(wall * 1000)
                    overheads.append((wall - terraform_s) * 1000)
                raise _Rollback
        except _Rollback:
            pass
        finally:
            settings.RUNS_WORK_DIR = old_work_dir
    return {
        "dr.sandbox_drill_wall_p50_ms": round(statistics.median(walls), 1),
        "dr.sandbox_drill_overhead_p50_ms": round(statistics.median(overheads), 1),
        "dr.sandbox_drill_overhead_max_ms": round(max(overheads), 1),
    }


def bench_drills() -> dict[str, float]:
    return {**bench_estate(), **bench_sandbox_drill()}
