"""Terraform commands (init, plan, apply, show, output) in one prepared work folder, and what a
saved plan would change.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workers.runner.logs import LogLine, parse_plain_line
from workers.runner.process import ProcessResult, RunnerError, never, stream_process
from workers.runner.redaction import Redactor
from workers.runner.workdir import BACKEND_CONFIG_FILE, TFVARS_FILE


class TerraformError(RunnerError):
    """A Terraform command whose output the caller needs failed."""


class Terraform:
    """Runs Terraform commands in one prepared working directory.

    Every streaming command uses ``-input=false`` so Terraform can never hang waiting for a
    prompt, and ``-json`` where Terraform 1.0 supports it (plan, apply) so log lines carry a
    level and a resource address.
    """

    def __init__(
        self,
        *,
        binary: str,
        workdir: Path,
        env: Mapping[str, str],
        redactor: Redactor,
        on_line: Callable[[LogLine], None],
        timeout_s: float,
        should_cancel: Callable[[], bool] = never,
        on_tick: Callable[[], None] | None = None,
        tick_s: float = 2.0,
        grace_s: float = 10.0,
    ) -> None:
        self.binary = binary
        self.workdir = workdir
        self.env = dict(env)
        self.redactor = redactor
        self.on_line = on_line
        self.timeout_s = timeout_s
        self.should_cancel = should_cancel
        self.on_tick = on_tick
        self.tick_s = tick_s
        self.grace_s = grace_s

    def init(self) -> ProcessResult:
        """``terraform init``; reads backend settings from backend.tfbackend when present."""
        args = ["init", "-input=false", "-no-color"]
        if (self.workdir / BACKEND_CONFIG_FILE).exists():
            args.append(f"-backend-config={BACKEND_CONFIG_FILE}")
        return self._stream(args, parse_json=False)

    def plan(
        self,
        *,
        out: str = "plan.tfplan",
        destroy: bool = False,
        refresh_only: bool = False,
        detailed_exitcode: bool = False,
    ) -> ProcessResult:
        """``terraform plan -out``; with detailed_exitcode, exit code 2 means "has changes"."""
        args = ["plan", "-input=false", "-json", f"-out={out}"]
        if (self.workdir / TFVARS_FILE).exists():
            args.append(f"-var-file={TFVARS_FILE}")
        if destroy:
            args.append("-destroy")
        if refresh_only:
            args.append("-refresh-only")
        if detailed_exitcode:
            args.append("-detailed-exitcode")
        return self._stream(args)

    def apply(self, planfile: str) -> ProcessResult:
        """Applies exactly the saved plan file, so what runs is what was approved. The masked
        outputs from apply's own ``outputs`` message are kept in ``applied_outputs``, which saves
        a separate ``terraform output`` process."""
        self.applied_outputs: dict[str, Any] | None = None
        forward = self.on_line

        def capture(line: LogLine) -> None:
            if line.raw.startswith("{") and '"type":"outputs"' in line.raw.replace(" ", ""):
                with contextlib.suppress(ValueError):
                    outputs = json.loads(line.raw).get("outputs")
                    if isinstance(outputs, dict):
                        self.applied_outputs = outputs
            forward(line)

        self.on_line = capture
        try:
            return self._stream(["apply", "-input=false", "-json", planfile])
        finally:
            self.on_line = forward

    def show_json(self, planfile: str) -> dict[str, Any]:
        """The saved plan as JSON (``show -json``), with every known secret redacted."""
        return self._capture_json(["show", "-json", planfile])

    def output_json(self) -> dict[str, Any]:
        """``output -json`` with known secrets redacted; pass it to mask_outputs before storing."""
        return self._capture_json(["output", "-json"])

    def _stream(self, args: list[str], *, parse_json: bool = True) -> ProcessResult:
        return stream_process(
            [self.binary, *args],
            cwd=self.workdir,
            env=self.env,
            on_line=self.on_line,
            redactor=self.redactor,
            timeout_s=self.timeout_s,
            should_cancel=self.should_cancel,
            on_tick=self.on_tick,
            tick_s=self.tick_s,
            grace_s=self.grace_s,
            parse_json=parse_json,
        )

    def _capture_json(self, args: list[str]) -> dict[str, Any]:
        # These commands print one (possibly large) JSON document and finish in about a second,
        # so their stdout is captured whole and parsed, not streamed as log lines; only stderr
        # is streamed. They read state and plans but never lock or write them, so a timeout can
        # simply kill them.
        stdout: list[str] = []

        def collect(line: LogLine) -> None:
            if line.stream == "stdout":
                stdout.append(line.raw)
            else:
                self.on_line(line)

        result = stream_process(
            [self.binary, *args],
            cwd=self.workdir,
            env=self.env,
            on_line=collect,
            redactor=_NO_REDACTION,  # Redacted after parsing, so the JSON cannot be corrupted.
            timeout_s=self.timeout_s,
            should_cancel=self.should_cancel,
            on_tick=self.on_tick,
            tick_s=self.tick_s,
            grace_s=1.0,
            parser=self._redacting_plain_parser,
        )
        if not result.ok:
            raise TerraformError(f"terraform {args[0]} failed (exit code {result.exit_code})", result)
        try:
            parsed = json.loads("\n".join(stdout) or "{}")
        except ValueError as exc:
            raise TerraformError(f"terraform {args[0]} printed invalid JSON: {exc}", result) from exc
        if not isinstance(parsed, dict):
            kind = type(parsed).__name__
            raise TerraformError(f"terraform {args[0]} printed a JSON {kind}, not an object", result)
        redacted: dict[str, Any] = self.redactor.redact_value(parsed)
        return redacted

    def _redacting_plain_parser(self, stream: str, line: str) -> LogLine:
        # stdout stays unredacted until it is parsed (see _capture_json); stderr is redacted now
        # because it goes straight to on_line.
        if stream == "stderr":
            line = self.redactor.redact(line)
        return parse_plain_line(stream, line)


_NO_REDACTION = Redactor(patterns=())


@dataclass
class PlanSummary:
    """Counts of what a plan would do, in Terraform's own terms (a replace is add + destroy)."""

    add: int
    change: int
    destroy: int
    resources: list[dict[str, Any]] = field(default_factory=list)  # {address, type, actions}
    has_changes: bool = False


