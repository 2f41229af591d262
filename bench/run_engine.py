"""The run-engine benchmark: queue latency, orchestration overhead and throughput of real runs.

`bench_run_engine` (registered in bench.BENCHMARKS) runs bench/run_engine_harness.py as a
child process. That harness starts a throwaway portal (fresh SQLite file, its own redis-server,
gunicorn and two Celery workers with concurrency 1, all on loopback) and calls
`measure_run_engine` against it; this process and its database are never touched.

What is measured, all with the local-sandbox blueprint (null provider, Terraform 1.0.3 offline):

* Queue latency: Run.created_at (written in the transaction that queues the run, a few ms
  before its commit, so the figure errs high) to the start of the run's `terraform init` process,
  as recorded by the harness's TERRAFORM_BIN shim. 50 plan runs, one at a time on idle workers.
  Also printed: the same figure taken from the "terraform init (...)" log note's created_at
  (set when LogSink flushes it; today the first cancel poll flushes it right after the process
  is spawned, so the two agree within a few ms) and the p50 of its parts: created ->
  enqueued_at (commit and broker send), enqueued_at -> started_at (broker delivery and claim),
  started_at -> Terraform start (log sink, run folder, tfvars and backend files).
* Orchestration overhead: queue->finished of a plan run plus queue->finished of its apply run,
  divided by raw `terraform init`, `plan -out` and `apply plan` in a fresh folder holding the same
  module and tfvars with a local backend. Same binary, CLI config and TF_PLUGIN_CACHE_DIR; rounds
  alternate which goes first; the ratio is of the medians. The portal's time is also split into
  time inside its six Terraform processes (init, plan, show -json; init, apply, output -json) and
  time outside them (queueing, claiming, files, logs, database, the shim's ~2 ms per command).
* Throughput: 50 plan runs on 50 environments queued at once on 2 worker processes with
  concurrency 1 each; first Run.created_at to last Run.finished_at.

For a quick try of the harness: BENCH_RUNS=4 BENCH_OVERHEAD_ROUNDS=2 python -m bench.run_engine_harness
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HARNESS = "bench.run_engine_harness"
TIMEOUT_S = 1800.0
RUNS = 50
OVERHEAD_ROUNDS = 5
INPUTS = {"app_replicas": 2, "greeting": "hello", "enable_cache": False, "apply_seconds": 0}
SECRET_INPUTS = {"api_token": "bench-token-not-a-secret-1234"}


def bench_run_engine() -> dict[str, float | str]:
    """Runs the benchmark harness in a child process and returns the figures it printed."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", HARNESS], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )  # stderr (progress, and log tails on failure) goes straight to the terminal
    try:
        stdout, _ = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)  # the harness stops its children and removes its temp dir
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        raise RuntimeError(f"the run-engine benchmark did not finish within {TIMEOUT_S:.0f} s") from None
    if proc.returncode != 0:
        raise RuntimeError(f"the run-engine benchmark failed (exit code {proc.returncode}); see above")
    figures: dict[str, float | str] = {}
    for line in stdout.splitlines():
        name, _, value = line.strip().partition(" ")
        if not name.startswith("run_engine."):
            continue
        try:
            figures[name] = float(value)
        except ValueError:
            figures[name] = value
    return figures


# --------------------------------------------------------------------------------------------------
# The measurements; these run inside the harness, against its throwaway database.


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


@dataclass(frozen=True)
class TerraformCall:
    start: float  # epoch seconds
    end: float
    command: str


def _terraform_calls(times_file: Path, runs_dir: Path) -> dict[int, list[TerraformCall]]:
    """Run id -> the Terraform commands the shim saw that run's worker start, in order."""
    prefix = f"{runs_dir}/run-"
    calls: dict[int, list[TerraformCall]] = {}
    for line in times_file.read_text().splitlines():
        start, end, command, cwd = line.split(" ", 3)
        if cwd.startswith(prefix):
            run_id = int(cwd[len(prefix) :].split("/")[0])
            calls.setdefault(run_id, []).append(TerraformCall(float(start), float(end), command))
    return {run_id: sorted(found, key=lambda call: call.start) for run_id, found in calls.items()}


def _init_start(calls: list[TerraformCall]) -> float:
    return next(call.start for call in calls if call.command == "init")


def _seconds(later: datetime | None, earlier: datetime | None) -> float:
    assert later is not None and earlier is not None
    return (later - earlier).total_seconds()


