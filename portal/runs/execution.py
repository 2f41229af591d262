"""Executes one claimed run: the glue between the pure runner (workers.runner) and the database.

Log lines are stored as they arrive (in small batches, at least every half second), the run's
heartbeat is written on every tick, and a cancel request set in the database is seen within a
second.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import shutil
import time
import traceback
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.audit.services import audit_record
from portal.catalog.services import machine_image_record
from portal.core.crypto import decrypt_json, encrypt_json
from portal.environments.backends import backend_config
from portal.environments.models import Environment
from portal.environments.services import environment_applied, environment_drift_record
from portal.runs.database import UNAVAILABLE, Backoff, with_retries
from portal.runs.lifecycle import run_finished
from portal.runs.models import Run, RunKind, RunLogLine, RunPlanData, RunStatus
from portal.runs.services import run_claim
from workers.runner.initcache import InitCache, binary_identity, init_key
from workers.runner.logs import LogLine, mask_outputs
from workers.runner.packer import packer_build
from workers.runner.process import ProcessResult, RunnerError, minimal_env
from workers.runner.redaction import DEFAULT_PATTERNS, Redactor
from workers.runner.terraform import Terraform, changes_digest, summarize_plan
from workers.runner.workdir import TFVARS_FILE, backend_env, file_sha256, materialize, write_inputs

log = logging.getLogger(__name__)
PLAN_FILE = "plan.tfplan"


class RunFailed(Exception):
    """Ends a run as failed with a message for the user."""


class LogSink:
    """Buffers LogLines and writes them in order; seq numbers continue across commands.

    A write that fails because the database is unreachable does not reach Terraform: the lines
    stay in the buffer and the write is tried again with backoff. The buffer is bounded
    (RUN_LOG_BUFFER_LINES); past it the oldest unwritten lines are dropped, and a note says how
    many, so a gap in the stored log is always explained.
    """

    def __init__(self, run: Run) -> None:
        self.run = run
        self.seq = run.log_lines_count
        self.exit_code: int | None = None  # of the last Terraform/Packer process
        self.buffer: deque[RunLogLine] = deque()
        self.dropped = 0
        self.flushed_at = time.monotonic()
        self.backoff = Backoff()

    def __call__(self, line: LogLine) -> None:
        self.seq += 1
        if len(self.buffer) >= settings.RUN_LOG_BUFFER_LINES:
            self.buffer.popleft()
            self.dropped += 1
        self.buffer.append(
            RunLogLine(
                run=self.run,
                seq=self.seq,
                stream=line.stream,
                level=line.level,
                message=line.message[:20000],
                resource=(line.resource or "")[:300],
            )
        )
        if len(self.buffer) >= 50 or time.monotonic() - self.flushed_at > 0.25:
            self.flush()

    def note(self, message: str, level: str = "info") -> None:
        self(LogLine(stream="portal", level=level, message=message, resource=None, raw=message))

    def flush(self, *, wait: bool = False) -> None:
        """Writes the buffered lines. Without ``wait`` a failed write (database unreachable) is
        left for a later call, after a backoff; with it, the write is retried until
        RUN_DB_RETRY_S has passed and the last error is raised."""
        if wait:
            with_retries(self._write, what=f"run {self.run.pk}: storing log lines")
            return
        if not self.backoff.ready():
            return
        try:
            self._write()
        except UNAVAILABLE:
            self.backoff.failed()
        else:
            self.backoff.succeeded()
        self.flushed_at = time.monotonic()

    def _write(self) -> None:
        if self.dropped:
            dropped, self.dropped = self.dropped, 0
            self.note(
                f"{dropped} log lines were dropped: the database was unreachable for longer than "
                f"the worker's buffer of {settings.RUN_LOG_BUFFER_LINES} lines lasts.",
                level="warn",
            )
        if self.buffer:
            batch = list(self.buffer)
            with transaction.atomic():
                # ignore_conflicts: a retry after a commit whose answer was lost is a no-op.
                RunLogLine.objects.bulk_create(batch, ignore_conflicts=True)
                Run.objects.filter(pk=self.run.pk).update(log_lines_count=batch[-1].seq)
            for _ in batch:
                self.buffer.popleft()
        self.flushed_at = time.monotonic()


class Heartbeat:
    """on_tick/should_cancel for the runner: flush logs, heartbeat, and poll the cancel flag.

    While the database is unreachable Terraform keeps running: the heartbeat and the cancel poll
    are skipped (the last cancel flag read stands) and tried again with backoff, and the log
    says when the outage started and how long it lasted."""

    def __init__(self, run: Run, sink: LogSink) -> None:
        self.run, self.sink = run, sink
        self.cancel = False
        self.checked_at = 0.0
        self.backoff = Backoff()

    def tick(self) -> None:
        self.sink.flush()
        self.checked_at = time.monotonic()
        if not self.backoff.ready():
            return
        try:
            cancel = Run.objects.filter(pk=self.run.pk).values_list("cancel_requested", flat=True).first()
            Run.objects.filter(pk=self.run.pk).update(heartbeat_at=timezone.now())
        except UNAVAILABLE as exc:
            if self.backoff.down_since is None:
                log.warning("run %s: the database is unreachable (%s)", self.run.pk, exc)
                self.sink.note(
                    f"The database is unreachable ({str(exc).strip()[:200]}); the run goes on, "
                    "and its log lines wait in the worker until the database is back.",
                    level="warn",
                )
            self.backoff.failed()
            return
        self.cancel = bool(cancel)
        down = self.backoff.succeeded()
        if down is not None:
            self.sink.note(f"The database is reachable again after {down:.0f} s.", level="warn")

    def should_cancel(self) -> bool:
        if time.monotonic() - self.checked_at > 1.0:
            self.tick()
        return self.cancel


def _source(run: Run) -> tuple[Any, dict[str, Any], str]:
    """(blueprint version, inputs, encrypted secrets) a run plans with: an update request's own,
    otherwise the environment's current ones. Apply uses the same, so the plan file matches."""
    request = run.request
    if request is not None and request.kind == "update":
        return request.blueprint_version, request.inputs, request.secret_inputs
    environment = run.environment
    assert environment is not None
    return environment.blueprint_version, environment.inputs, environment.secret_inputs


