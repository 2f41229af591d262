"""Process control: runs a child process, streams its output line by line, and stops it gracefully.

* Output is read line by line while the process runs (one reader thread per pipe feeding a
  queue), so the run page shows logs live instead of at the end, and a chatty stderr can never
  fill its pipe and deadlock the child.
* The process runs under a supervisor (:mod:`.supervisor`) that holds its process group and
  kills everything the process started, re-parented orphans included, when the process exits,
  when the run is stopped, or when the worker dies (even by kill -9).
* Stopping is graceful first, with the output pipes still read the whole time: SIGINT to the
  whole process group (what Ctrl-C does), ``grace_s`` later SIGTERM, ``grace_s`` later SIGKILL
  of the whole tree. Terraform needs the SIGINT window to finish writing state and release its
  state lock; it releases it on SIGINT or SIGTERM as long as it can still write its output
  (with its stdout closed it dies on the next write, lock held), and SIGKILL leaves the lock for
  the reaper to release.
* The child's environment is built from nothing (:func:`minimal_env`), never inherited.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import IO

from workers.runner.logs import LineParser, LogLine, parse_plain_line, parse_terraform_line
from workers.runner.redaction import Redactor
from workers.runner.supervisor import Supervised, prepare_next, start_supervised

# After the main process exits, how long its pipes may stay open (held by a grandchild that
# inherited them) before the rest of its process group is killed so the readers can finish.
_DRAIN_S = 1.0
_MAX_CANCEL_POLL_S = 0.5
_EMPTY: Mapping[str, str] = MappingProxyType({})


def never() -> bool:
    """The default ``should_cancel``: the run is never cancelled."""
    return False


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
    should_cancel: Callable[[], bool] = never,
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

    The child gets only ``env`` (no inheritance), no stdin, and its own session under a
    supervisor, so signals aimed at its group reach Terraform's provider plugins and local-exec
    commands too, and never the portal itself; whatever escapes the group is still killed by the
    supervisor (see :mod:`.supervisor`).
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
        proc, out_read, err_read = start_supervised(argv, cwd=cwd, env=env, grace_s=grace_s)
    except (OSError, IndexError) as exc:
        emit("stderr", f"could not start {argv[0] if argv else '(empty command)'}: {exc}")
        return ProcessResult(exit_code=None, timed_out=False, cancelled=False, duration_s=0.0)
    stdout, stderr = os.fdopen(out_read, "rb"), os.fdopen(err_read, "rb")

    lines: queue.Queue[tuple[str, bytes | None]] = queue.Queue()
    readers = [
        threading.Thread(target=_pump, args=(stdout, "stdout", lines), daemon=True),
        threading.Thread(target=_pump, args=(stderr, "stderr", lines), daemon=True),
    ]
    for reader in readers:
        reader.start()
    with contextlib.suppress(OSError):  # no fork now: the next start forks its own supervisor
        prepare_next()  # while this command runs, not before the next one

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
                    proc.signal_group(signal.SIGKILL)
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
                        proc.signal_group(signal.SIGINT)
                        signals_sent, next_signal_at = 1, now + grace_s
                elif now >= next_signal_at and signals_sent < 3:
                    sig = signal.SIGTERM if signals_sent == 1 else signal.SIGKILL
                    note(f"runner: still running after {grace_s:g}s, sending {sig.name}")
                    if sig == signal.SIGKILL:
                        proc.kill_all()
                    else:
                        proc.signal_group(sig)
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
            proc.signal_group(signal.SIGKILL)
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


def _stop_blocking(proc: Supervised, grace_s: float) -> None:
    # The pumps still read the pipes meanwhile, so Terraform can write while it shuts down.
    for sig in (signal.SIGINT, signal.SIGTERM):
        proc.signal_group(sig)
        try:
            proc.wait(timeout=grace_s)
            return
        except subprocess.TimeoutExpired:
            continue
    proc.kill_all()


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


class RunnerError(Exception):
    """A command whose output the caller needs (show, output) failed."""

    def __init__(self, message: str, result: ProcessResult) -> None:
        super().__init__(message)
        self.result = result
