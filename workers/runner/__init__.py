"""Runs Terraform and Packer as child processes and turns their output into redacted log lines.

This package is the portal's only door to the Terraform and Packer binaries. It has no Django
(or Celery) imports so it can be tested against the real binaries in seconds and reused from a
CLI; the Django side wraps it (stores each LogLine as it arrives, heartbeats in on_tick, polls
for a cancel request in should_cancel).

- :mod:`.redaction`: secrets out of every line before anything else sees it;
- :mod:`.logs`: Terraform ``-json`` / Go log tag / Packer machine-readable line parsing;
- :mod:`.process`: spawn, stream lines, cancel with SIGINT → SIGTERM → SIGKILL, minimal env;
- :mod:`.supervisor`: holds each tool's process group, so nothing it started outlives it or
  the worker;
- :mod:`.workdir`: run folders, 0600 input and backend files, file hashes;
- :mod:`.terraform`: Terraform commands and plan summaries;
- :mod:`.packer`: Packer builds and their artifacts.

The names below are re-exported so ``from workers import runner; runner.Terraform(...)`` keeps
working; new code may import from the submodule directly.
"""

from workers.runner.logs import (
    SENSITIVE_PLACEHOLDER,
    LineParser,
    LogLine,
    mask_outputs,
    parse_packer_line,
    parse_plain_line,
    parse_terraform_line,
)
from workers.runner.packer import (
    PACKER_VARS_FILE,
    Artifact,
    PackerError,
    artifacts_from_manifest,
    packer_build,
)
from workers.runner.process import ProcessResult, RunnerError, minimal_env, stream_process
from workers.runner.redaction import DEFAULT_PATTERNS, MIN_SECRET_LENGTH, REDACTED, Redactor
from workers.runner.terraform import PlanSummary, Terraform, TerraformError, changes_digest, summarize_plan
from workers.runner.workdir import (
    BACKEND_CONFIG_FILE,
    BACKEND_OVERRIDE_FILE,
    TFVARS_FILE,
    file_sha256,
    hcl_string,
    materialize,
    prepare_workdir,
    write_inputs,
)

__all__ = [
    "BACKEND_CONFIG_FILE",
    "BACKEND_OVERRIDE_FILE",
    "DEFAULT_PATTERNS",
    "MIN_SECRET_LENGTH",
    "PACKER_VARS_FILE",
    "REDACTED",
    "SENSITIVE_PLACEHOLDER",
    "TFVARS_FILE",
    "Artifact",
    "LineParser",
    "LogLine",
    "PackerError",
    "PlanSummary",
    "ProcessResult",
    "Redactor",
    "RunnerError",
    "Terraform",
    "TerraformError",
    "artifacts_from_manifest",
    "changes_digest",
    "file_sha256",
    "hcl_string",
    "mask_outputs",
    "materialize",
    "minimal_env",
    "packer_build",
    "parse_packer_line",
    "parse_plain_line",
    "parse_terraform_line",
    "prepare_workdir",
    "stream_process",
    "summarize_plan",
    "write_inputs",
]