def _variables(
    environment: Environment, version: Any, inputs: dict[str, Any], secret_inputs: str
) -> dict[str, Any]:
    variables: dict[str, Any] = {
        "name": environment.name,
        "tier": environment.tier,
        "team": environment.team.slug,
        "cost_centre": environment.team.cost_centre,
        "blueprint": version.blueprint.slug,
        "blueprint_version": version.version,
        **inputs,
    }
    if version.blueprint.runtime == "aws":
        variables["region"] = environment.region
    variables.update(decrypt_json(secret_inputs) if secret_inputs else {})
    return variables


def work_folder_write(
    *,
    environment: Environment,
    version: Any,
    inputs: dict[str, Any],
    secret_inputs: str,
    workdir: Path,
    with_backend: bool = True,
) -> tuple[Path, dict[str, Any], dict[str, str]]:
    """Copies the blueprint version's source into `workdir` and writes the tfvars, plus the state
    backend config unless `with_backend` is False (Terraform then keeps local state). Returns the
    module folder, the variables and the environment variables that carry the http backend's
    settings (credentials included; see workers.runner.workdir.backend_env). Runs use it; so does
    `make bench` for its raw-Terraform baseline, which must see exactly the files a run sees."""
    module_dir = materialize(version.source_files, workdir) / version.entry_dir
    variables = _variables(environment, version, inputs, secret_inputs)
    backend_type, backend = backend_config(environment) if with_backend else ("http", None)
    write_inputs(workdir=module_dir, variables=variables, backend=backend, backend_type=backend_type)
    return module_dir, variables, backend_env(backend_type, backend)


