"""No orphans: everything a tool starts ends with it, with a cancel, and when the worker dies.

Real processes only: a marker number on a `sleep` command line finds the descendants in /proc."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

from tests.processes import processes_running
from tests.workers.runner.helpers import ROOT, Lines, notes, process_gone, python, run, wait_for
from workers.runner import supervisor

pytestmark = pytest.mark.integration


def marker() -> str:
    return f"{random.randint(100000, 999999)}.25"  # a sleep duration no other process uses


def with_marker(token: str) -> list[int]:
    """Pids of the live ``sleep <token>`` processes."""
    return processes_running(["sleep", token])


def kill_marked(token: str) -> None:
    for pid in with_marker(token):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def escaping_children(token: str) -> str:
    """A shell that starts one sleep in its group and one in a new session, both detached from
    the output pipes, prints 'started', then waits."""
    return (
        f"sleep {token} </dev/null >/dev/null 2>&1 & "
        f"setsid sleep {token} </dev/null >/dev/null 2>&1 & "
        "echo started; wait"
    )


def assert_prints_ready(stdout) -> None:
    """Reads the worker's output up to the tool's "ready"; the child shell's "started" may come
    before or after it."""
    lines = [stdout.readline().strip() for _ in range(2)]
    assert b"ready" in lines, lines


def test_descendants_that_left_the_group_end_with_the_tool(tmp_path):
    token = marker()
    try:
        result, lines = run(
            ["sh", "-c", f"setsid sleep {token} </dev/null >/dev/null 2>&1 & echo started"], tmp_path
        )
        assert result.exit_code == 0 and lines.messages == ["started"]
        wait_for(lambda: not with_marker(token), 10, "the escaped sleep to be killed")
    finally:
        kill_marked(token)


def test_a_cancel_leaves_no_descendant(tmp_path):
    token = marker()
    lines = Lines()
    try:
        result, _ = run(
            ["sh", "-c", escaping_children(token)],
            tmp_path,
            on_line=lines,
            should_cancel=lambda: "started" in lines.messages and len(with_marker(token)) == 2,
            grace_s=0.5,
        )
        assert result.cancelled
        assert notes(lines)[0] == "runner: cancel, sending SIGINT"
        assert with_marker(token) == []  # gone by the time stream_process returned
    finally:
        kill_marked(token)


WORKER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from workers.runner.process import minimal_env, stream_process
    from workers.runner.redaction import Redactor

    def on_line(line):
        print(line.message, flush=True)

    stream_process(
        sys.argv[1:], cwd=Path.cwd(), env=minimal_env(home=Path.cwd(), cli_config=None),
        on_line=on_line, redactor=Redactor(), timeout_s=120, grace_s=float({grace}),
    )
    """
)

# A tool that, like Terraform, finishes its work on SIGINT, writing plenty of output (more than
# a pipe holds) before it records that it exited cleanly.
GRACEFUL_TOOL = textwrap.dedent(
    """
    import signal, subprocess, sys
    token, done = sys.argv[1], sys.argv[2]
    subprocess.Popen(["sh", "-c", {children!r}.replace("TOKEN", token)])
    def stop(*_):
        for i in range(5000):
            print("shutting down, still saving state", i, "x" * 80, flush=True)
        open(done, "w").write("released")
        sys.exit(1)
    signal.signal(signal.SIGINT, stop)
    print("ready", flush=True)
    signal.pause()
    """
).format(children=escaping_children("TOKEN"))


def start_worker(cwd, grace: float, *tool: str) -> subprocess.Popen[bytes]:
    """A stand-in worker (WORKER) in its own session running ``tool``; returns once the tool
    printed 'ready'."""
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER.format(grace=grace), *tool],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert worker.stdout is not None
        assert_prints_ready(worker.stdout)
    except BaseException:
        worker.kill()
        raise
    return worker


