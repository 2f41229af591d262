"""Fixtures for the run engine: environments the runner can plan and apply, and helpers that
wait for runs."""

from __future__ import annotations

import functools
import time

import pytest

from portal.runs.models import FINISHED_STATUSES, Run
from tests.factories import SANDBOX_SECRET as SECRET

__all__ = ["SECRET", "log_tail", "wait_for", "wait_for_run"]


@pytest.fixture
def make_environment(make_environment):
    """The run engine's environments can plan and apply, and carry a sensitive input (SECRET)."""
    return functools.partial(make_environment, runnable=True)


def log_tail(run: Run, lines: int = 15) -> str:
    messages = list(run.log_lines.order_by("-seq").values_list("message", flat=True)[:lines])
    return f"run {run.pk} {run.status}: {run.error}\n" + "\n".join(reversed(messages))


def wait_for_run(run: Run, timeout: float = 60, statuses=FINISHED_STATUSES) -> Run:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in statuses:
            return run
        time.sleep(0.1)
    raise AssertionError(f"still not finished after {timeout}s: {log_tail(run)}")


def wait_for(predicate, timeout: float = 30, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