def _tool_env(workdir: Path, runtime: str) -> dict[str, str]:
    """The whole environment of Terraform/Packer: AWS credentials only when the blueprint or the
    S3 state backend needs them, never the portal's own settings."""
    extra = {"TF_PLUGIN_CACHE_DIR": settings.TF_PLUGIN_CACHE_DIR}
    Path(settings.TF_PLUGIN_CACHE_DIR).mkdir(parents=True, exist_ok=True)
    if runtime == "aws" or settings.STATE_BACKEND == "s3":
        extra.update({k: os.environ[k] for k in settings.AWS_ENV_PASSTHROUGH if k in os.environ})
    return minimal_env(home=workdir, cli_config=settings.TERRAFORM_CLI_CONFIG, extra=extra)


def _redactor(secrets: list[str]) -> Redactor:
    aws = [os.environ[k] for k in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN") if os.environ.get(k)]
    return Redactor(secrets=[*secrets, *aws], patterns=[*DEFAULT_PATTERNS, *settings.REDACT_PATTERNS])


def _process_options(sink: LogSink, heartbeat: Heartbeat) -> dict[str, Any]:
    """How Terraform and Packer runs are driven alike: lines to the sink, the run timeout, the
    heartbeat's cancel check and tick, and the cancel grace period."""
    return {
        "on_line": sink,
        "timeout_s": settings.RUN_TIMEOUT_S,
        "should_cancel": heartbeat.should_cancel,
        "on_tick": heartbeat.tick,
        "tick_s": 0.5,
        "grace_s": settings.RUN_CANCEL_GRACE_S,
    }


def _check(result: ProcessResult, what: str, sink: LogSink) -> None:
    """Records the process's exit code on the run and raises when it did not succeed."""
    sink.exit_code = result.exit_code
    if result.cancelled:
        raise RunCancelled(f"{what} was cancelled.")
    if result.timed_out:
        raise RunTimedOut(f"{what} ran longer than {settings.RUN_TIMEOUT_S:.0f} s and was stopped.")
    if not result.ok:
        raise RunFailed(f"{what} failed (exit code {result.exit_code}).")


class RunCancelled(RunFailed):
    pass


class RunTimedOut(RunFailed):
    pass


class TerraformJob:
    """Prepares a run folder from the environment's pinned blueprint version and runs Terraform."""

    def __init__(self, run: Run, sink: LogSink, heartbeat: Heartbeat, workdir: Path) -> None:
        environment = run.environment
        assert environment is not None
        self.run, self.environment, self.sink = run, environment, sink
        version, inputs, secret_inputs = _source(run)
        self.module_dir, variables, backend = work_folder_write(
            environment=environment,
            version=version,
            inputs=inputs,
            secret_inputs=secret_inputs,
            workdir=workdir,
        )
        self.version_label = str(version)
        secret_names = {f.name for f in version.fields if f.sensitive}
        secrets = [str(v) for k, v in variables.items() if k in secret_names and v]
        secrets += [backend["TF_HTTP_PASSWORD"]] if "TF_HTTP_PASSWORD" in backend else []
        self.tf = Terraform(
            binary=settings.TERRAFORM_BIN,
            workdir=self.module_dir,
            env={**_tool_env(workdir, version.blueprint.runtime), **backend},
            redactor=_redactor(secrets),
            **_process_options(sink, heartbeat),
        )
        # An initialized-folder template serves every environment of this version on this host
        # when the backend's settings come from the environment (the http backend).
        self.init_key = (
            init_key(
                files=version.source_files.items(),
                entry_dir=version.entry_dir,
                parts=(
                    binary_identity(settings.TERRAFORM_BIN),
                    _text_of(settings.TERRAFORM_CLI_CONFIG),
                    settings.TF_PLUGIN_CACHE_DIR,
                    "http",
                ),
            )
            if settings.TERRAFORM_INIT_TEMPLATES and "TF_HTTP_ADDRESS" in backend
            else None
        )

    # Set by run_execute: the plan run whose initialized folder this apply took over.
    reused_from: int | None = None
    # Set by execute_plan: keep this folder, initialized, for the apply of this plan.
    keep_initialized = False

    def init(self) -> None:
        """`terraform init`, or a copy of this host's initialized folder of the same module
        version (see workers.runner.initcache), which saves the init process."""
        cache = _init_cache()
        if self.init_key is not None and cache.restore(self.init_key, self.module_dir):
            self.sink.note(
                f"terraform init: reused this worker's initialized folder of {self.version_label} "
                f"(template {self.init_key[:12]}…)."
            )
            return
        self.sink.note(f"terraform init ({settings.TERRAFORM_BIN})")
        _check(self.tf.init(), "terraform init", self.sink)
        if self.init_key is not None:
            cache.save(self.init_key, self.module_dir)


def _init_cache() -> InitCache:
    return InitCache(
        Path(settings.RUNS_WORK_DIR) / "init-templates", max_age_s=settings.TERRAFORM_INIT_TEMPLATE_MAX_AGE_S
    )


def _text_of(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def execute_plan(job: TerraformJob) -> dict[str, Any]:
    job.init()
    _check(job.tf.plan(out=PLAN_FILE, destroy=job.run.destroy_plan), "terraform plan", job.sink)
    plan_json = job.tf.show_json(PLAN_FILE)
    summary = summarize_plan(plan_json)
    plan_path = job.module_dir / PLAN_FILE
    job.keep_initialized = True
    return {
        "plan_file": encrypt_json(base64.b64encode(plan_path.read_bytes()).decode()),
        "plan_sha256": file_sha256(plan_path),
        "changes_sha256": changes_digest(plan_json),
        "plan_json": plan_json,
        "plan_add": summary.add,
        "plan_change": summary.change,
        "plan_destroy": summary.destroy,
        "plan_resources": summary.resources,
    }


def execute_apply(job: TerraformJob) -> dict[str, Any]:
    plan_run = job.run.plan_run
    assert plan_run is not None
    plan_path = job.module_dir / PLAN_FILE
    plan_path.write_bytes(base64.b64decode(decrypt_json(plan_run.plan_file)))
    if file_sha256(plan_path) != plan_run.plan_sha256:
        raise RunFailed("The stored plan file does not match its recorded SHA-256; refusing to apply it.")
    job.sink.note(f"Applying plan of run #{plan_run.pk} (sha256 {plan_run.plan_sha256[:12]}…)")
    if job.reused_from is None:
        job.init()
    else:
        job.sink.note(
            f"Reusing the folder terraform init prepared for plan run #{job.reused_from} on this worker."
        )
    _check(job.tf.apply(PLAN_FILE), "terraform apply", job.sink)
    destroyed = job.run.kind == RunKind.DESTROY
    outputs: dict[str, Any] = {}
    if not destroyed:
        applied = job.tf.applied_outputs
        outputs = applied if applied is not None else mask_outputs(job.tf.output_json())
    with_retries(
        lambda: environment_applied(
            environment_id=job.environment.pk, destroyed=destroyed, outputs=outputs, run_id=job.run.pk
        ),
        what=f"run {job.run.pk}: recording the applied environment",
    )
    return {}


def execute_drift(job: TerraformJob) -> dict[str, Any]:
    """A refreshed plan against the pinned config and inputs: exit code 2 means the real
    infrastructure no longer matches (changed or deleted outside Terraform)."""
    job.init()
    result = job.tf.plan(out=PLAN_FILE, detailed_exitcode=True)
    if result.ok or result.exit_code == 2:
        job.sink.exit_code = result.exit_code
        drifted = result.exit_code == 2
        changes: list[dict[str, Any]] = []
        if drifted:
            plan_json = job.tf.show_json(PLAN_FILE)
            changes = [
                {"address": item["address"], "actions": item["change"]["actions"], "outside": True}
                for item in plan_json.get("resource_drift", [])
            ]
            changes += [
                {"address": item["address"], "actions": item["actions"], "outside": False}
                for item in summarize_plan(plan_json).resources
            ]
        with_retries(
            lambda: environment_drift_record(
                environment_id=job.environment.pk, drifted=drifted, changes=changes
            ),
            what=f"run {job.run.pk}: recording the drift check",
        )
        job.sink.note(
            "Drift detected: " + ", ".join(c["address"] for c in changes) if drifted else "No drift."
        )
        return {"drift_detected": drifted}
    environment_drift_record(environment_id=job.environment.pk, drifted=None, changes=[])
    _check(result, "terraform plan (drift check)", job.sink)
    return {}


def execute_image_build(run: Run, sink: LogSink, heartbeat: Heartbeat, workdir: Path) -> dict[str, Any]:
    version = run.image_source
    assert version is not None
    template = version.metadata.get("packer_template")
    if not template:
        raise RunFailed(f"{version} has no Packer template.")
    template_dir = materialize(version.source_files, workdir) / version.entry_dir
    env = _tool_env(workdir, version.blueprint.runtime)
    result, artifacts = packer_build(
        binary=settings.PACKER_BIN,
        template_dir=template_dir,
        template=template,
        variables={"name": f"{version.blueprint.slug}-{version.version}-run{run.pk}"},
        env=env,
        redactor=_redactor([]),
        **_process_options(sink, heartbeat),
    )
    _check(result, "packer build", sink)
    if not artifacts:
        raise RunFailed("packer build succeeded but its manifest lists no artifact.")
    with_retries(
        lambda: machine_image_record(
            blueprint_version=version,
            run=run,
            artifacts=[{"region": a.region, "image_id": a.image_id} for a in artifacts],
        ),
        what=f"run {run.pk}: recording the image",
    )
    sink.note("Image: " + ", ".join(f"{a.region or 'local'}:{a.image_id}" for a in artifacts))
    return {}


EXECUTORS: dict[str, Callable[[TerraformJob], dict[str, Any]]] = {
    RunKind.PLAN: execute_plan,
    RunKind.APPLY: execute_apply,
    RunKind.DESTROY: execute_apply,
    RunKind.DRIFT: execute_drift,
}
# Kinds a higher app executes itself, registered from its AppConfig.ready() (portal.dr: drills),
# so this module never imports it. Called with (run, sink, heartbeat, workdir).
KIND_EXECUTORS: dict[str, Callable[[Run, LogSink, Heartbeat, Path], dict[str, Any]]] = {}


def _initialized_folder(plan_run_id: int) -> Path:
    return Path(settings.RUNS_WORK_DIR) / "initialized" / f"plan-{plan_run_id}"


def initialized_folder_keep(run: Run, *, workdir: Path, module_dir: Path) -> None:
    """Keeps a successful plan's run folder, initialized (providers linked from the plugin
    cache, backend configured), so that its apply on this host needs no `terraform init`.

    The inputs and the plan file are removed first (the apply writes the approved plan file
    from the database); the folder is private to the worker's user all the same (an S3
    backend's settings stay in `.terraform/`). Kept folders older than PLAN_MAX_AGE_S (their plans can no
    longer be applied) are removed here.
    """
    (module_dir / TFVARS_FILE).unlink(missing_ok=True)
    (module_dir / PLAN_FILE).unlink(missing_ok=True)
    kept = _initialized_folder(run.pk)
    kept.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.rmtree(kept, ignore_errors=True)
    workdir.rename(kept)
    too_old = time.time() - settings.PLAN_MAX_AGE_S
    for folder in kept.parent.iterdir():
        with contextlib.suppress(OSError):
            if folder.stat().st_mtime < too_old:
                shutil.rmtree(folder, ignore_errors=True)


def initialized_folder_take(run: Run, workdir: Path) -> int | None:
    """Moves the initialized folder of the run's plan to ``workdir`` when this host still has
    it (the plan ran here); returns the plan run's id, or None (then the apply runs init)."""
    if run.kind not in (RunKind.APPLY, RunKind.DESTROY) or run.plan_run_id is None:
        return None
    try:
        _initialized_folder(run.plan_run_id).rename(workdir)  # atomic: one apply takes it
    except OSError:
        return None
    return run.plan_run_id


def run_execute(*, run_id: int, worker_host: str, task_id: str) -> None:
    """Claims the run (a duplicate message returns at once), executes it, and records the end."""
    run = run_claim(run_id=run_id, worker_host=worker_host, task_id=task_id)
    if run is None:
        log.info("run %s is not queued any more; duplicate or stale message ignored", run_id)
        return
    sink = LogSink(run)
    heartbeat = Heartbeat(run, sink)
    workdir = Path(settings.RUNS_WORK_DIR) / f"run-{run.pk}"
    shutil.rmtree(workdir, ignore_errors=True)
    status, error, fields = RunStatus.SUCCEEDED, "", {}
    job: TerraformJob | None = None
    try:
        sink.note(f"Run #{run.pk} ({run.get_kind_display()}) started on {worker_host}.")
        if run.kind == RunKind.IMAGE_BUILD:
            fields = execute_image_build(run, sink, heartbeat, workdir)
        elif run.kind in EXECUTORS:
            reused_from = initialized_folder_take(run, workdir)
            job = TerraformJob(run, sink, heartbeat, workdir)
            job.reused_from = reused_from
            fields = EXECUTORS[run.kind](job)
        elif run.kind in KIND_EXECUTORS:
            fields = KIND_EXECUTORS[run.kind](run, sink, heartbeat, workdir)
        else:
            raise RunFailed(f"This portal version cannot execute {run.get_kind_display()} runs.")
    except RunCancelled as exc:
        status, error = RunStatus.CANCELLED, str(exc)
    except RunTimedOut as exc:
        status, error = RunStatus.TIMED_OUT, str(exc)
    except (RunFailed, RunnerError) as exc:
        status, error = RunStatus.FAILED, str(exc)
    except UNAVAILABLE as exc:
        status, error = RunStatus.FAILED, _database_error(exc, sink)
    except Exception as exc:  # a bug must still end the run visibly, never leave it "running"
        log.exception("run %s crashed", run.pk)
        status, error = RunStatus.FAILED, f"Internal error: {type(exc).__name__}: {exc}"
        with contextlib.suppress(Exception):
            sink.note(traceback.format_exc(limit=5), level="error")
    finally:
        if job is not None and job.keep_initialized and status == RunStatus.SUCCEEDED:
            with contextlib.suppress(OSError):
                initialized_folder_keep(run, workdir=workdir, module_dir=job.module_dir)
        shutil.rmtree(workdir, ignore_errors=True)  # it held tfvars with secrets and the plan file
    try:
        if error:
            sink.note(error, level="error")
        sink.note(f"Run #{run.pk} {status}.")
        sink.flush(wait=True)
    except Exception:  # losing the last log lines must not keep the run "running"
        log.exception("run %s: could not store its last log lines", run.pk)
    with_retries(
        lambda: run_complete(
            run_id=run.pk, status=status, error=error, fields={**fields, "exit_code": sink.exit_code}
        ),
        what=f"run {run.pk}: recording its end",
    )


def _database_error(exc: BaseException, sink: LogSink) -> str:
    when = (
        f"after its last Terraform/Packer process ended with exit code {sink.exit_code}"
        if sink.exit_code is not None
        else "before Terraform or Packer started"
    )
    return (
        f"The database was unreachable for longer than {settings.RUN_DB_RETRY_S:.0f} s {when} "
        f"({type(exc).__name__}: {str(exc).strip()[:200]})."
    )


@transaction.atomic
def run_complete(*, run_id: int, status: str, error: str, fields: dict[str, Any]) -> Run:
    run = Run.objects.select_for_update().get(pk=run_id)
    if run.status != RunStatus.RUNNING:
        # The reaper got there first (the worker's heartbeats could not reach the database):
        # keep its verdict, which released the lock and moved the request on, but say how the
        # run really ended.
        if run.status == RunStatus.FAILED and "the worker later reported" not in run.error:
            run.error += f" The worker later reported that the run {status}" + (
                f": {error}" if error else "."
            )
            run.save(update_fields=["error"])
        return run
    plan_data = {key: fields.pop(key) for key in ("plan_file", "plan_json") if key in fields}
    for key, value in fields.items():
        setattr(run, key, value)
    run.status, run.error, run.finished_at = status, error, timezone.now()
    run.save()
    if plan_data:
        RunPlanData.objects.update_or_create(run=run, defaults=plan_data)
    run_finished(run)
    audit_record(
        actor=None,
        action=f"run.{status}",
        target=run,
        summary=f"{run.get_kind_display()} run #{run.pk} {status}" + (f": {error}" if error else "."),
    )
    return run
