"""Database access of a running run that must outlast a database outage.

Terraform must never be stopped because the portal's database blinked: the worker's log writes,
heartbeats and cancel polls skip a failed attempt and try again later with backoff (log lines
wait in a bounded buffer), and the writes after Terraform ended (the environment's outputs, the
run's final record) are retried until ``RUN_DB_RETRY_S`` has passed.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection

log = logging.getLogger(__name__)

T = TypeVar("T")
# Errors of an unreachable or restarting database (connection refused or reset, server shut
# down, SQLite busy). Anything else is a bug and is raised at once.
UNAVAILABLE = (OperationalError, InterfaceError)
BACKOFF_START_S = 0.5
BACKOFF_MAX_S = 5.0


def database_unavailable(exc: BaseException) -> bool:
    return isinstance(exc, UNAVAILABLE)


def connection_reset() -> None:
    """Drops a broken connection so that the next query opens a new one."""
    with contextlib.suppress(DatabaseError):
        connection.close()


class Backoff:
    """When to try the database again after a failure: 0.5 s, doubling up to 5 s."""

    def __init__(self) -> None:
        self.failures = 0
        self.down_since: float | None = None  # time.time() of the first failure in a row
        self.next_try = 0.0

    def ready(self) -> bool:
        return time.monotonic() >= self.next_try

    def failed(self) -> None:
        if self.down_since is None:
            self.down_since = time.time()
        self.failures += 1
        delay = min(BACKOFF_START_S * 2 ** (self.failures - 1), BACKOFF_MAX_S)
        self.next_try = time.monotonic() + delay
        connection_reset()

    def succeeded(self) -> float | None:
        """Resets; returns how long the database was unreachable, or None if it was not."""
        down = None if self.down_since is None else time.time() - self.down_since
        self.failures, self.down_since, self.next_try = 0, None, 0.0
        return down


def with_retries(call: Callable[[], T], *, what: str, timeout_s: float | None = None) -> T:
    """Calls ``call`` until it gets through a database outage, for at most ``timeout_s``
    (default RUN_DB_RETRY_S); then the last error is raised. ``call`` must be safe to repeat
    (its own transaction, or idempotent writes)."""
    limit = settings.RUN_DB_RETRY_S if timeout_s is None else timeout_s
    deadline = time.monotonic() + limit
    backoff = Backoff()
    while True:
        try:
            result = call()
        except UNAVAILABLE as exc:
            backoff.failed()
            if backoff.next_try > deadline:
                raise
            log.warning("%s: the database is unreachable (%s); trying again", what, exc)
            time.sleep(max(0.0, backoff.next_try - time.monotonic()))
            continue
        down = backoff.succeeded()
        if down is not None:
            log.warning("%s: got through after %.1f s of database outage", what, down)
        return result
