"""checkov over the Terraform tree, and the accepted trade-offs (`# checkov:skip=ID: reason`).

Pure Python (no Django). checkov runs from its own virtualenv (`make checkov` builds
`.venv-checkov` from `requirements-checkov.txt`), because its dependencies clash with the
portal's pins; `CHECKOV_BIN` points at it.

Every failed check is either fixed or skipped in place, inside the resource, with a reason that
names the tier or the trade-off::

    resource "aws_sns_topic" "alarms" {
      # checkov:skip=CKV_AWS_26: CloudWatch alarms cannot publish to a topic under the AWS managed key
      ...

`accepted_skips` reads those comments from a blueprint's pinned files (its folder and the local
modules it uses) so the catalog can show a reviewer the trade-offs without running checkov.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SKIP_COMMENT = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)\s*(?::\s*(.*))?$")
# A top-level block header: `resource "type" "name" {`, `data "type" "name" {`, `module "name" {`.
_BLOCK_HEADER = re.compile(r'^(resource|data|module)\s+"([^"]+)"(?:\s+"([^"]+)")?\s*\{')
_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)\s*$")
#: A reason shorter than this is not an explanation.
MIN_REASON = 12


@dataclass(frozen=True)
class AcceptedSkip:
    check_id: str
    resource: str  # "aws_sns_topic.alarms" (module files: the resource inside the module)
    reason: str
    file: str  # path relative to terraform/
    line: int


@dataclass(frozen=True)
class TerraformBlock:
    kind: str
    address: str
    start: int  # 1-based line numbers, inclusive
    end: int
    lines: tuple[str, ...] = field(repr=False)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def top_level_blocks(text: str) -> Iterator[TerraformBlock]:
    """Top-level `resource`, `data` and `module` blocks of one .tf file, with their raw lines
    (comments included, which python-hcl2 drops). Braces inside strings, comments and heredocs
    do not count."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = _BLOCK_HEADER.match(lines[index])
        if not match:
            index += 1
            continue
        kind, first, second = match.groups()
        address = f"module.{first}" if kind == "module" else f"{first}.{second}"
        if kind == "data":
            address = f"data.{address}"
        depth, end, heredoc = 0, index, None
        for end in range(index, len(lines)):
            line = lines[end]
            if heredoc is not None:
                if line.strip() == heredoc:
                    heredoc = None
                continue
            depth += _brace_delta(line)
            marker = _HEREDOC.search(line)
            if marker:
                heredoc = marker.group(1)
            if depth <= 0:
                break
        yield TerraformBlock(kind, address, index + 1, end + 1, tuple(lines[index : end + 1]))
        index = end + 1


def _brace_delta(line: str) -> int:
    delta, in_string, escaped = 0, False, False
    for position, char in enumerate(line):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char == "#" or line.startswith("//", position):
            break
        elif char == "{":
            delta += 1
        elif char == "}":
            delta -= 1
    return delta


def skips_in_text(text: str, file: str) -> list[AcceptedSkip]:
    found = []
    for block in top_level_blocks(text):
        for offset, line in enumerate(block.lines):
            match = SKIP_COMMENT.search(line.strip())
            if match:
                found.append(
                    AcceptedSkip(
                        check_id=match.group(1),
                        resource=block.address,
                        reason=(match.group(2) or "").strip(),
                        file=file,
                        line=block.start + offset,
                    )
                )
    return found


def accepted_skips(files: Mapping[str, str]) -> list[AcceptedSkip]:
    """Every `checkov:skip` in a pinned file tree (`BlueprintSpec.files`: paths relative to
    terraform/), sorted by file, line. Module skips apply to every blueprint using the module."""
    skips: list[AcceptedSkip] = []
    for name in sorted(files):
        if name.endswith(".tf"):
            skips += skips_in_text(files[name], name)
    return skips


def unexplained(skips: list[AcceptedSkip]) -> list[AcceptedSkip]:
    return [skip for skip in skips if len(skip.reason) < MIN_REASON]


# ------------------------------------------------------------------------------- running checkov


class CheckovUnavailable(Exception):
    """The checkov binary is missing or did not produce a report."""


@dataclass(frozen=True)
class Finding:
    check_id: str
    check_name: str
    resource: str
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.check_id} {self.resource} ({self.file.lstrip('/')}:{self.line}): {self.check_name}"


@dataclass(frozen=True)
class CheckovReport:
    version: str
    passed: int
    failed: int
    skipped: int
    findings: tuple[Finding, ...]
    skipped_without_reason: tuple[Finding, ...]


def run_checkov(checkov_bin: str, root: Path, *, timeout: int = 600) -> CheckovReport:
    """checkov over every .tf under `root` (blueprints and modules; module calls are followed,
    so a module's resources are checked once per caller). Offline: no external modules, no
    Prisma Cloud download."""
    if not Path(checkov_bin).is_file():
        raise CheckovUnavailable(f"{checkov_bin} not found (run `make checkov`, or set CHECKOV_BIN)")
    proc = subprocess.run(
        [
            checkov_bin,
            "--directory",
            str(root),
            "--framework",
            "terraform",
            "--output",
            "json",
            "--compact",
            "--skip-download",
            "--download-external-modules",
            "false",
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"PATH": "/usr/bin:/bin", "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )
    try:
        document = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise CheckovUnavailable(
            f"checkov exited {proc.returncode} without a JSON report: {(proc.stderr or proc.stdout)[-400:]}"
        ) from exc
    return parse_report(document)


def _suppress_comment(item: dict[str, Any]) -> str:
    result = item.get("check_result") or {}
    comment = str(result.get("suppress_comment") or item.get("suppress_comment") or "").strip()
    return "" if comment == "No comment provided" else comment


def parse_report(document: dict[str, Any] | list[dict[str, Any]]) -> CheckovReport:
    reports = document if isinstance(document, list) else [document]
    report = next((r for r in reports if r.get("check_type") == "terraform"), None)
    if report is None:
        # checkov prints a bare summary when it finds nothing to check.
        summary = reports[0] if reports else {}
        return CheckovReport(str(summary.get("checkov_version", "")), 0, 0, 0, (), ())

    def finding(item: dict[str, Any]) -> Finding:
        return Finding(
            item["check_id"],
            item.get("check_name", ""),
            item["resource"],
            item["file_path"],
            item["file_line_range"][0],
        )

    summary = report["summary"]
    skipped = report["results"].get("skipped_checks", [])
    return CheckovReport(
        version=str(summary.get("checkov_version", "")),
        passed=summary["passed"],
        failed=summary["failed"],
        skipped=summary["skipped"],
        findings=tuple(finding(item) for item in report["results"].get("failed_checks", [])),
        skipped_without_reason=tuple(
            finding(item) for item in skipped if len(_suppress_comment(item)) < MIN_REASON
        ),
    )
