"""The state-restore drill: losing an environment's Terraform state is a disaster of its own.

It restores a state version (bytes, as the portal stores it) into a scratch workspace with the
blueprint version's pinned files and the environment's inputs, and shows with
``terraform plan -detailed-exitcode`` that the restored state matches the configuration
(exit 0: no changes). t0 is the moment the state is written back; RTO is t0 until the plan
proves it. RPO (API) is 0: every apply saves a state version before it finishes, so the newest
version is current (its age is kept as evidence, and the clock adapter can override it).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from drills import terraform as runner
from drills.aws import resource_id
from drills.core import Drill, DrillFailure, PreconditionFailed, Runbook, iso

STATE_FILE = "terraform.tfstate"


@dataclass(frozen=True)
class TerraformSettings:
    """How to run Terraform for the drill: the binary, the CLI config (provider mirror), where
    scratch workspaces go, extra environment (cloud credentials for AWS blueprints) and the
    secrets to redact from its output."""

    binary: str
    scratch_root: Path
    cli_config: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    secrets: Sequence[str] = ()
    timeout_s: float = 1800.0


class StateRestoreRunbook(Runbook):
    name: ClassVar[str] = "state-restore"
    description: ClassVar[str] = (
        "Restores the newest Terraform state version into a scratch workspace with the pinned "
        "configuration and inputs, and proves with `terraform plan -detailed-exitcode` (exit 0) that "
        "the restored state matches the configuration; deletes the workspace."
    )
    steps: ClassVar[tuple[str, ...]] = (
        "check preconditions",
        "restore state into scratch workspace",
        "terraform init",
        "plan against restored state",
    )

    def __init__(
        self,
        *,
        state: bytes,
        state_saved_at: datetime | None,
        files: Mapping[str, str],
        entry_dir: str,
        variables: Mapping[str, Any],
        terraform: TerraformSettings,
    ) -> None:
        self.state = state
        self.state_saved_at = state_saved_at
        self.files = files
        self.entry_dir = entry_dir
        self.variables = variables
        self.terraform = terraform

    def run(self, drill: Drill) -> None:
        with drill.step("check preconditions") as step:
            binary = self.terraform.binary
            if not (os.path.isfile(binary) and os.access(binary, os.X_OK)) and shutil.which(binary) is None:
                raise PreconditionFailed(f"no Terraform binary at {binary}: install it or set TERRAFORM_BIN")
            if not self.state:
                raise PreconditionFailed("the environment has no state version to restore: apply it first")
            try:
                parsed = json.loads(self.state)
            except ValueError as exc:
                raise PreconditionFailed(
                    f"the newest state version is not valid JSON ({exc}); restore an older version"
                ) from exc
            if not isinstance(parsed, dict) or parsed.get("version") != 4 or "lineage" not in parsed:
                raise PreconditionFailed(
                    "the newest state version is not a Terraform v4 state with a lineage"
                )
            if not any(name.startswith(f"{self.entry_dir}/") and name.endswith(".tf") for name in self.files):
                raise PreconditionFailed(
                    f"the pinned files hold no Terraform configuration under {self.entry_dir}/"
                )
            digest = hashlib.sha256(self.state).hexdigest()
            step.evidence.update(
                sha256=digest,
                serial=parsed.get("serial"),
                lineage=parsed.get("lineage"),
                terraform_version=parsed.get("terraform_version"),
                resources=len(parsed.get("resources") or []),
                state_saved_at=iso(self.state_saved_at),
                bytes=len(self.state),
            )
        with drill.step("restore state into scratch workspace") as step:
            workspace = self.terraform.scratch_root / f"drill-{drill.drill_id}"
            rid = resource_id("directory", "local", str(workspace))

            def delete_workspace() -> None:
                if workspace.exists():
                    shutil.rmtree(workspace)

            drill.track(rid, "delete scratch workspace", delete_workspace)
            t0 = drill.restore_started()
            runner.materialize(self.files, workspace)
            workdir = workspace / self.entry_dir
            runner.write_inputs(workdir=workdir, variables=self.variables, backend=None)
            (workdir / STATE_FILE).write_bytes(self.state)
            written = hashlib.sha256((workdir / STATE_FILE).read_bytes()).hexdigest()
            if written != digest:
                raise DrillFailure("the state written to the workspace differs from the stored version")
            # Every apply saves a state version before it finishes, so the newest version is
            # the latest restorable point as of now: nothing changed since it was saved.
            drill.recovery_point("terraform-state", t0, at=t0)
            age = (t0 - self.state_saved_at).total_seconds() if self.state_saved_at else None
            step.evidence.update(workspace=workspace.name, sha256=written, state_version_age_s=age)
        home = workspace / ".home"
        home.mkdir(exist_ok=True)
        tf = runner.Terraform(
            binary=binary,
            workdir=workdir,
            env=runner.minimal_env(home=home, cli_config=self.terraform.cli_config, extra=self.terraform.env),
            redactor=runner.Redactor(self.terraform.secrets),
            on_line=lambda line: _forward(drill, line),
            timeout_s=self.terraform.timeout_s,
            should_cancel=drill.should_cancel,
        )
        with drill.step("terraform init") as step:
            result = tf.init()
            step.evidence.update(exit_code=result.exit_code, duration_s=round(result.duration_s, 3))
            drill.check_cancel()
            if not result.ok:
                raise DrillFailure(f"terraform init failed (exit code {result.exit_code}); see the log")
        with drill.step("plan against restored state") as step:
            result = tf.plan(out="drill.tfplan", detailed_exitcode=True)
            step.evidence.update(exit_code=result.exit_code, duration_s=round(result.duration_s, 3))
            drill.check_cancel()
            if result.exit_code == 2:
                summary = runner.summarize_plan(tf.show_json("drill.tfplan"))
                step.evidence["changes"] = summary.resources
                raise DrillFailure(
                    f"the restored state does not match the configuration: the plan would add "
                    f"{summary.add}, change {summary.change} and destroy {summary.destroy} resource(s)"
                )
            if result.exit_code != 0:
                raise DrillFailure(f"terraform plan failed (exit code {result.exit_code}); see the log")
            step.evidence["matches"] = True
            drill.verified()


def _forward(drill: Drill, line: runner.LogLine) -> None:
    drill.log(f"terraform: {line.message}")
