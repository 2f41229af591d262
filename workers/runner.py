"""Runs Terraform and Packer as child processes and turns their output into redacted log lines.

This module is the portal's only door to the Terraform and Packer binaries. It has no Django
imports so it can be tested against the real binaries in seconds and reused from a CLI; the
Django side wraps it (stores each LogLine as it arrives, heartbeats in on_tick, polls for a
cancel request in should_cancel).

Design points, each of which exists because of a failure it prevents:

* Output is read line by line while the process runs (one reader thread per pipe feeding a
  queue), so the run page shows logs live instead of at the end, and a chatty stderr can never
  fill its pipe and deadlock the child.
* Every line is redacted before it is parsed or handed on, so no code downstream (the database,
  the UI, an exception message) ever holds a secret in clear.
* Stopping is graceful first: SIGINT to the whole process group (what Ctrl-C does), then
  SIGTERM, then SIGKILL. Terraform needs the SIGINT window to finish writing state and release
  its state lock; killing it outright can leave a lock that blocks every later run.
* Inputs and backend credentials go into 0600 files, never onto a command line (which any local
  user can read in /proc) and never pasted into HCL source (which would allow HCL injection).
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import hashlib
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any

__all__ = [
    "DEFAULT_PATTERNS",
    "Artifact",
    "LogLine",
    "PackerError",
    "PlanSummary",
    "ProcessResult",
    "Redactor",
    "RunnerError",
    "Terraform",
    "TerraformError",
    "changes_digest",
    "file_sha256",
    "mask_outputs",
    "materialize",
    "minimal_env",
    "packer_build",
    "parse_packer_line",
    "parse_terraform_line",
    "prepare_workdir",
    "stream_process",
    "summarize_plan",
    "write_inputs",
]

REDACTED = "[REDACTED]"
SENSITIVE_PLACEHOLDER = "(sensitive)"

TFVARS_FILE = "terraform.tfvars.json"
BACKEND_OVERRIDE_FILE = "portal_backend_override.tf"
BACKEND_CONFIG_FILE = "backend.tfbackend"
PACKER_VARS_FILE = "portal.pkrvars.json"

# Patterns for credentials whose value the portal was never told about (a user pasting an AWS key
# into a greeting, a provider echoing a connection string). A named group "secret" limits the
# replacement to that group, so the log still says *what* was hidden.
DEFAULT_PATTERNS: tuple[str, ...] = (
    # AWS access key ids (long-term AKIA, temporary ASIA).
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    # aws_secret_access_key = "...", "SecretAccessKey": "...", AWS_SESSION_TOKEN=...
    r"(?i)(?:aws_?secret_?access_?key|secret_?access_?key|aws_?session_?token|session_?token)"
    r"[\"']?\s*[:=]\s*[\"']?(?P<secret>[A-Za-z0-9/+=]{16,})",
    # Authorization: Bearer <token>, and bare "Bearer <token>" in error dumps.
    r"(?i)\bbearer\s+(?P<secret>[A-Za-z0-9\-._~+/]+=*)",
    # Authorization: Basic <base64 user:pass>
    r"(?i)\bauthorization\s*[:=]\s*[\"']?basic\s+(?P<secret>[A-Za-z0-9+/]+=*)",
    # Passwords in URLs: scheme://user:password@host
    r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@\"']*:(?P<secret>[^/\s@\"']+)@",
    # PEM private keys that arrive on one line (JSON-escaped newlines, or a single-line dump).
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----",
)

# Secrets shorter than this are not redacted: replacing "dev" or "1" everywhere would shred the
# log while protecting nothing worth protecting.
MIN_SECRET_LENGTH = 4

# After the main process exits, how long its pipes may stay open (held by a grandchild that
# inherited them) before the rest of its process group is killed so the readers can finish.
_DRAIN_S = 1.0
_MAX_CANCEL_POLL_S = 0.5

_EMPTY: Mapping[str, str] = MappingProxyType({})


def _never() -> bool:
    return False


# --------------------------------------------------------------------------------------------------
# Redaction


class Redactor:
    """Replaces known secret values and credential-shaped text with ``[REDACTED]``.

    Secrets are matched in the forms they commonly leak in: verbatim, JSON-escaped (Terraform's
    ``-json`` output and plan files escape quotes and backslashes), URL-encoded (connection
    strings) and base64 (HTTP basic auth, Kubernetes secrets, user-data). It works line by line,
    so a multi-line PEM block is only caught when it arrives on one line; pass such keys as
    secrets instead.
    """

    def __init__(self, secrets: Iterable[str] = (), patterns: Iterable[str] = DEFAULT_PATTERNS) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
                continue
            forms.update(_secret_forms(secret))
        # Longest first, so a secret that contains another secret is replaced whole.
        ordered = sorted((f for f in forms if f), key=len, reverse=True)
        self._secrets: re.Pattern[str] | None = (
            re.compile("|".join(re.escape(f) for f in ordered)) if ordered else None
        )
        self._patterns: tuple[re.Pattern[str], ...] = tuple(re.compile(p) for p in patterns)

    def redact(self, text: str) -> str:
        """Returns ``text`` with every secret form and every pattern match replaced."""
        if self._secrets is not None:
            text = self._secrets.sub(REDACTED, text)
        for pattern in self._patterns:
            text = pattern.sub(_replace_match, text)
        return text

    def redact_value(self, value: Any) -> Any:
        """Redacts every string inside a parsed JSON value, keeping its structure intact.

        Used for plan and output JSON: redacting the serialized text could corrupt the JSON if a
        pattern ever matched across a quote, while walking the parsed value cannot.
        """
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, list):
            return [self.redact_value(v) for v in value]
        if isinstance(value, dict):
            return {self.redact(str(k)): self.redact_value(v) for k, v in value.items()}
        return value


def _secret_forms(secret: str) -> set[str]:
    raw = secret.encode("utf-8")
    b64 = base64.b64encode(raw).decode("ascii")
    return {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret, safe=""),
        b64,
        b64.rstrip("="),
        base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="),
    }


def _replace_match(match: re.Match[str]) -> str:
    if "secret" in match.re.groupindex and match.group("secret") is not None:
        start, end = match.span("secret")
        whole_start = match.start()
        text = match.group(0)
        return text[: start - whole_start] + REDACTED + text[end - whole_start :]
    return REDACTED


# --------------------------------------------------------------------------------------------------
# Log lines and parsing


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


# --------------------------------------------------------------------------------------------------
# Running a process


@dataclass(frozen=True)
class ProcessResult:
    """How a child process ended.

    ``exit_code`` follows subprocess: negative means killed by that signal; None means the
    process could not be started at all (the reason was sent to on_line as an error line).
    """

    exit_code: int | None
    timed_out: bool
    cancelled: bool
    duration_s: float

    @property
    def ok(self) -> bool:
        """True when the process ran to completion with exit code 0."""
        return self.exit_code == 0 and not self.timed_out and not self.cancelled


def stream_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    on_line: Callable[[LogLine], None],
    redactor: Redactor,
    timeout_s: float,
    should_cancel: Callable[[], bool] = _never,
    on_tick: Callable[[], None] | None = None,
    tick_s: float = 2.0,
    grace_s: float = 10.0,
    parse_json: bool = True,
    parser: LineParser | None = None,
) -> ProcessResult:
    """Runs ``argv`` and calls ``on_line`` for each output line as it arrives.

    Callbacks (on_line, on_tick, should_cancel) all run in the calling thread, so they may use a
    database connection that belongs to that thread. ``should_cancel`` is polled at least every
    0.5 s; a cancel or a timeout stops the process group with SIGINT, then SIGTERM and SIGKILL
    ``grace_s`` apart, and keeps streaming what the process prints while it shuts down.
    ``parser`` turns a redacted line into a LogLine; by default Terraform ``-json`` lines are
    parsed when ``parse_json`` is true. Blank lines are dropped.

    The child gets only ``env`` (no inheritance), no stdin, and its own session, so signals aimed
    at its group reach Terraform's provider plugins and local-exec commands too, and never the
    portal itself.
    """
    line_parser = parser or (parse_terraform_line if parse_json else parse_plain_line)
    started = time.monotonic()

    def emit(stream: str, text: str) -> None:
        text = redactor.redact(text.rstrip("\r\n"))
        if text.strip():
            on_line(line_parser(stream, text))

    def note(message: str) -> None:
        # The runner's own account of what it did to the process, shown alongside its output.
        on_line(LogLine(stream="stderr", level="warn", message=message, resource=None, raw=message))

    try:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            close_fds=True,
            preexec_fn=_stop_when_parent_dies,
        )
    except OSError as exc:
        emit("stderr", f"could not start {argv[0] if argv else '(empty command)'}: {exc}")
        return ProcessResult(exit_code=None, timed_out=False, cancelled=False, duration_s=0.0)

    lines: queue.Queue[tuple[str, bytes | None]] = queue.Queue()
    assert proc.stdout is not None and proc.stderr is not None
    readers = [
        threading.Thread(target=_pump, args=(proc.stdout, "stdout", lines), daemon=True),
        threading.Thread(target=_pump, args=(proc.stderr, "stderr", lines), daemon=True),
    ]
    for reader in readers:
        reader.start()

    open_streams = len(readers)
    stop_reason: str | None = None
    signals_sent = 0
    next_signal_at = float("inf")
    poll_s = min(_MAX_CANCEL_POLL_S, tick_s)
    deadline = started + timeout_s
    next_tick = started + tick_s if on_tick is not None else float("inf")
    next_poll = started
    exited_at: float | None = None
    group_killed = False

    try:
        while True:
            now = time.monotonic()
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None:
                if open_streams == 0:
                    break
                # A grandchild kept the pipes open after the main process exited; stop it
                # so the readers reach EOF instead of hanging forever.
                if not group_killed and now - exited_at > _DRAIN_S:
                    _signal_group(proc.pid, signal.SIGKILL)
                    group_killed = True
                if now - exited_at > _DRAIN_S + 5.0:
                    break  # Escaped into another session; the daemon readers end with it.

            if on_tick is not None and now >= next_tick:
                on_tick()
                next_tick = time.monotonic() + tick_s

            if exited_at is None:
                if stop_reason is None:
                    if now >= deadline:
                        stop_reason = "timeout"
                    elif now >= next_poll:
                        next_poll = now + poll_s
                        if should_cancel():
                            stop_reason = "cancel"
                    if stop_reason is not None:
                        note(f"runner: {stop_reason}, sending SIGINT")
                        _signal_group(proc.pid, signal.SIGINT)
                        signals_sent, next_signal_at = 1, now + grace_s
                elif now >= next_signal_at and signals_sent < 3:
                    sig = signal.SIGTERM if signals_sent == 1 else signal.SIGKILL
                    note(f"runner: still running after {grace_s:g}s, sending {sig.name}")
                    _signal_group(proc.pid, sig)
                    signals_sent += 1
                    next_signal_at = now + grace_s

            wake_at = [now + 0.5, next_tick]
            if exited_at is None:
                wake_at += [next_poll, deadline] if stop_reason is None else [next_signal_at]
            wait_s = max(min(wake_at) - now, 0.01)
            if open_streams == 0:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=wait_s)
                continue
            try:
                stream, chunk = lines.get(timeout=wait_s)
            except queue.Empty:
                continue
            if chunk is None:
                open_streams -= 1
            else:
                emit(stream, chunk.decode("utf-8", errors="replace"))
    finally:
        # Only reached with a live process when a callback raised: stop it the same graceful
        # way, without streaming, so a Terraform state lock is still released.
        if proc.poll() is None:
            _stop_blocking(proc, grace_s)
        proc.wait()
        for reader in readers:
            reader.join(timeout=1.0)
        if any(r.is_alive() for r in readers):
            _signal_group(proc.pid, signal.SIGKILL)
            for reader in readers:
                reader.join(timeout=2.0)

    # Lines read by the pumps after the loop ended (normally none) are still delivered.
    while True:
        try:
            stream, chunk = lines.get_nowait()
        except queue.Empty:
            break
        if chunk is not None:
            emit(stream, chunk.decode("utf-8", errors="replace"))

    return ProcessResult(
        exit_code=proc.returncode,
        timed_out=stop_reason == "timeout",
        cancelled=stop_reason == "cancel",
        duration_s=round(time.monotonic() - started, 3),
    )


def _stop_when_parent_dies() -> None:
    """Linux: the child gets SIGTERM (graceful for Terraform) when the worker that started it
    dies, even by kill -9, so it never runs on unattended holding the state lock."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _pump(pipe: IO[bytes], stream: str, lines: queue.Queue[tuple[str, bytes | None]]) -> None:
    """Reader thread body: forwards whole lines, then a None marker at EOF."""
    try:
        for chunk in iter(pipe.readline, b""):
            lines.put((stream, chunk))
    except (OSError, ValueError):
        pass  # The pipe was closed under us; EOF is all that is left to report.
    finally:
        lines.put((stream, None))
        with contextlib.suppress(OSError):
            pipe.close()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    # The child is its session's and group's leader, so its pid is the group id. Linux does not
    # reuse a pid while it is still a live group's id, so this cannot hit a stranger's group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _stop_blocking(proc: subprocess.Popen[bytes], grace_s: float) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        _signal_group(proc.pid, sig)
        try:
            proc.wait(timeout=grace_s)
            return
        except subprocess.TimeoutExpired:
            continue


