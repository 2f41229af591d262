"""The run-engine benchmark: queue latency, orchestration overhead and throughput of real runs.

`bench_run_engine` (registered in bench.BENCHMARKS) runs bench/run_engine_harness.py as a
child process. That harness starts a throwaway portal (fresh SQLite file, its own redis-server,
gunicorn, two Celery workers with concurrency 1 and the recovery process, all on loopback) and calls
`measure_run_engine` against it; this process and its database are never touched.

What is measured, all with the local-sandbox blueprint (null provider, Terraform 1.0.3 offline):

* Queue latency: Run.created_at (written in the transaction that queues the run, a few ms
  before its commit, so the figure errs high) to the start of the run's first Terraform process
  (`plan` when the worker reuses its initialized-folder template of the version, else `init`),
  as recorded by the harness's TERRAFORM_BIN shim. 50 plan runs, one at a time on idle workers.
  Also printed: the same figure taken from the "terraform init ..." log note's created_at
  (set when LogSink flushes it; today the first cancel poll flushes it right after the process
  is spawned, so the two agree within a few ms) and the p50 of its parts: created ->
  enqueued_at (commit and broker send), enqueued_at -> started_at (broker delivery and claim),
  started_at -> Terraform start (log sink, run folder, tfvars and backend files).
* Orchestration overhead: queue->finished of a plan run plus queue->finished of its apply run,
  divided by raw `terraform init`, `plan -out` and `apply plan` in a fresh folder holding the same
  module and tfvars with a local backend. Each environment is new, as in raw; its plan run reuses
  the worker's initialized-folder template of the version (made by the warm-up) instead of init.
  Same binary, CLI config and TF_PLUGIN_CACHE_DIR; rounds
  alternate which goes first; the ratio is of the medians. The portal's time is also split into
  time inside its Terraform processes (init, plan, show -json; apply, plus init when the apply
  lands on another worker than its plan) and
  time outside them (queueing, claiming, files, logs, database, the shim's ~2 ms per command).
  The same is measured on a generated module of 100 null_resources (`overhead_ratio_100`):
  a realistic size, where Terraform's own work outweighs the fixed costs.
* Recovery: the second worker is stopped, an apply is started on the only one left, and that
  worker is killed with kill -9 and not restarted; seconds from the kill until the harness's
  recovery process (`manage.py runs_recover`, RUN_HEARTBEAT_TIMEOUT_S=10) has failed the run
  and its state lock is gone (`recovery_s`; target: the timeout + 10 s).
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HARNESS = "bench.run_engine_harness"
TIMEOUT_S = 1800.0
RUNS = 50
OVERHEAD_ROUNDS = 5
RESOURCES = 100  # the generated module of realistic size
RECOVERY_TIMEOUT_S = 10.0  # RUN_HEARTBEAT_TIMEOUT_S of the harness's recovery process
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


def _terraform_start(calls: list[TerraformCall]) -> float:
    return calls[0].start


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
    leave_one_worker: Callable[[], None] | None = None,
    kill_last_worker: Callable[[], None] | None = None,
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

    def make_environment(
        name: str, blueprint_version: Any = None, inputs: dict[str, Any] | None = None
    ) -> Environment:
        with transaction.atomic():
            request = EnvironmentRequest.objects.create(
                team=team,
                requester=user,
                blueprint_version=blueprint_version or version,
                environment_name=name,
                tier="dev",
                inputs=inputs or INPUTS,
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
            run__in=latency_runs, stream="portal", message__startswith="terraform init"
        ).values_list("run_id", "created_at")
    )
    latency, by_note, to_dispatch, to_claim, claim_to_tf = [], [], [], [], []
    for run in latency_runs:
        assert run.created_at is not None
        latency.append(_terraform_start(calls[run.pk]) - run.created_at.timestamp())
        by_note.append(_seconds(notes[run.pk], run.created_at))
        to_dispatch.append(_seconds(run.enqueued_at, run.created_at))
        to_claim.append(_seconds(run.started_at, run.enqueued_at))
        assert run.started_at is not None
        claim_to_tf.append(_terraform_start(calls[run.pk]) - run.started_at.timestamp())

    # 2. Orchestration overhead: the portal's plan+apply against raw Terraform on the same module.
    progress(f"orchestration overhead: {overhead_rounds} rounds of portal plan+apply vs raw terraform")
    terraform_bin = settings.TERRAFORM_BIN

    def portal_plan_apply(environment: Environment) -> tuple[float, float]:
        """Queue->finished of the plan run plus that of the apply run, and the part of it spent
        inside Terraform processes (init, plan, show -json; [init,] apply)."""
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

    per_command: dict[str, list[float]] = {}  # "<kind> run <command>" or "raw <command>" -> seconds

    def overhead(label: str, new_environment: Callable[[int], Environment]) -> dict[str, float]:
        """Rounds of portal plan+apply and raw Terraform on one module, alternating which goes
        first; medians of each and of the portal's time outside Terraform."""
        portal_s, in_terraform_s, raw_s = [], [], []
        per_command.clear()
        for i in range(overhead_rounds):
            environment = new_environment(i)
            if i % 2:
                raw_s.append(raw_plan_apply(environment, scratch / f"raw-{label}-{i}"))
            total, in_terraform = portal_plan_apply(environment)
            portal_s.append(total)
            in_terraform_s.append(in_terraform)
            if not i % 2:
                raw_s.append(raw_plan_apply(environment, scratch / f"raw-{label}-{i}"))
            progress(
                f"  {label} round {i + 1}: portal {_ms(total)} ms ({_ms(in_terraform)} ms in Terraform), "
                f"raw {_ms(raw_s[-1])} ms"
            )
        progress(
            f"  {label} median ms per Terraform command: "
            + ", ".join(f"{name} {_ms(statistics.median(times))}" for name, times in per_command.items())
        )
        outside = [total - inside for total, inside in zip(portal_s, in_terraform_s, strict=True)]
        return {
            "portal": statistics.median(portal_s),
            "in_terraform": statistics.median(in_terraform_s),
            "outside": statistics.median(outside),
            "raw": statistics.median(raw_s),
        }

    sandbox = overhead("sandbox", lambda i: make_environment(f"ovh-{i}"))
    progress(f"orchestration overhead: {overhead_rounds} rounds on a generated {RESOURCES}-resource module")
    big_version = _generated_version(version, RESOURCES)
    big = overhead(
        f"{RESOURCES} resources",
        lambda i: make_environment(f"ovh{RESOURCES}-{i}", big_version, {}),
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

    recovery: dict[str, float | str] = {}
    if leave_one_worker is not None and kill_last_worker is not None:
        recovery = measure_recovery(
            make_environment=make_environment,
            run_one=run_one,
            leave_one_worker=leave_one_worker,
            kill_last_worker=kill_last_worker,
            progress=progress,
        )

    return {
        "run_engine.queue_latency_p50_ms": _ms(statistics.median(latency)),
        "run_engine.queue_latency_p95_ms": _ms(percentile(latency, 95)),
        "run_engine.queue_latency_by_log_note_p50_ms": _ms(statistics.median(by_note)),
        "run_engine.queue_latency_by_log_note_p95_ms": _ms(percentile(by_note, 95)),
        "run_engine.queue_to_dispatch_p50_ms": _ms(statistics.median(to_dispatch)),
        "run_engine.dispatch_to_claim_p50_ms": _ms(statistics.median(to_claim)),
        "run_engine.claim_to_terraform_p50_ms": _ms(statistics.median(claim_to_tf)),
        "run_engine.portal_plan_apply_ms": _ms(sandbox["portal"]),
        "run_engine.portal_plan_apply_in_terraform_ms": _ms(sandbox["in_terraform"]),
        "run_engine.portal_plan_apply_outside_terraform_ms": _ms(sandbox["outside"]),
        "run_engine.raw_terraform_plan_apply_ms": _ms(sandbox["raw"]),
        "run_engine.overhead_ratio": round(sandbox["portal"] / sandbox["raw"], 2),
        f"run_engine.portal_plan_apply_{RESOURCES}_ms": _ms(big["portal"]),
        f"run_engine.portal_plan_apply_outside_terraform_{RESOURCES}_ms": _ms(big["outside"]),
        f"run_engine.raw_terraform_plan_apply_{RESOURCES}_ms": _ms(big["raw"]),
        f"run_engine.overhead_ratio_{RESOURCES}": round(big["portal"] / big["raw"], 2),
        f"run_engine.throughput_{runs}_runs_s": round(total_s, 1),
        "run_engine.throughput_all_succeeded": f"{succeeded}/{runs}",
        **recovery,
    }


def _generated_version(sandbox: Any, resources: int) -> Any:
    """A blueprint version of the sandbox blueprint whose module has ``resources`` null_resources
    (each with triggers and a dependency on the previous tenth), keeping the portal context
    variables every run passes."""
    from portal.catalog.models import BlueprintVersion

    entry = sandbox.entry_dir
    files = {
        name: text
        for name, text in sandbox.source_files.items()
        if name.endswith(("portal_context.tf", "versions.tf", "variables.tf"))
    }
    blocks = []
    for index in range(resources):
        depends = f"\n  depends_on = [null_resource.r{index - 10}]" if index >= 10 else ""
        blocks.append(
            f'resource "null_resource" "r{index}" {{\n'
            f'  triggers = {{\n    name  = var.name\n    index = "{index}"\n'
            f"    team  = var.team\n  }}{depends}\n}}\n"
        )
    files[f"{entry}/main.tf" if entry and entry != "." else "main.tf"] = "\n".join(blocks)
    files[f"{entry}/outputs.tf" if entry and entry != "." else "outputs.tf"] = (
        'output "ids" {\n  value = ['
        + ", ".join(f"null_resource.r{i}.id" for i in range(resources))
        + "]\n}\n"
    )
    return BlueprintVersion.objects.create(
        blueprint=sandbox.blueprint,
        version=f"bench-{resources}r",
        changes=f"Generated by the bench: {resources} null_resources.",
        metadata=sandbox.metadata,
        source_files=files,
        source_sha256="0" * 64,
    )


def measure_recovery(
    *,
    make_environment: Callable[..., Any],
    run_one: Callable[..., Any],
    leave_one_worker: Callable[[], None],
    kill_last_worker: Callable[[], None],
    progress: Callable[[str], None],
) -> dict[str, float | str]:
    """Seconds from a kill -9 of the only worker, mid-apply and with no worker restarted, to the
    run failed and its state lock released by the recovery process."""
    from portal.environments.models import StateLock
    from portal.runs.models import Run, RunKind, RunLogLine, RunStatus
    from portal.runs.services import run_enqueue

    progress(
        f"recovery: kill -9 of the only worker mid-apply (RUN_HEARTBEAT_TIMEOUT_S={RECOVERY_TIMEOUT_S:g})"
    )
    leave_one_worker()
    environment = make_environment("recovery", None, {**INPUTS, "app_replicas": 1, "apply_seconds": 300})
    plan = run_one(RunKind.PLAN, environment)
    apply = run_enqueue(
        kind=RunKind.APPLY, environment=environment, actor=None, plan_run=plan, reason="bench"
    )

    def until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"recovery: timed out waiting for {what}")
            time.sleep(0.05)

    until(
        lambda: RunLogLine.objects.filter(run=apply, message__contains="hello (instance 1").exists(),
        120,
        "the apply",
    )
    kill_last_worker()
    killed_at = time.monotonic()

    def recovered() -> bool:
        run = Run.objects.get(pk=apply.pk)
        return (
            run.status == RunStatus.FAILED and not StateLock.objects.filter(environment=environment).exists()
        )

    until(recovered, RECOVERY_TIMEOUT_S + 120, "the recovery process")
    return {
        "run_engine.recovery_s": round(time.monotonic() - killed_at, 1),
        "run_engine.recovery_heartbeat_timeout_s": RECOVERY_TIMEOUT_S,
    }