def measure_run_engine(
    *,
    times_file: Path,
    scratch: Path,
    check_alive: Callable[[], None],
    progress: Callable[[str], None],
    runs: int = RUNS,
    overhead_rounds: int = OVERHEAD_ROUNDS,
) -> dict[str, float | str]:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from bench.timing import percentile
    from portal.accounts.models import Membership, Role, Team
    from portal.catalog.models import Blueprint
    from portal.catalog.services import blueprints_sync
    from portal.core.crypto import encrypt_json
    from portal.environments.models import Environment
    from portal.environments.services import environment_create
    from portal.requests.models import EnvironmentRequest
    from portal.runs.execution import work_folder_write
    from portal.runs.models import FINISHED_STATUSES, Run, RunKind, RunLogLine, RunStatus
    from portal.runs.services import run_enqueue
    from workers import runner

    blueprints_sync()
    version = Blueprint.objects.get(slug="local-sandbox").latest_version
    assert version is not None
    team = Team.objects.create(slug="bench", name="Bench", cost_centre="CC-BENCH")
    user = get_user_model().objects.create_user(username="bench", password=None)
    Membership.objects.create(user=user, team=team, role=Role.REQUESTER)
    secret_inputs = encrypt_json(SECRET_INPUTS)

    def make_environment(name: str) -> Environment:
        with transaction.atomic():
            request = EnvironmentRequest.objects.create(
                team=team,
                requester=user,
                blueprint_version=version,
                environment_name=name,
                tier="dev",
                inputs=INPUTS,
                secret_inputs=secret_inputs,
                secret_input_names=list(SECRET_INPUTS),
            )
            return environment_create(request=request, actor=user)

    def wait_finished(run_ids: list[int], timeout: float) -> list[Run]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not Run.objects.filter(pk__in=run_ids).exclude(status__in=FINISHED_STATUSES).exists():
                found = Run.objects.in_bulk(run_ids)
                return [found[pk] for pk in run_ids]
            check_alive()
            time.sleep(0.05)
        raise TimeoutError(f"runs {run_ids[:5]}... not finished after {timeout:g}s")

    def log_tail(run: Run) -> str:
        lines = list(run.log_lines.order_by("-seq").values_list("message", flat=True)[:10])
        return f"run {run.pk} {run.status}: {run.error}\n  " + "\n  ".join(reversed(lines))

    def plan(environment: Environment) -> Run:
        return run_enqueue(kind=RunKind.PLAN, environment=environment, actor=user, reason="bench")

    def run_one(kind: str, environment: Environment, plan_run: Run | None = None) -> Run:
        run = run_enqueue(kind=kind, environment=environment, actor=user, plan_run=plan_run, reason="bench")
        (run,) = wait_finished([run.pk], 300)
        if run.status != RunStatus.SUCCEEDED:
            raise RuntimeError(f"a {kind} run did not succeed: {log_tail(run)}")
        return run

    # Warm-up (not measured): both workers import everything and open their connections, this
    # process connects to the broker, and the plugin cache gets the null provider.
    progress("warm-up: 2 plan runs")
    warm = wait_finished([plan(make_environment(f"warm-{i}")).pk for i in range(2)], 300)
    if any(run.status != RunStatus.SUCCEEDED for run in warm):
        raise RuntimeError("warm-up runs failed:\n" + "\n".join(log_tail(run) for run in warm))

    # 1. Queue latency: one run at a time, so a worker is always idle when the run is queued.
    progress(f"queue latency: {runs} plan runs, one at a time")
    latency_runs = [run_one(RunKind.PLAN, make_environment(f"lat-{i:02d}")) for i in range(runs)]
    calls = _terraform_calls(times_file, Path(settings.RUNS_WORK_DIR))
    notes = dict(
        RunLogLine.objects.filter(
            run__in=latency_runs, stream="portal", message__startswith="terraform init ("
        ).values_list("run_id", "created_at")
    )
    latency, by_note, to_dispatch, to_claim, claim_to_tf = [], [], [], [], []
    for run in latency_runs:
        assert run.created_at is not None
        latency.append(_init_start(calls[run.pk]) - run.created_at.timestamp())
        by_note.append(_seconds(notes[run.pk], run.created_at))
        to_dispatch.append(_seconds(run.enqueued_at, run.created_at))
        to_claim.append(_seconds(run.started_at, run.enqueued_at))
        assert run.started_at is not None
        claim_to_tf.append(_init_start(calls[run.pk]) - run.started_at.timestamp())

    # 2. Orchestration overhead: the portal's plan+apply against raw Terraform on the same module.
    progress(f"orchestration overhead: {overhead_rounds} rounds of portal plan+apply vs raw terraform")
    terraform_bin = settings.TERRAFORM_BIN

    def portal_plan_apply(environment: Environment) -> tuple[float, float]:
        """Queue->finished of the plan run plus that of the apply run, and the part of it spent
        inside Terraform processes (init, plan, show -json; init, apply, output -json)."""
        plan_run = run_one(RunKind.PLAN, environment)
        apply_run = run_one(RunKind.APPLY, environment, plan_run=plan_run)
        calls = _terraform_calls(times_file, Path(settings.RUNS_WORK_DIR))
        in_terraform = 0.0
        for run in (plan_run, apply_run):
            for call in calls[run.pk]:
                in_terraform += call.end - call.start
                per_command.setdefault(f"{run.kind} run {call.command}", []).append(call.end - call.start)
        total = _seconds(plan_run.finished_at, plan_run.created_at) + _seconds(
            apply_run.finished_at, apply_run.created_at
        )
        return total, in_terraform

    def raw_plan_apply(environment: Environment, folder: Path) -> float:
        """The run folder a run of this environment gets, written by the runs' own code but
        without the backend config (local state); the same Terraform binary, CLI config and
        plugin cache; timed from `init` to the end of `apply`."""
        module_dir, _, _ = work_folder_write(
            environment=environment,
            version=environment.blueprint_version,
            inputs=environment.inputs,
            secret_inputs=environment.secret_inputs,
            workdir=folder,
            with_backend=False,
        )
        Path(settings.TF_PLUGIN_CACHE_DIR).mkdir(parents=True, exist_ok=True)
        env = runner.minimal_env(
            home=folder,
            cli_config=settings.TERRAFORM_CLI_CONFIG,
            extra={"TF_PLUGIN_CACHE_DIR": settings.TF_PLUGIN_CACHE_DIR},
        )
        commands = [
            ["init", "-input=false", "-no-color"],
            ["plan", "-input=false", "-json", "-out=plan.tfplan", f"-var-file={runner.TFVARS_FILE}"],
            ["apply", "-input=false", "-json", "plan.tfplan"],
        ]
        started = time.perf_counter()
        for args in commands:
            command_started = time.perf_counter()
            result = subprocess.run(
                [terraform_bin, *args], cwd=module_dir, env=env, capture_output=True, timeout=300
            )
            if result.returncode != 0:
                raise RuntimeError(f"raw terraform {args[0]} failed:\n{result.stdout[-2000:]!r}")
            per_command.setdefault(f"raw {args[0]}", []).append(time.perf_counter() - command_started)
        return time.perf_counter() - started

    portal_s, in_terraform_s, raw_s = [], [], []
    per_command: dict[str, list[float]] = {}  # "<kind> run <command>" or "raw <command>" -> seconds
    for i in range(overhead_rounds):
        environment = make_environment(f"ovh-{i}")
        if i % 2:
            raw_s.append(raw_plan_apply(environment, scratch / f"raw-{i}"))
        total, in_terraform = portal_plan_apply(environment)
        portal_s.append(total)
        in_terraform_s.append(in_terraform)
        if not i % 2:
            raw_s.append(raw_plan_apply(environment, scratch / f"raw-{i}"))
        progress(
            f"  round {i + 1}: portal {_ms(total)} ms ({_ms(in_terraform)} ms in Terraform), "
            f"raw {_ms(raw_s[-1])} ms"
        )
    progress(
        "  median ms per Terraform command: "
        + ", ".join(f"{name} {_ms(statistics.median(times))}" for name, times in per_command.items())
    )

    # 3. Throughput: every run queued at once.
    progress(f"throughput: {runs} plan runs queued at once on 2 workers x concurrency 1")
    environments = [make_environment(f"tp-{i:02d}") for i in range(runs)]
    queued = [plan(environment).pk for environment in environments]
    finished = wait_finished(queued, 60 * runs)
    succeeded = sum(run.status == RunStatus.SUCCEEDED for run in finished)
    for run in finished:
        if run.status != RunStatus.SUCCEEDED:
            progress(f"throughput run failed: {log_tail(run)}")
    total_s = max(_seconds(run.finished_at, finished[0].created_at) for run in finished)

    portal_median, raw_median = statistics.median(portal_s), statistics.median(raw_s)
    return {
        "run_engine.queue_latency_p50_ms": _ms(statistics.median(latency)),
        "run_engine.queue_latency_p95_ms": _ms(percentile(latency, 95)),
        "run_engine.queue_latency_by_log_note_p50_ms": _ms(statistics.median(by_note)),
        "run_engine.queue_latency_by_log_note_p95_ms": _ms(percentile(by_note, 95)),
        "run_engine.queue_to_dispatch_p50_ms": _ms(statistics.median(to_dispatch)),
        "run_engine.dispatch_to_claim_p50_ms": _ms(statistics.median(to_claim)),
        "run_engine.claim_to_terraform_p50_ms": _ms(statistics.median(claim_to_tf)),
        "run_engine.portal_plan_apply_ms": _ms(portal_median),
        "run_engine.portal_plan_apply_in_terraform_ms": _ms(statistics.median(in_terraform_s)),
        "run_engine.portal_plan_apply_outside_terraform_ms": _ms(
            statistics.median(total - inside for total, inside in zip(portal_s, in_terraform_s, strict=True))
        ),
        "run_engine.raw_terraform_plan_apply_ms": _ms(raw_median),
        "run_engine.overhead_ratio": round(portal_median / raw_median, 2),
        f"run_engine.throughput_{runs}_runs_s": round(total_s, 1),
        "run_engine.throughput_all_succeeded": f"{succeeded}/{runs}",
    }
