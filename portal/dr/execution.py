"""Executes a claimed drill run in the worker: the glue between the pure runbooks (`drills`) and
the run engine (portal.runs.execution gives the log sink, heartbeat and cancel flag)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings

from portal.core.crypto import decrypt_json
from portal.dr.models import Drill, DrillStatus
from portal.dr.services import (
    PORTAL_RUNBOOK,
    drill_aws,
    drill_mark_running,
    drill_record_result,
    drill_resource_record,
)
from portal.runs.models import Run, RunKind
from workers.runner.redaction import DEFAULT_PATTERNS, Redactor


def register() -> None:
    from portal.runs import execution

    execution.KIND_EXECUTORS[RunKind.DRILL] = execute_drill


def _redactor(secrets: list[str]) -> Redactor:
    aws = [os.environ[k] for k in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN") if os.environ.get(k)]
    return Redactor(secrets=[*secrets, *aws], patterns=[*DEFAULT_PATTERNS, *settings.REDACT_PATTERNS])


def _tool_env() -> dict[str, str]:
    """Terraform's extra environment in a state-restore drill: the plugin cache, and AWS
    credentials for AWS blueprints (their plan refreshes against AWS)."""
    env = {"TF_PLUGIN_CACHE_DIR": settings.TF_PLUGIN_CACHE_DIR}
    Path(settings.TF_PLUGIN_CACHE_DIR).mkdir(parents=True, exist_ok=True)
    env.update({k: os.environ[k] for k in settings.AWS_ENV_PASSTHROUGH if k in os.environ})
    return env


def execute_drill(run: Run, sink: Any, heartbeat: Any, workdir: Path) -> dict[str, Any]:
    """Runs the drill's runbook, storing each scratch resource as it is created and the result
    when it ends. A drill that did not pass ends the run as failed (or cancelled)."""
    from portal.runs.execution import RunCancelled, RunFailed

    drill = Drill.objects.select_related(
        "environment__team", "environment__blueprint_version__blueprint"
    ).get(run=run)
    drill_mark_running(drill_id=drill.pk)
    environment = drill.environment
    decrypted = decrypt_json(environment.secret_inputs) if environment and environment.secret_inputs else {}
    secrets = [str(value) for value in decrypted.values() if value]
    redactor = _redactor(secrets)

    def on_log(line: str) -> None:
        level = "error" if "LEFTOVER" in line or line.startswith("FAILED") else "info"
        sink.note(redactor.redact(line), level=level)

    def on_resource(resource_id: str, state: str) -> None:
        drill_resource_record(drill_id=drill.pk, resource_id=resource_id, state=state)

    common = {
        "drill_id": f"{drill.pk:06d}{run.pk:06d}",
        "on_log": on_log,
        "should_cancel": heartbeat.should_cancel,
        "on_resource": on_resource,
    }
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        if drill.runbook == PORTAL_RUNBOOK:
            from portal.dr.backup import run_portal_drill

            result = run_portal_drill(drill=drill, scratch=workdir, **common)
        elif drill.runbook == "state-restore":
            result = _state_restore(drill, workdir, secrets, common)
        else:
            result = _aws(drill, common)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    data = json.loads(redactor.redact(result.to_json()))
    drill = drill_record_result(drill_id=drill.pk, result=data)
    summary = (
        f"Drill {drill.status}: RTO {_fmt(drill.rto_achieved_s)} (target {drill.rto_target_s:.0f} s), "
        f"RPO {_fmt(drill.rpo_api_s)} (target {drill.rpo_target_s:.0f} s), "
        f"measured RPO {_fmt(drill.rpo_measured_s)}, cleanup {'ok' if drill.cleanup_ok else 'INCOMPLETE'}."
    )
    sink.note(summary, level="info" if drill.status == DrillStatus.PASSED else "error")
    if drill.status == DrillStatus.CANCELLED:
        raise RunCancelled(f"The drill was cancelled; {drill.reason}")
    if drill.status != DrillStatus.PASSED:
        raise RunFailed(f"The drill {drill.status}: {drill.reason}")
    return {}


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} s"


def _targets(drill: Drill) -> Any:
    from drills import Targets

    dr = drill.environment.blueprint_version.dr if drill.environment else {}
    return Targets(
        rto_s=drill.rto_target_s,
        rpo_s=drill.rpo_target_s,
        assumed=bool(dr.get("assumed", False)),
        assumption=str(dr.get("assumption", "")),
    )


def _pinned_steps(drill: Drill) -> tuple[str, ...]:
    from portal.dr.services import drill_profile

    assert drill.environment is not None
    profile = drill_profile(drill.environment)
    assert profile is not None
    return profile.runbook(drill.runbook).steps


def _state_restore(drill: Drill, workdir: Path, secrets: list[str], common: dict[str, Any]) -> Any:
    """The newest state version, decrypted as the state backend stores it, with the pinned
    configuration and the environment's inputs (written exactly as a run writes them)."""
    from drills import TerraformSettings, run_state_restore_drill
    from portal.runs.execution import work_folder_write

    environment = drill.environment
    assert environment is not None
    version = environment.blueprint_version
    newest = environment.state_versions.order_by("-created_at", "-id").first()
    state = str(decrypt_json(newest.state)).encode() if newest else b""
    _, variables, _ = work_folder_write(
        environment=environment,
        version=version,
        inputs=environment.inputs,
        secret_inputs=environment.secret_inputs,
        workdir=workdir / "inputs",
        with_backend=False,
    )
    shutil.rmtree(workdir / "inputs", ignore_errors=True)  # it held the tfvars with secrets
    return run_state_restore_drill(
        targets=_targets(drill),
        state=state,
        state_saved_at=newest.created_at if newest else None,
        files=version.source_files,
        entry_dir=version.entry_dir,
        variables=variables,
        terraform=TerraformSettings(
            binary=settings.TERRAFORM_BIN,
            scratch_root=workdir,
            cli_config=settings.TERRAFORM_CLI_CONFIG,
            env=_tool_env(),
            secrets=list(secrets),
            timeout_s=settings.RUN_TIMEOUT_S,
        ),
        pinned_steps=_pinned_steps(drill),
        **common,
    )


def _aws(drill: Drill, common: dict[str, Any]) -> Any:
    from drills import run_aws_drill

    environment = drill.environment
    assert environment is not None
    inputs = dict(environment.inputs)
    if environment.image_id:
        artifacts = environment.image.artifacts if environment.image else []
        image = next((a["image_id"] for a in artifacts if a.get("region") in ("", environment.region)), None)
        if image:
            inputs.setdefault("ami_id", image)
    aws = drill_aws(environment)
    return run_aws_drill(
        drill.runbook,
        targets=_targets(drill),
        outputs=environment.outputs,
        inputs=inputs,
        session=aws.session,
        region=aws.region,
        endpoint_url=aws.endpoint_url,
        pinned_steps=_pinned_steps(drill),
        poll_interval_s=settings.DRILL_POLL_INTERVAL_S,
        wait_timeout_s=settings.DRILL_WAIT_TIMEOUT_S,
        canary_wait_s=settings.DRILL_CANARY_WAIT_S,
        **common,
    )