# --------------------------------------------------------------------------------------------------
# Environment and working directory


def minimal_env(*, home: Path, cli_config: str | None, extra: Mapping[str, str] = _EMPTY) -> dict[str, str]:
    """Builds the whole environment of a Terraform or Packer run.

    Nothing is inherited but PATH: the portal's own environment holds its database URL, secret
    key and maybe cloud credentials, and a module's local-exec or a provider could read and
    print any of them. Cloud credentials for the run are passed explicitly in ``extra``.
    """
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
    }
    if cli_config:
        env["TF_CLI_CONFIG_FILE"] = cli_config
    env.update(extra)
    return env


_SKIP_DIRS = {".terraform", ".git"}
_SKIP_FILE = re.compile(
    r"(^terraform\.tfstate(\..*)?$)|(\.tfstate(\.backup)?$)|(^\.terraform\.tfstate\.lock\.info$)"
    r"|(\.tfplan$)|(^crash\.log$)"
)


def prepare_workdir(
    *,
    module_dir: Path,
    workdir: Path,
    variables: Mapping[str, object],
    backend: Mapping[str, str] | None,
) -> Path:
    """Copies a module into a fresh run directory and writes its inputs and backend config.

    Each run gets its own copy so concurrent runs of one blueprint never share ``.terraform``
    or a plan file, and provider caches or state left in the source tree are never picked up.
    Inputs go to ``terraform.tfvars.json`` (JSON, so a value can never become HCL code). With a
    backend, ``portal_backend_override.tf`` replaces any backend the module declares with the
    portal's http backend, and its settings (credentials included) go to ``backend.tfbackend``
    for ``init -backend-config=``, so they never appear on a command line.
    """

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = set()
        for name in names:
            path = Path(directory) / name
            if (name in _SKIP_DIRS and path.is_dir()) or (_SKIP_FILE.search(name) and path.is_file()):
                skipped.add(name)
        return skipped

    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(module_dir, workdir, ignore=ignore, dirs_exist_ok=True)
    return write_inputs(workdir=workdir, variables=variables, backend=backend)