def summarize_plan(plan_json: Mapping[str, Any]) -> PlanSummary:
    """Summarizes ``terraform show -json`` output by resource actions.

    No-op and read actions are left out; ``has_changes`` only looks at resources (output-only
    changes do not count), which is what an approver needs to judge.
    """
    add = change = destroy = 0
    resources: list[dict[str, Any]] = []
    for item in plan_json.get("resource_changes") or []:
        actions = list((item.get("change") or {}).get("actions") or [])
        counted = False
        if "create" in actions:
            add += 1
            counted = True
        if "delete" in actions:
            destroy += 1
            counted = True
        if "update" in actions:
            change += 1
            counted = True
        if counted:
            resources.append({"address": item.get("address"), "type": item.get("type"), "actions": actions})
    return PlanSummary(
        add=add,
        change=change,
        destroy=destroy,
        resources=resources,
        has_changes=bool(add or change or destroy),
    )


def changes_digest(plan_json: Mapping[str, Any]) -> str:
    """SHA-256 of what a plan would change (resources and outputs), without what differs between
    two plans of the same change (timestamps, the plan file's zip layout, prior state serials).
    Two plans with the same digest make the same changes."""
    resources = [
        {key: item.get("change", {}).get(key) for key in ("actions", "before", "after", "after_unknown")}
        | {"address": item.get("address")}
        for item in plan_json.get("resource_changes", [])
    ]
    outputs = {
        name: change.get("actions") and change for name, change in plan_json.get("output_changes", {}).items()
    }
    canonical = json.dumps(
        {"resources": resources, "outputs": outputs}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
