"""Celery tasks. Each one is an adapter: it loads ids and calls one service."""

from __future__ import annotations

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


@shared_task(name="portal.cost_actuals_refresh")
def cost_actuals_refresh() -> None:
    """Beat, daily: actual spend of active AWS environments from Cost Explorer; owners hear of
    an actual over the estimate's factor."""
    from portal.costs.actuals import cost_actuals_refresh as refresh
    from portal.environments.selectors import environments_active
    from portal.requests.notifications import notify_owner_cost_overrun

    refresh(environments=environments_active(), notify=notify_owner_cost_overrun)