def materialize(files: Mapping[str, str], root: Path) -> Path:
    """Writes a pinned file tree (relative path -> text, as a blueprint version stores it) under
    ``root``. Paths that would escape ``root`` are refused."""
    root.mkdir(parents=True, exist_ok=True)
    resolved_root = root.resolve()
    for name, text in files.items():
        target = (root / name).resolve()
        if resolved_root not in target.parents:
            raise ValueError(f"refusing to write {name!r} outside the run folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def write_inputs(
    *,
    workdir: Path,
    variables: Mapping[str, object],
    backend: Mapping[str, str] | None,
    backend_type: str = "http",
) -> Path:
    """Writes ``terraform.tfvars.json`` and the backend override/config into a module folder.
    ``backend_type`` is the Terraform backend (``http`` for the portal's own, or ``s3``)."""
    if not re.fullmatch(r"[a-z0-9]+", backend_type):
        raise ValueError(f"invalid backend type: {backend_type!r}")
    _write_private(workdir / TFVARS_FILE, json.dumps(dict(variables), indent=2, sort_keys=True) + "\n")
    override = workdir / BACKEND_OVERRIDE_FILE
    config = workdir / BACKEND_CONFIG_FILE
    if backend is not None:
        override.write_text(f'terraform {{\n  backend "{backend_type}" {{}}\n}}\n')
        lines = [f"{_hcl_key(key)} = {hcl_string(str(value))}\n" for key, value in backend.items()]
        _write_private(config, "".join(lines))
    else:
        # A reused workdir must not keep a backend from an earlier run.
        override.unlink(missing_ok=True)
        config.unlink(missing_ok=True)
    return workdir


