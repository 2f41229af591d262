"""Writes for runs: queueing, claiming, cancelling and recovering. The database decides; Redis
only carries "run #N is ready" messages, which may be lost or delivered twice."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.audit.services import audit_record
from portal.celery import app as celery_app
from portal.runs.lifecycle import run_finished
from portal.runs.liveness import reap_reason
from portal.runs.models import ACTIVE_STATUSES, STATE_KINDS, Run, RunKind, RunStatus
from workers.broker import queued_task_ids

log = logging.getLogger(__name__)


class RunConflict(Exception):
    """Another run is already queued or running on this environment."""


class RunNotAllowed(Exception):
    """The run cannot be started (stale or unapproved plan, wrong state)."""


def task_id_for(run: Run) -> str:
    return f"run-{run.pk}"


def run_dispatch(run: Run) -> None:
    """Sends the run's message to its queue. Safe to call again: a duplicate is ignored at claim.
    The task is sent by name through the configured app, so the web process never imports it."""
    Run.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(enqueued_at=timezone.now())
    try:
        celery_app.send_task("portal.run_execute", args=[run.pk], queue=run.queue, task_id=task_id_for(run))
    except Exception as exc:  # broker down: the run stays queued and recovery re-sends it
        log.warning("could not send run %s to the broker (%s); recovery will retry", run.pk, exc)


@transaction.atomic
def run_enqueue(
    *,
    kind: str,
    actor: Any = None,
    environment: Any = None,
    request: Any = None,
    plan_run: Run | None = None,
    destroy_plan: bool = False,
    image_source: Any = None,
    reason: str = "",
    ip: str | None = None,
) -> Run:
    """Creates a queued run and sends it to a worker once the transaction commits.

    The database refuses a second active Terraform run on one environment (a partial unique
    constraint), so two clicks or two approvers can never start two applies.
    """
    if kind in STATE_KINDS and environment is None:
        raise RunNotAllowed(f"A {RunKind(kind).label.lower()} run needs an environment.")
    if kind == RunKind.IMAGE_BUILD and image_source is None:
        raise RunNotAllowed("An image build needs the blueprint version to build from.")
    if kind in (RunKind.APPLY, RunKind.DESTROY):
        if plan_run is None or plan_run.status != RunStatus.SUCCEEDED or not plan_run.plan_sha256:
            raise RunNotAllowed("An apply needs a successful plan to apply.")
        if plan_run.environment_id != environment.pk:
            raise RunNotAllowed("That plan belongs to another environment.")
        if plan_run.destroy_plan != (kind == RunKind.DESTROY):
            raise RunNotAllowed("A destroy must apply a destroy plan, and an apply a normal plan.")
        if plan_run.finished_at < timezone.now() - timedelta(seconds=settings.PLAN_MAX_AGE_S):
            raise RunNotAllowed("The plan is older than the allowed age; plan again before applying.")
    try:
        with transaction.atomic():
            run = Run.objects.create(
                kind=kind,
                environment=environment,
                request=request,
                plan_run=plan_run,
                destroy_plan=destroy_plan,
                image_source=image_source,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
                reason=reason[:300],
            )
    except IntegrityError as exc:
        active = Run.objects.filter(environment=environment, status__in=ACTIVE_STATUSES).first()
        raise RunConflict(
            f"{environment} already has an active run ({active}); wait for it or cancel it."
        ) from exc
    audit_record(
        actor=actor,
        action="run.queued",
        target=run,
        ip=ip,
        summary=f"Queued {run.get_kind_display().lower()} run #{run.pk}"
        + (f" on {environment}" if environment else "")
        + (f": {reason}" if reason else ""),
    )
    transaction.on_commit(lambda: run_dispatch(run))
    return run


# What a worker reads of a run to prepare its folder, in the claim's one query instead of one
# query each: the environment with its team and pinned version, and the request. An update
# request's own version is read when an update runs (each joined table costs the query's
# compilation ~0.25 ms, every run).
CLAIM_JOINS = ("environment__team", "environment__blueprint_version__blueprint", "request")


@transaction.atomic
def run_claim(*, run_id: int, worker_host: str, task_id: str) -> Run | None:
    """Marks a queued run as running, under a row lock. Returns None when the message is a
    duplicate or stale (the run is already running, finished or cancelled), so it runs once."""
    try:  # get(), not first(): no ORDER BY to compile
        run = (
            Run.objects.select_for_update(of=("self",))  # locks the run's row alone, not the joined ones
            .select_related(*CLAIM_JOINS)
            .get(pk=run_id)
        )
    except Run.DoesNotExist:
        return None
    if run.status != RunStatus.QUEUED:
        return None
    now = timezone.now()
    run.status, run.started_at, run.heartbeat_at = RunStatus.RUNNING, now, now
    run.worker_host, run.celery_task_id = worker_host[:200], task_id[:100]
    run.save(update_fields=["status", "started_at", "heartbeat_at", "worker_host", "celery_task_id"])
    return run


@transaction.atomic
def run_cancel(*, run: Run, actor: Any, ip: str | None = None) -> Run:
    """A queued run is cancelled at once; a running one is asked to stop (SIGINT, then SIGTERM)."""
    run = Run.objects.select_for_update().get(pk=run.pk)
    if run.is_finished:
        return run
    if run.status == RunStatus.QUEUED:
        run.status, run.finished_at, run.error = (
            RunStatus.CANCELLED,
            timezone.now(),
            f"Cancelled by {actor} before it started.",
        )
        run.save(update_fields=["status", "finished_at", "error"])
        run_finished(run)
    else:
        run.cancel_requested = True
        run.save(update_fields=["cancel_requested"])
    audit_record(
        actor=actor, action="run.cancel_requested", target=run, ip=ip, summary=f"{actor} cancelled {run}."
    )
    return run


def runs_reap(*, now: Any = None) -> list[Run]:
    """Fails running runs whose worker stopped heartbeating, and releases their state locks."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.RUN_HEARTBEAT_TIMEOUT_S)
    reaped = []
    for run_id in Run.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=cutoff).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            run = Run.objects.select_for_update().get(pk=run_id)
            if run.status != RunStatus.RUNNING or run.heartbeat_at >= cutoff:
                continue
            run.status, run.finished_at = RunStatus.FAILED, now
            run.error = reap_reason(run)
            run.save(update_fields=["status", "finished_at", "error"])
            run_finished(run)
            audit_record(actor=None, action="run.reaped", target=run, summary=run.error)
            reaped.append(run)
    return reaped


def runs_requeue_lost(*, now: Any = None) -> list[Run]:
    """Re-sends queued runs whose message is in no broker queue (lost with a Redis restart)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.RUN_REQUEUE_AFTER_S)
    stale = list(Run.objects.filter(status=RunStatus.QUEUED).exclude(enqueued_at__gte=cutoff))
    if not stale:
        return []
    present = queued_task_ids()
    lost = [run for run in stale if task_id_for(run) not in present]
    for run in lost:
        log.warning("run %s has no message in the broker; sending it again", run.pk)
        run_dispatch(run)
    return lost
