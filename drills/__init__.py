"""DR drill runbooks in pure Python (no Django, and outside portal/ so importing them loads neither
Django nor Celery), over boto3 and the Terraform runner.

The portal calls ``run_aws_drill`` or ``run_state_restore_drill``; both return a ``DrillResult``
(``to_dict()`` is JSON) and never raise for a drill that fails, is cancelled or cannot start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from drills.aws import Aws, assume_role_session, cleanup_resources
from drills.aws_runbooks import (
    AwsRunbook,
    CloudfrontEc2Runbook,
    DjangoLambdaRunbook,
    EksPlatformRunbook,
    LambdaAuroraRunbook,
    ServerlessApiRunbook,
)
from drills.core import (
    CancelCheck,
    Clock,
    ControlledClock,
    DrillResult,
    LogCallback,
    ResourceCallback,
    Runbook,
    StepRecord,
    SystemClock,
    Targets,
    execute,
    judge,
    measure,
)
from drills.state_restore import StateRestoreRunbook, TerraformSettings

STATE_RESTORE = StateRestoreRunbook.name
AWS_RUNBOOKS: dict[str, type[AwsRunbook]] = {
    cls.name: cls
    for cls in (
        ServerlessApiRunbook,
        DjangoLambdaRunbook,
        LambdaAuroraRunbook,
        CloudfrontEc2Runbook,
        EksPlatformRunbook,
    )
}
ALL_RUNBOOKS: dict[str, type[Runbook]] = {**AWS_RUNBOOKS, STATE_RESTORE: StateRestoreRunbook}

__all__ = [
    "ALL_RUNBOOKS",
    "AWS_RUNBOOKS",
    "STATE_RESTORE",
    "Aws",
    "Clock",
    "ControlledClock",
    "DrillResult",
    "StepRecord",
    "SystemClock",
    "Targets",
    "TerraformSettings",
    "assume_role_session",
    "cleanup_resources",
    "judge",
    "measure",
    "run_aws_drill",
    "run_state_restore_drill",
    "runbook_info",
]


def runbook_info(name: str) -> dict[str, Any]:
    """What a runbook does, its steps, what it reads and the IAM actions it needs."""
    cls = ALL_RUNBOOKS[name]
    return {
        "name": cls.name,
        "description": cls.description,
        "steps": list(cls.steps),
        "outputs": list(cls.outputs),
        "inputs": list(cls.inputs),
        "permissions": list(cls.permissions),
    }


def run_aws_drill(
    runbook: str,
    *,
    drill_id: str,
    targets: Targets,
    outputs: Mapping[str, Any],
    inputs: Mapping[str, Any] | None = None,
    session: Any = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    pinned_steps: Sequence[str] | None = None,
    clock: Clock | None = None,
    on_log: LogCallback | None = None,
    should_cancel: CancelCheck | None = None,
    on_resource: ResourceCallback | None = None,
    poll_interval_s: float = 10.0,
    wait_timeout_s: float = 3 * 3600.0,
    canary_wait_s: float | None = None,
) -> DrillResult:
    """Runs the AWS runbook ``runbook`` against one environment.

    ``outputs`` are the environment's Terraform outputs (plain values or ``output -json`` shape),
    ``inputs`` its form inputs plus extras (``ami_id`` from the image inventory). ``session`` is a
    boto3 Session (e.g. from ``assume_role_session``); ``endpoint_url`` points at an emulator.
    ``pinned_steps`` are the steps the blueprint version's DR profile pins; a mismatch fails the
    drill before it touches anything. ``on_resource(resource_id, state)`` is called with
    ``created`` before (or right after, for EC2 instances) each scratch resource exists, then with
    ``deleted`` or ``leftover``, so a killed worker leaves nothing untracked.
    """
    cls = AWS_RUNBOOKS.get(runbook)
    if cls is None:
        raise KeyError(f"unknown AWS runbook {runbook!r}; known: {sorted(AWS_RUNBOOKS)}")
    aws = Aws(session=session, region=region, endpoint_url=endpoint_url)
    return execute(
        cls(aws),
        targets=targets,
        outputs=outputs,
        inputs=inputs or {},
        clock=clock,
        on_log=on_log,
        should_cancel=should_cancel,
        on_resource=on_resource,
        drill_id=drill_id,
        pinned_steps=pinned_steps,
        poll_interval_s=poll_interval_s,
        wait_timeout_s=wait_timeout_s,
        canary_wait_s=canary_wait_s,
    )


def run_state_restore_drill(
    *,
    drill_id: str,
    targets: Targets,
    state: bytes,
    state_saved_at: datetime | None,
    files: Mapping[str, str],
    entry_dir: str,
    variables: Mapping[str, Any],
    terraform: TerraformSettings,
    pinned_steps: Sequence[str] | None = None,
    clock: Clock | None = None,
    on_log: LogCallback | None = None,
    should_cancel: CancelCheck | None = None,
    on_resource: ResourceCallback | None = None,
) -> DrillResult:
    """Restores ``state`` (the newest state version's bytes, saved at ``state_saved_at``) into a
    scratch workspace with the pinned ``files`` (relative path -> text; Terraform runs in
    ``entry_dir``) and ``variables``, and proves with ``terraform plan -detailed-exitcode`` that
    it matches the configuration."""
    runbook = StateRestoreRunbook(
        state=state,
        state_saved_at=state_saved_at,
        files=files,
        entry_dir=entry_dir,
        variables=variables,
        terraform=terraform,
    )
    return execute(
        runbook,
        targets=targets,
        outputs={},
        inputs={},
        clock=clock,
        on_log=on_log,
        should_cancel=should_cancel,
        on_resource=on_resource,
        drill_id=drill_id,
        pinned_steps=pinned_steps,
        poll_interval_s=0.1,
    )
