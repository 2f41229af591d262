"""Celery tasks: the edge of the system. Each one is an adapter: it loads ids and calls one
service. Services never import this module; they send tasks by name through the Celery app."""

from __future__ import annotations

import contextlib

from celery import shared_task

from portal.catalog.toolchain import toolchain_facts
from portal.core.services import worker_ping_record
from portal.costs.actuals import cost_actuals_refresh as cost_actuals_refresh_job
from portal.dr.backup import portal_backup as portal_backup_job
from portal.dr.services import DrillConflict, drill_portal_start
from portal.dr.services import drills_tick as drills_tick_job
from portal.environments.jobs import environments_expire as environments_expire_job
from portal.environments.selectors import environments_active
from portal.requests.notifications import notification_deliver, notify_owner_cost_overrun
from portal.requests.services import requests_expire as requests_expire_job
from portal.runs.execution import run_execute
from portal.runs.jobs import environments_drift_schedule
from portal.runs.services import runs_reap, runs_requeue_lost


@shared_task(name="portal.ping")
def ping(note: str) -> None:
    """Records that a worker processed a message; used by the worker tests."""
    worker_ping_record(note=note)


@shared_task(name="portal.run_execute", bind=True, acks_late=True, reject_on_worker_lost=True)
def execute_run(self, run_id: int) -> None:  # type: ignore[no-untyped-def]
    run_execute(run_id=run_id, worker_host=self.request.hostname or "", task_id=self.request.id or "")


@shared_task(name="portal.runs_recover")
def runs_recover() -> None:
    """Beat: fail runs whose worker died, and re-send queued runs whose message was lost."""
    runs_reap()
    runs_requeue_lost()


@shared_task(name="portal.requests_expire")
def requests_expire() -> None:
    requests_expire_job()


@shared_task(name="portal.drift_schedule")
def drift_schedule() -> None:
    environments_drift_schedule()


@shared_task(name="portal.environments_expire")
def environments_expire() -> None:
    environments_expire_job()


@shared_task(name="portal.toolchain_refresh")
def toolchain_refresh() -> None:
    """Beat: re-checks Terraform, Packer, providers and AWS credentials where the runs happen, so
    that pages read a fresh shared report instead of checking on a request."""
    toolchain_facts(refresh=True)


@shared_task(name="portal.notification_send")
def notification_send(subject: str, body: str, recipients: list[str]) -> None:
    """Delivers one request notification (queued on commit by portal.requests.notifications)."""
    notification_deliver(subject=subject, body=body, recipients=recipients)


@shared_task(name="portal.drills_tick")
def drills_tick() -> None:
    """Beat: finish drills whose run died, start due drills, alert on overdue ones."""
    drills_tick_job()


@shared_task(name="portal.portal_backup")
def portal_backup() -> None:
    portal_backup_job()


@shared_task(name="portal.portal_self_drill")
def portal_self_drill() -> None:
    with contextlib.suppress(DrillConflict):  # one is running already
        drill_portal_start(trigger="schedule")


@shared_task(name="portal.cost_actuals_refresh")
def cost_actuals_refresh() -> None:
    """Beat, daily: actual spend of active AWS environments from Cost Explorer; owners hear of
    an actual over the estimate's factor."""
    cost_actuals_refresh_job(environments=environments_active(), notify=notify_owner_cost_overrun)