def end_leftovers(worker: subprocess.Popen[bytes], token: str) -> None:
    """Kills what a failed test left: the sleeps, the worker, and its supervisor (a fork of the
    worker, so the same command line)."""
    kill_marked(token)
    if worker.poll() is None:
        worker.kill()
    for pid in processes_running(worker.args):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_kill_9_of_the_worker_stops_the_tool_gracefully_and_leaves_no_descendant(tmp_path):
    token, done = marker(), tmp_path / "done"
    (tmp_path / "tool.py").write_text(GRACEFUL_TOOL)
    worker = start_worker(tmp_path, 5, sys.executable, "tool.py", token, str(done))
    try:
        wait_for(lambda: len(with_marker(token)) == 2, 10, "both sleeps")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        # The supervisor sent SIGINT and drained the pipes, so the tool could write all its
        # shutdown output and finish; then nothing it started was left.
        wait_for(lambda: done.exists(), 20, "the tool to shut down cleanly")
        wait_for(lambda: not with_marker(token), 20, "every descendant to be gone")
        wait_for(lambda: not processes_running(worker.args), 20, "the supervisor to exit")
    finally:
        end_leftovers(worker, token)


def test_kill_9_of_the_worker_kills_a_tool_that_ignores_sigint_and_sigterm(tmp_path):
    token = marker()
    script = (
        "import signal, subprocess, sys\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"subprocess.Popen(['sh', '-c', {escaping_children(token)!r}])\n"
        "print('ready', flush=True)\n"
        f"subprocess.run(['sleep', '{token}'])\n"
    )
    worker = start_worker(tmp_path, 0.3, *python(script))
    try:
        wait_for(lambda: len(with_marker(token)) == 3, 10, "three sleeps")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        wait_for(lambda: not with_marker(token), 20, "every descendant to be gone")
        # The supervisor (a fork of the worker: the same command line) ends too, once the tree
        # is gone; it kept looping when it killed the tool itself.
        wait_for(lambda: not processes_running(worker.args), 20, "the supervisor to exit")
    finally:
        end_leftovers(worker, token)


def test_the_next_commands_supervisor_is_forked_while_a_command_runs(tmp_path):
    """A start costs no fork of the worker: the supervisor of the next command was forked, and
    set itself up, while the previous command ran; it waits for its command."""
    first, lines = run(["sh", "-c", "echo $PPID"], tmp_path)  # the tool's parent: its supervisor
    prepared = supervisor._next
    assert first.exit_code == 0 and prepared is not None
    assert lines.messages != [str(prepared.pid)] and not process_gone(prepared.pid)
    second, lines = run(["sh", "-c", "echo $PPID"], tmp_path)
    assert second.exit_code == 0 and lines.messages == [str(prepared.pid)]


def test_a_command_on_another_thread_leaves_the_waiting_supervisor_to_the_main_thread(tmp_path):
    run(["true"], tmp_path)
    prepared = supervisor._next
    assert prepared is not None
    results: list[object] = []
    thread = threading.Thread(target=lambda: results.append(run(["true"], tmp_path)[0].exit_code))
    thread.start()
    thread.join(30)
    assert results == [0] and supervisor._next is prepared and not process_gone(prepared.pid)


def test_a_waiting_supervisor_that_died_is_replaced(tmp_path):
    run(["true"], tmp_path)
    prepared = supervisor._next
    assert prepared is not None
    os.kill(prepared.pid, signal.SIGKILL)
    wait_for(lambda: process_gone(prepared.pid), 10, "the waiting supervisor to die")
    result, lines = run(["sh", "-c", "echo $PPID"], tmp_path)
    assert result.exit_code == 0 and len(lines.messages) == 1 and lines.messages != [str(prepared.pid)]


IDLE_WORKER = textwrap.dedent(
    """
    import time
    from pathlib import Path
    from workers.runner.process import minimal_env, stream_process
    from workers.runner.redaction import Redactor

    stream_process(
        ["true"], cwd=Path.cwd(), env=minimal_env(home=Path.cwd(), cli_config=None),
        on_line=print, redactor=Redactor(), timeout_s=60,
    )
    print("idle", flush=True)
    time.sleep(600)
    """
)


def test_a_waiting_supervisor_ends_with_its_worker_and_starts_nothing(tmp_path):
    """kill -9 of an idle worker: the supervisor that waited for its next command (in a session
    of its own, so the kill of the worker's group misses it) sees the worker's end of its pipe
    close, and exits."""
    worker = subprocess.Popen(
        [sys.executable, "-c", IDLE_WORKER],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert worker.stdout is not None and worker.stdout.readline().strip() == b"idle"
        assert len(processes_running(worker.args)) == 2  # the worker, and the supervisor waiting
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        wait_for(lambda: not processes_running(worker.args), 20, "the waiting supervisor to exit")
    finally:
        if worker.poll() is None:
            worker.kill()
        for pid in processes_running(worker.args):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
