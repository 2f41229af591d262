"""workers.runner.process against real child processes: streaming, timeouts, cancel and signals.

Nothing is mocked: streaming, signals and redaction only mean something against a real child
process. No assertion reads the wall clock; each waits on, or checks, what the process did."""

from __future__ import annotations

import base64
import os
import signal
import threading

import pytest

from tests.workers.runner.helpers import Lines, kill_if_alive, notes, process_gone, python, run, wait_for
from workers.runner.logs import LogLine
from workers.runner.process import minimal_env, stream_process
from workers.runner.redaction import Redactor


def test_minimal_env_passes_only_what_a_run_needs(tmp_path, monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "portal-secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "from-the-portal")

    env = minimal_env(home=tmp_path, cli_config="/etc/rc", extra={"AWS_REGION": "eu-west-1"})

    assert env == {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        "TF_CLI_CONFIG_FILE": "/etc/rc",
        "AWS_REGION": "eu-west-1",
    }


@pytest.mark.integration
def test_lines_arrive_while_the_process_runs(tmp_path):
    # The child prints "second" only once the test has seen "first" and three ticks after it, so
    # it can only finish if lines and ticks reach the caller while it is still running.
    release = tmp_path / "release"
    script = (
        "import os, time\n"
        "print('first')\n"
        f"while not os.path.exists({str(release)!r}):\n"
        "    time.sleep(0.01)\n"
        "print('second')\n"
    )
    lines = Lines()
    ticks_after_first: list[int] = []
    threads_before = threading.active_count()

    def on_tick() -> None:
        if lines.messages == ["first"]:
            ticks_after_first.append(len(lines.items))
            if len(ticks_after_first) >= 3:
                release.touch()

    result, _ = run(python(script), tmp_path, on_line=lines, on_tick=on_tick, tick_s=0.05, timeout_s=30)

    assert result.exit_code == 0 and not result.timed_out and not result.cancelled, lines.text()
    assert lines.messages == ["first", "second"]
    assert ticks_after_first == [1, 1, 1]
    assert threading.active_count() == threads_before


@pytest.mark.integration
def test_secrets_are_redacted_before_on_line_sees_them(tmp_path):
    secret = 'db-"pass"-4242'
    b64 = base64.b64encode(secret.encode()).decode()
    script = (
        "import json, sys\n"
        f"s = {secret!r}\n"
        "print('plain', s)\n"
        "print(json.dumps({'@level': 'info', '@message': 'v=' + s, 'type': 'log'}))\n"
        f"print('b64 {b64}', file=sys.stderr)\n"
    )

    result, lines = run(python(script), tmp_path, redactor=Redactor([secret]))

    assert result.exit_code == 0
    assert "db-" not in lines.text() and b64 not in lines.text()
    # stdout and stderr are separate pipes, so their relative order is not guaranteed.
    assert sorted(lines.messages) == ["b64 [REDACTED]", "plain [REDACTED]", "v=[REDACTED]"]
    assert {line.level for line in lines.items if line.stream == "stderr"} == {"error"}


@pytest.mark.integration
def test_timeout_stops_the_process(tmp_path):
    result, lines = run(["sleep", "30"], tmp_path, timeout_s=1, grace_s=30)

    assert result.timed_out and not result.cancelled
    # The first signal stopped it: no escalation to SIGTERM within the (long) grace period.
    assert result.exit_code == -signal.SIGINT
    assert notes(lines) == ["runner: timeout, sending SIGINT"]


@pytest.mark.integration
def test_cancel_sends_sigint_first(tmp_path):
    script = (
        "import signal, sys, time\n"
        "def stop(*_):\n"
        "    print('got SIGINT', flush=True)\n"
        "    sys.exit(130)\n"
        "signal.signal(signal.SIGINT, stop)\n"
        "print('ready', flush=True)\n"
        "time.sleep(30)\n"
    )
    lines = Lines()

    result, _ = run(
        python(script), tmp_path, on_line=lines, should_cancel=lambda: "ready" in lines.messages, grace_s=5
    )

    assert result.cancelled and not result.timed_out
    assert result.exit_code == 130
    assert "got SIGINT" in lines.messages
    assert notes(lines) == ["runner: cancel, sending SIGINT"]


@pytest.mark.integration
def test_process_ignoring_sigint_and_sigterm_is_killed(tmp_path):
    script = (
        "import signal, time\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ready', flush=True)\n"
        "time.sleep(30)\n"
    )
    lines = Lines()

    result, _ = run(
        python(script), tmp_path, on_line=lines, should_cancel=lambda: "ready" in lines.messages, grace_s=0.5
    )

    assert result.cancelled
    assert result.exit_code == -9
    assert notes(lines) == [
        "runner: cancel, sending SIGINT",
        "runner: still running after 0.5s, sending SIGTERM",
        "runner: still running after 0.5s, sending SIGKILL",
    ]


@pytest.mark.integration
def test_grandchild_holding_the_pipe_does_not_hang_the_runner(tmp_path):
    threads_before = threading.active_count()

    result, lines = run(["sh", "-c", 'sleep 30 & echo "grandchild $!"'], tmp_path)

    grandchild = int(lines.messages[0].split()[1])
    try:
        assert result.exit_code == 0
        assert lines.messages == [f"grandchild {grandchild}"]
        # The runner returned because it killed the process group the grandchild is in.
        wait_for(lambda: process_gone(grandchild), 10, "the grandchild to be killed")
        assert threading.active_count() == threads_before
    finally:
        kill_if_alive(grandchild)


@pytest.mark.integration
def test_a_failing_callback_still_stops_the_process(tmp_path):
    pids: list[int] = []

    def explode(line: LogLine) -> None:
        pids.append(int(line.message))
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="database went away"):
        stream_process(
            python("import os, time; print(os.getpid()); time.sleep(30)"),
            cwd=tmp_path,
            env=minimal_env(home=tmp_path, cli_config=None),
            on_line=explode,
            redactor=Redactor(),
            timeout_s=20,
            grace_s=2,
        )

    # stream_process stopped and reaped the child before the error reached the caller.
    try:
        assert process_gone(pids[0])
    finally:
        kill_if_alive(pids[0])


def test_missing_binary_is_reported_not_raised(tmp_path):
    result, lines = run(["/nonexistent/terraform", "version"], tmp_path)

    assert result.exit_code is None
    assert lines.items[0].level == "error" and "could not start" in lines.items[0].message
