"""Recovery that needs no live worker: the loop of the recovery process (`manage.py
runs_recover`). What the reaper says about a run whose heartbeat stopped is in liveness.py.

Why a dedicated process: Celery beat only sends messages, so a reaper that is a Celery task runs
only while some worker lives, which is exactly when it is needed least. The web process serves
requests and may run many copies or none. A small process that only reads and writes the
database (and asks Redis which queued runs lost their message) keeps recovering while every
worker is down, and its loop follows RUN_HEARTBEAT_TIMEOUT_S.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from portal.runs.database import BACKOFF_MAX_S, UNAVAILABLE, Backoff
from portal.runs.models import Run
from portal.runs.services import runs_reap, runs_requeue_lost

log = logging.getLogger(__name__)


def recover_forever(*, should_stop: Callable[[], bool], once: bool = False) -> None:
    """Reaps dead runs and re-sends lost queued ones every RUN_RECOVER_INTERVAL_S.

    After its own database outage it waits before reaping again: workers skipped their
    heartbeats while the database was down, and get the time of two backoff steps to write one,
    so a run that outlived the outage is not mistaken for a dead one.
    """
    backoff, reap_after = Backoff(), 0.0
    while not should_stop():
        started = time.monotonic()
        try:
            if backoff.down_since is not None:
                Run.objects.exists()  # is the database back?
                log.warning("recovery: the database is back after %.0f s", backoff.succeeded() or 0.0)
                reap_after = time.monotonic() + 2 * BACKOFF_MAX_S + settings.RUN_RECOVER_INTERVAL_S
            if time.monotonic() >= reap_after:
                for run in runs_reap():
                    log.warning("run %s reaped: %s", run.pk, run.error)
            runs_requeue_lost()
        except UNAVAILABLE as exc:
            if backoff.down_since is None:
                log.warning("recovery: the database is unreachable (%s)", exc)
            backoff.failed()
        except Exception:  # Redis down, or a bug: log it and keep the loop alive
            log.exception("recovery: one pass failed")
        else:
            _alive_file_touch()
        if once:
            return
        pause = settings.RUN_RECOVER_INTERVAL_S - (time.monotonic() - started)
        while pause > 0 and not should_stop():
            time.sleep(min(pause, 0.2))
            pause -= 0.2


def _alive_file_touch() -> None:
    """Marks a pass that reached the database; the compose healthcheck reads the file's age."""
    path = Path(settings.DATA_DIR) / "recovery.alive"
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
