"""Helpers shared by the runner tests: real child processes, collected log lines."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from workers.runner.logs import LogLine
from workers.runner.process import minimal_env, stream_process
from workers.runner.redaction import Redactor

ROOT = Path(__file__).resolve().parents[3]
SANDBOX = ROOT / "terraform" / "blueprints" / "local-sandbox"
PYTHON = sys.executable
TERRAFORM = os.environ.get("TERRAFORM_BIN") or shutil.which("terraform", path=str(Path(PYTHON).parent))
PACKER = os.environ.get("PACKER_BIN") or shutil.which("packer")

API_TOKEN = "tok-9f8e7d6c5b4a-sandbox"


class Lines:
    """Collects LogLines and answers questions about them."""

    def __init__(self) -> None:
        self.items: list[LogLine] = []

    def __call__(self, line: LogLine) -> None:
        self.items.append(line)

    @property
    def messages(self) -> list[str]:
        return [line.message for line in self.items]

    def text(self) -> str:
        return "\n".join(f"{line.stream} {line.level} {line.resource} | {line.raw}" for line in self.items)

    def of_type(self, kind: str) -> list[LogLine]:
        found = []
        for line in self.items:
            try:
                data = json.loads(line.raw)
            except ValueError:
                continue
            if isinstance(data, dict) and data.get("type") == kind:
                found.append(line)
        return found


def python(script: str) -> list[str]:
    return [PYTHON, "-u", "-c", script]


def run(argv: list[str], tmp_path: Path, **kwargs: Any) -> tuple[Any, Lines]:
    lines = Lines()
    options: dict[str, Any] = {
        "cwd": tmp_path,
        "env": minimal_env(home=tmp_path, cli_config=None),
        "on_line": lines,
        "redactor": Redactor(),
        "timeout_s": 20,
    }
    options.update(kwargs)
    return stream_process(argv, **options), lines


def process_gone(pid: int) -> bool:
    """True once ``pid`` no longer runs (exited and reaped, or left as a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def notes(lines: Lines) -> list[str]:
    """The runner's own account of the signals it sent, in order."""
    return [m for m in lines.messages if m.startswith("runner: ")]


def kill_if_alive(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, 9)


def wait_for(condition: Any, timeout_s: float, what: str) -> None:
    """Polls ``condition`` until it is true; fails naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