def hcl_string(value: str) -> str:
    """Quotes ``value`` as an HCL string literal that evaluates to exactly ``value``.

    JSON string syntax is almost HCL's, but HCL also reads ``${`` and ``%{`` as template
    sequences and lacks JSON's ``\\b``/``\\f`` escapes, so those are handled here.
    """
    out = ['"']
    for index, char in enumerate(value):
        following = value[index + 1 : index + 2]
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        elif char in "$%" and following == "{":
            out.append(char * 2)
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _hcl_key(key: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", key):
        raise ValueError(f"invalid backend setting name: {key!r}")
    return key


def _write_private(path: Path, text: str) -> None:
    """Writes a file only its owner can read, without a window where it is world-readable."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)  # The file may have existed with wider permissions.
        handle.write(text)


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks; used to prove apply ran the approved plan file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------------
# Terraform


class RunnerError(Exception):
    """A command whose output the caller needs (show, output) failed."""

    def __init__(self, message: str, result: ProcessResult) -> None:
        super().__init__(message)
        self.result = result


class TerraformError(RunnerError):
    """A Terraform command whose output the caller needs failed."""


class PackerError(RunnerError):
    """A Packer build could not be started or its results read."""


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
        should_cancel: Callable[[], bool] = _never,
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


# --------------------------------------------------------------------------------------------------
# Packer


@dataclass(frozen=True)
class Artifact:
    """One image a Packer build produced; region is "" for builders without regions (null)."""

    region: str
    image_id: str


def packer_build(
    *,
    binary: str,
    template_dir: Path,
    template: str,
    variables: Mapping[str, object],
    env: Mapping[str, str],
    redactor: Redactor,
    on_line: Callable[[LogLine], None],
    timeout_s: float,
    should_cancel: Callable[[], bool] = _never,
    on_tick: Callable[[], None] | None = None,
    tick_s: float = 2.0,
    grace_s: float = 10.0,
    manifest: str = "packer-manifest.json",
) -> tuple[ProcessResult, list[Artifact]]:
    """Runs ``packer build`` and returns the artifacts its manifest post-processor recorded.

    Variables go into a 0600 JSON var file (Packer 1.6.6 reads ``-var-file=*.json`` for both
    HCL2 and JSON templates) so values never reach the command line. The template must use the
    ``manifest`` post-processor writing ``manifest`` (relative to template_dir); only the builds
    of this run (its ``last_run_uuid``) are read, because the manifest accumulates across runs.
    Packer 1.6.6 prints sensitive variables in clear, so the redactor must know them.
    """
    var_file = template_dir / PACKER_VARS_FILE
    _write_private(var_file, json.dumps(dict(variables), indent=2, sort_keys=True) + "\n")
    result = stream_process(
        [binary, "build", "-machine-readable", "-color=false", f"-var-file={PACKER_VARS_FILE}", template],
        cwd=template_dir,
        env=env,
        on_line=on_line,
        redactor=redactor,
        timeout_s=timeout_s,
        should_cancel=should_cancel,
        on_tick=on_tick,
        tick_s=tick_s,
        grace_s=grace_s,
        parser=parse_packer_line,
    )
    if not result.ok:
        return result, []
    manifest_path = template_dir / manifest
    try:
        data = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PackerError(f"packer build succeeded but {manifest} could not be read: {exc}", result) from exc
    return result, artifacts_from_manifest(data)


def artifacts_from_manifest(manifest: Mapping[str, Any]) -> list[Artifact]:
    """Reads the artifacts of the last run from a Packer manifest.

    ``artifact_id`` is ``region:image,region:image`` for cloud images (amazon-ebs) and a bare id
    such as ``Null`` for builders that have no region.
    """
    builds = [b for b in manifest.get("builds") or [] if isinstance(b, dict)]
    last_run = manifest.get("last_run_uuid")
    current = [b for b in builds if last_run and b.get("packer_run_uuid") == last_run] or builds[-1:]
    artifacts: list[Artifact] = []
    for build in current:
        for part in str(build.get("artifact_id") or "").split(","):
            part = part.strip()
            if not part:
                continue
            region, sep, image_id = part.partition(":")
            artifact = Artifact(region=region, image_id=image_id) if sep else Artifact("", part)
            if artifact not in artifacts:
                artifacts.append(artifact)
    return artifacts
