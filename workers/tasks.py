"""Celery tasks. Each one is an adapter: it loads ids and calls one service."""

from __future__ import annotations

import contextlib

from celery import shared_task


@shared_task(name="portal.ping")
def ping(note: str) -> None:
    """Records that a worker processed a message; used by the worker tests."""
    from portal.core.services import worker_ping_record

    worker_ping_record(note=note)


@shared_task(name="portal.run_execute", bind=True, acks_late=True, reject_on_worker_lost=True)
def execute_run(self, run_id: int) -> None:  # type: ignore[no-untyped-def]
    from portal.runs.execution import run_execute

    run_execute(run_id=run_id, worker_host=self.request.hostname or "", task_id=self.request.id or "")


@shared_task(name="portal.runs_recover")
def runs_recover() -> None:
    """Beat: fail runs whose worker died, and re-send queued runs whose message was lost."""
    from portal.runs.services import runs_reap, runs_requeue_lost

    runs_reap()
    runs_requeue_lost()


@shared_task(name="portal.requests_expire")
def requests_expire() -> None:
    from portal.requests.services import requests_expire as expire

    expire()


@shared_task(name="portal.drift_schedule")
def drift_schedule() -> None:
    from portal.environments.jobs import environments_drift_schedule

    environments_drift_schedule()


@shared_task(name="portal.environments_expire")
def environments_expire() -> None:
    from portal.environments.jobs import environments_expire as expire

    expire()


@shared_task(name="portal.drills_tick")
def drills_tick() -> None:
    """Beat: finish drills whose run died, start due drills, alert on overdue ones."""
    from portal.dr.services import drills_tick as tick

    tick()


@shared_task(name="portal.portal_backup")
def portal_backup() -> None:
    from portal.dr.backup import portal_backup as backup

    backup()


@shared_task(name="portal.portal_self_drill")
def portal_self_drill() -> None:
    from portal.dr.services import DrillConflict, drill_portal_start

    with contextlib.suppress(DrillConflict):  # one is running already
        drill_portal_start(trigger="schedule")
