"""Log parsing: turns one redacted line of Terraform (``-json`` UI or plain text with Go log tags
such as ``[DEBUG]``) or Packer (``-machine-readable``) output into a LogLine with a level and the
resource it is about.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

SENSITIVE_PLACEHOLDER = "(sensitive)"


@dataclass(frozen=True)
class LogLine:
    """One line of tool output, already redacted.

    ``raw`` is the (redacted) line as the tool printed it, kept for debugging and download;
    ``message`` is the human text the run page shows; ``resource`` is the Terraform resource
    address or Packer build name the line is about, so the UI can group or filter by it.
    """

    stream: str  # "stdout" | "stderr"
    level: str  # "info" | "warn" | "error" | "debug"
    message: str
    resource: str | None
    raw: str


LineParser = Callable[[str, str], LogLine]
_TF_LEVELS = {"info": "info", "warn": "warn", "warning": "warn", "error": "error", "debug": "debug"}
_LOG_LEVEL_TAG = re.compile(r"\[(TRACE|DEBUG|INFO|WARN|ERROR)\]")
_TAG_LEVELS = {"TRACE": "debug", "DEBUG": "debug", "INFO": "info", "WARN": "warn", "ERROR": "error"}


def parse_plain_line(stream: str, line: str) -> LogLine:
    """Parses a line that carries no structure. A Go log tag such as ``[DEBUG]`` (Terraform's http
    backend logs its requests that way on stderr) sets the level; otherwise stderr is an error."""
    tag = _LOG_LEVEL_TAG.search(line[:40])
    return LogLine(
        stream=stream,
        level=_TAG_LEVELS[tag.group(1)] if tag else ("error" if stream == "stderr" else "info"),
        message=line,
        resource=None,
        raw=line,
    )


def parse_terraform_line(stream: str, line: str) -> LogLine:
    """Parses one line of Terraform's machine-readable UI (``-json``), or a plain line.

    Terraform 1.0 prints a JSON object per line with ``@level``, ``@message`` and ``type``;
    resource-related events carry the address in ``hook.resource.addr`` (apply_*, provision_*,
    refresh_*) or ``change.resource.addr`` (planned_change, resource_drift).
    """
    if not line.startswith("{"):
        return parse_plain_line(stream, line)
    try:
        data = json.loads(line)
    except ValueError:
        return parse_plain_line(stream, line)
    if not isinstance(data, dict) or ("@message" not in data and "type" not in data):
        return parse_plain_line(stream, line)

    kind = data.get("type")
    level = _TF_LEVELS.get(str(data.get("@level", "info")).lower(), "debug")
    message = str(data.get("@message", ""))
    resource = _terraform_resource(data)
    raw = line

    if kind == "diagnostic" and isinstance(data.get("diagnostic"), dict):
        diagnostic = data["diagnostic"]
        level = _TF_LEVELS.get(str(diagnostic.get("severity", "error")).lower(), "error")
        summary = str(diagnostic.get("summary", "")).strip()
        detail = str(diagnostic.get("detail", "")).strip()
        message = f"{summary}: {detail}" if summary and detail else summary or detail or message
        where = diagnostic.get("range")
        if isinstance(where, dict) and where.get("filename"):
            line_no = (where.get("start") or {}).get("line")
            message += f" ({where['filename']}" + (f" line {line_no})" if line_no else ")")
        resource = resource or diagnostic.get("address") or None
    elif kind == "outputs" and isinstance(data.get("outputs"), dict):
        # The apply summary carries every output value in clear, sensitive ones included;
        # mask them here so even a secret the redactor was not told about stays out of the log.
        data["outputs"] = mask_outputs(data["outputs"])
        raw = json.dumps(data, separators=(",", ":"))

    return LogLine(stream=stream, level=level, message=message, resource=resource, raw=raw)


def _terraform_resource(data: Mapping[str, Any]) -> str | None:
    for key in ("hook", "change"):
        block = data.get(key)
        if isinstance(block, dict):
            resource = block.get("resource")
            if isinstance(resource, dict) and resource.get("addr"):
                return str(resource["addr"])
    return None


_PACKER_TARGET = re.compile(r"^\s*(?:==>|-->)?\s*([A-Za-z0-9_.\-]+):\s")


def parse_packer_line(stream: str, line: str) -> LogLine:
    """Parses one ``packer -machine-readable`` line: ``timestamp,target,type,data...``.

    Commas inside data are escaped as ``%!(PACKER_COMMA)`` and newlines as a literal ``\\n``.
    ``ui`` lines are what a person would see (``say``/``message`` are info, ``error`` is an
    error); the rest (artifact, artifact-count, ...) are bookkeeping shown at debug level.
    """
    parts = line.split(",")
    if len(parts) < 3 or not parts[0].isdigit():
        return parse_plain_line(stream, line)
    target, kind, data = parts[1], parts[2], [_packer_unescape(p) for p in parts[3:]]
    if kind == "ui" and data:
        ui_type, text = data[0], ",".join(data[1:]).strip()
        level = {"error": "error", "say": "info", "message": "info"}.get(ui_type, "debug")
        found = _PACKER_TARGET.match(text)
        resource = target or (found.group(1) if found else None)
        return LogLine(stream=stream, level=level, message=text, resource=resource, raw=line)
    return LogLine(
        stream=stream,
        level="error" if kind == "error" else "debug",
        message=" ".join([kind, *data]).strip(),
        resource=target or None,
        raw=line,
    )


def _packer_unescape(value: str) -> str:
    return value.replace("%!(PACKER_COMMA)", ",").replace("\\n", "\n").replace("\\r", "\r")


def mask_outputs(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """Turns ``output -json`` into ``{name: {value, sensitive}}`` with sensitive values hidden."""
    masked: dict[str, Any] = {}
    for name, output in outputs.items():
        details = output if isinstance(output, dict) else {"value": output}
        sensitive = bool(details.get("sensitive", False))
        masked[name] = {
            "value": SENSITIVE_PLACEHOLDER if sensitive else details.get("value"),
            "sensitive": sensitive,
        }
    return masked
