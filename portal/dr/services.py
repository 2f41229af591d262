"""Writes for DR drills: starting one (by a person, the CLI or the schedule), recording what the
runbook reports, finishing drills whose run died, schedules and alerts.

A drill is a run of kind `drill` (portal.runs) plus a Drill row. The run engine gives it the
claim-once, heartbeat, reaper, live log and cancel; this module keeps the Drill row in step.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from blueprints.spec import DrProfile
from portal.accounts.models import Membership, Role
from portal.audit.services import audit_record
from portal.celery import app as celery_app
from portal.dr.models import (
    ACTIVE_DRILL_STATUSES,
    FREQUENCY_DAYS,
    AwsSettings,
    Drill,
    DrillResource,
    DrillSchedule,
    DrillStatus,
    DrillTrigger,
    Frequency,
)
from portal.environments.models import Environment, EnvironmentStatus
from portal.runs.models import FINISHED_STATUSES, RunKind, RunStatus
from portal.runs.services import run_enqueue

log = logging.getLogger(__name__)

# The portal's own drill: restore the newest backup of its database into a scratch database.
PORTAL_RUNBOOK = "portal-backup-restore"


class DrillConflict(Exception):
    """The environment (or the portal) already has a queued or running drill (`drill`)."""

    def __init__(self, message: str, drill: Drill | None = None) -> None:
        super().__init__(message)
        self.drill = drill


class DrillNotPossible(Exception):
    """The environment cannot drill (no DR profile, unknown runbook, not deployed)."""


# -- profiles and targets


def drill_profile(environment: Environment) -> DrProfile | None:
    data = environment.blueprint_version.metadata.get("dr")
    return DrProfile.from_dict(data) if data else None


def default_frequency(environment: Environment) -> str:
    profile = drill_profile(environment)
    if profile is None:
        return Frequency.NONE
    value = profile.schedule.get(environment.tier, Frequency.NONE)
    return value if value in Frequency.values else Frequency.NONE


def _period(frequency: str) -> timedelta | None:
    days = FREQUENCY_DAYS.get(Frequency(frequency)) if frequency in Frequency.values else None
    return timedelta(days=days) if days else None


def _overdue_at(frequency: str, since: datetime) -> datetime | None:
    period = _period(frequency)
    return since + period + timedelta(seconds=settings.DRILL_OVERDUE_GRACE_S) if period else None


def portal_targets() -> tuple[float, float]:
    """The portal's own RTO and RPO targets (seconds): RPO is how often it is backed up."""
    return settings.PORTAL_DR_RTO_MINUTES * 60.0, settings.PORTAL_DR_RPO_MINUTES * 60.0


# -- starting drills


def _recipients(environment: Environment | None) -> list[str]:
    """The environment's owner and its team's approvers; platform admins for the portal."""
    if environment is None:
        people = Membership.objects.filter(role=Role.PLATFORM_ADMIN)
        return list(people.values_list("user__email", flat=True))
    people = Membership.objects.filter(team_id=environment.team_id, role=Role.APPROVER)
    return [environment.owner.email, *people.values_list("user__email", flat=True)]


def _notify(subject: str, body: str, environment: Environment | None) -> None:
    """Queues the portal's notification task (email plus the Slack-compatible webhook, delivered by
    portal.requests.notifications.notification_deliver in a worker) once the transaction commits.
    Sent by name, so this app stays below the requests app."""
    recipients = sorted({r for r in _recipients(environment) if r})
    kwargs = {"subject": f"[infra portal] {subject}", "body": body, "recipients": recipients}

    def queue() -> None:
        try:
            celery_app.send_task("portal.notification_send", kwargs=kwargs)
        except Exception as exc:  # broker down: the drill record stands; the alert is logged
            log.warning("could not queue the notification %r (%s)", kwargs["subject"], exc)

    transaction.on_commit(queue)


def _link(drill: Drill) -> str:
    from django.urls import reverse

    return settings.PORTAL_BASE_URL + reverse("dr:drill", args=[drill.pk])


@transaction.atomic
def drill_start(
    *,
    environment: Environment,
    actor: Any = None,
    trigger: str = DrillTrigger.MANUAL,
    runbook: str | None = None,
    ip: str | None = None,
) -> Drill:
    """Queues a drill of the environment's main runbook (or `runbook`). Permission checks are the
    caller's (portal.core.permissions). The database refuses a second active drill."""
    drills_reconcile(environment_id=environment.pk)  # a drill whose run died must not block this one
    if environment.status != EnvironmentStatus.ACTIVE:
        raise DrillNotPossible(
            f"{environment} is {environment.get_status_display().lower()}; apply it first."
        )
    profile = drill_profile(environment)
    if profile is None:
        raise DrillNotPossible(f"{environment.blueprint_version} has no DR profile.")
    name = runbook or profile.main_runbook.name
    try:
        profile.runbook(name)
    except KeyError:
        raise DrillNotPossible(
            f"{environment.blueprint_version} offers no runbook {name!r}; it offers "
            + ", ".join(r.name for r in profile.runbooks)
        ) from None
    try:
        with transaction.atomic():
            run = run_enqueue(
                kind=RunKind.DRILL, actor=actor, environment=environment, reason=f"DR drill: {name}", ip=ip
            )
            drill = Drill.objects.create(
                run=run,
                environment=environment,
                runbook=name,
                trigger=trigger,
                rto_target_s=profile.rto_minutes * 60,
                rpo_target_s=profile.rpo_minutes * 60,
            )
    except IntegrityError:
        active = Drill.objects.filter(environment=environment, status__in=ACTIVE_DRILL_STATUSES).first()
        raise DrillConflict(
            f"{environment} already has an active drill ({active}); wait for it.", active
        ) from None
    drill_schedule_ensure(environment=environment)
    return drill


@transaction.atomic
def drill_portal_start(
    *, actor: Any = None, trigger: str = DrillTrigger.MANUAL, ip: str | None = None
) -> Drill:
    """Queues the portal's self-drill: restore the newest backup into a scratch database."""
    drills_reconcile()
    # One at a time; environment is null here, so the partial unique index does not apply.
    list(Drill.objects.select_for_update().filter(environment__isnull=True, status__in=ACTIVE_DRILL_STATUSES))
    if Drill.objects.filter(environment__isnull=True, status__in=ACTIVE_DRILL_STATUSES).exists():
        raise DrillConflict("The portal's self-drill is already running.")
    rto, rpo = portal_targets()
    run = run_enqueue(kind=RunKind.DRILL, actor=actor, reason=f"DR drill: {PORTAL_RUNBOOK}", ip=ip)
    return Drill.objects.create(
        run=run, environment=None, runbook=PORTAL_RUNBOOK, trigger=trigger, rto_target_s=rto, rpo_target_s=rpo
    )


# -- what the worker reports


def drill_mark_running(*, drill_id: int) -> None:
    Drill.objects.filter(pk=drill_id, status=DrillStatus.QUEUED).update(status=DrillStatus.RUNNING)


def drill_resource_record(*, drill_id: int, resource_id: str, state: str) -> None:
    """Stores a scratch resource's state as the runbook reports it (committed at once)."""
    DrillResource.objects.update_or_create(
        drill_id=drill_id, resource_id=resource_id[:500], defaults={"state": state}
    )


@transaction.atomic
def drill_record_result(*, drill_id: int, result: dict[str, Any]) -> Drill:
    """Stores the runbook's DrillResult and alerts on failure. A drill already finished (by the
    reconciler, after its run was reaped) keeps that verdict."""
    drill = (
        Drill.objects.select_for_update(of=("self",)).select_related("environment__owner").get(pk=drill_id)
    )
    if not drill.is_active:
        return drill
    status = result.get("status", DrillStatus.ERROR)
    drill.status = status if status in DrillStatus.values else DrillStatus.ERROR
    drill.reason = str(result.get("reason") or "")
    for name in ("rto_achieved_s", "rpo_api_s", "rpo_measured_s", "cleanup_ok"):
        setattr(drill, name, result.get(name))
    drill.leftovers = list(result.get("leftovers") or [])
    drill.result = result
    drill.finished_at = timezone.now()
    drill.save()
    _drill_finished(drill)
    return drill


def _drill_finished(drill: Drill) -> None:
    """Moves the schedule along and alerts on a failed drill. Inside the finishing transaction."""
    if drill.environment_id is not None:
        schedule = drill_schedule_ensure(environment=drill.environment)
        schedule.last_drill = drill
        fields = ["last_drill", "updated_at"]
        if drill.status == DrillStatus.PASSED:
            # Any passed drill (scheduled, manual or from the CLI) counts: the next one is due a
            # period after it.
            finished = drill.finished_at or timezone.now()
            schedule.overdue_at = _overdue_at(schedule.frequency, finished)
            period = _period(schedule.frequency)
            if period and (schedule.next_due_at is None or schedule.next_due_at < finished + period):
                schedule.next_due_at = finished + period
            fields += ["overdue_at", "next_due_at"]
        schedule.save(update_fields=fields)
    if drill.status in (DrillStatus.FAILED, DrillStatus.ERROR):
        drill_notify_failure(drill=drill)


def drill_notify_failure(*, drill: Drill) -> None:
    """Tells the owner and the team's approvers (platform admins for the portal) that a drill
    failed, and why: a failed step, an RTO/RPO over target, leftovers."""
    what = str(drill.environment) if drill.environment else "the portal"
    figures = []
    if drill.rto_achieved_s is not None:
        figures.append(f"RTO {drill.rto_achieved_s:.0f} s (target {drill.rto_target_s:.0f} s)")
    if drill.rpo_api_s is not None:
        figures.append(f"RPO {drill.rpo_api_s:.0f} s (target {drill.rpo_target_s:.0f} s)")
    if drill.leftovers:
        figures.append("LEFTOVER RESOURCES: " + ", ".join(drill.leftovers))
    _notify(
        f"DR drill of {what} failed",
        f"Drill #{drill.pk} ({drill.runbook}) of {what} {drill.status}: {drill.reason}\n"
        + ("\n".join(figures) + "\n" if figures else "")
        + _link(drill),
        drill.environment,
    )
    Drill.objects.filter(pk=drill.pk).update(notified_at=timezone.now())


# -- drills whose run ended without a result (killed worker, cancelled while queued)


def drills_reconcile(*, environment_id: int | None = None) -> list[Drill]:
    """Finishes active drills whose run has ended without the worker recording a result, and
    deletes the scratch resources they had created (cleanup_resources). Idempotent."""
    stale = Drill.objects.filter(status__in=ACTIVE_DRILL_STATUSES, run__status__in=FINISHED_STATUSES)
    if environment_id is not None:
        stale = stale.filter(environment_id=environment_id)
    finished = []
    for drill_id in list(stale.values_list("pk", flat=True)):
        with transaction.atomic():
            drill = (
                Drill.objects.select_for_update(of=("self",))
                .select_related("run", "environment__owner")
                .get(pk=drill_id)
            )
            if not drill.is_active:
                continue
            run = drill.run
            drill.status = DrillStatus.CANCELLED if run.status == RunStatus.CANCELLED else DrillStatus.FAILED
            drill.reason = (
                f"The drill's run ended ({run.get_status_display().lower()}) without a result: {run.error}"
            )
            drill.finished_at = timezone.now()
            drill.cleanup_ok, drill.leftovers = drill_cleanup_tracked(drill=drill)
            drill.save()
            _drill_finished(drill)
            audit_record(actor=None, action="drill.reconciled", target=drill, summary=drill.reason)
        finished.append(drill)
    return finished


def drill_aws(environment: Environment | None) -> Any:
    """The AWS client factory a drill of `environment` uses: its region and role (environment
    settings win over the team's), and AWS_ENDPOINT_URL when the local emulator stands in."""
    from drills import Aws, assume_role_session

    found = None
    if environment is not None:
        found = (
            AwsSettings.objects.filter(environment=environment).first()
            or AwsSettings.objects.filter(team_id=environment.team_id).first()
        )
    region = (found.region if found else "") or (environment.region if environment else "") or None
    region = region or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
    session = None
    if found and found.role_arn:
        session = assume_role_session(
            found.role_arn, region=region, external_id=found.external_id or None, endpoint_url=endpoint
        )
    return Aws(session=session, region=region, endpoint_url=endpoint)


def drill_cleanup_tracked(*, drill: Drill) -> tuple[bool, list[str]]:
    """Deletes the resources the drill recorded as created and not deleted. Returns
    (cleanup_ok, leftovers)."""
    from drills import cleanup_resources

    ids = list(
        drill.resources.filter(state=DrillResource.State.CREATED).values_list("resource_id", flat=True)
    )
    ids += [
        rid
        for rid in drill.resources.filter(state=DrillResource.State.LEFTOVER).values_list(
            "resource_id", flat=True
        )
    ]
    if not ids:
        return True, []
    try:
        aws = drill_aws(drill.environment)
        remaining = cleanup_resources(
            ids,
            aws=aws,
            poll_interval_s=settings.DRILL_POLL_INTERVAL_S,
            timeout_s=settings.DRILL_WAIT_TIMEOUT_S,
        )
    except Exception as exc:  # no credentials, no network: everything stays a leftover
        log.warning("cleanup of drill %s failed: %s", drill.pk, exc)
        remaining = ids
    for rid in ids:
        state = DrillResource.State.LEFTOVER if rid in remaining else DrillResource.State.DELETED
        DrillResource.objects.filter(drill=drill, resource_id=rid).update(state=state)
    return not remaining, remaining


# -- schedules


def drill_schedule_ensure(*, environment: Environment, now: datetime | None = None) -> DrillSchedule:
    """The environment's schedule row, made from the profile's default for its tier if missing."""
    now = now or timezone.now()
    frequency = default_frequency(environment)
    schedule, _ = DrillSchedule.objects.get_or_create(
        environment=environment,
        defaults={
            "frequency": frequency,
            "next_due_at": now if frequency != Frequency.NONE else None,
            "overdue_at": _overdue_at(frequency, now),
        },
    )
    return schedule


@transaction.atomic
def drill_schedule_set(
    *, environment: Environment, frequency: str, actor: Any, ip: str | None = None
) -> DrillSchedule:
    """Changes how often the environment drills (audited). Permission checks are the caller's."""
    if frequency not in Frequency.values:
        raise ValueError(f"unknown frequency {frequency!r}")
    schedule = drill_schedule_ensure(environment=environment)
    schedule = (
        DrillSchedule.objects.select_for_update(of=("self",)).select_related("last_drill").get(pk=schedule.pk)
    )
    before = schedule.frequency
    now = timezone.now()
    since = (
        schedule.last_drill.finished_at
        if schedule.last_drill and schedule.last_drill.status == DrillStatus.PASSED
        else now
    )
    schedule.frequency, schedule.customized, schedule.updated_by = frequency, True, actor
    period = _period(frequency)
    schedule.next_due_at = (since + period) if period else None
    schedule.overdue_at = _overdue_at(frequency, since or now)
    schedule.save()
    audit_record(
        actor=actor,
        action="drill.schedule_changed",
        target=environment,
        ip=ip,
        summary=f"{actor} changed the drill schedule of {environment} from {before} to {frequency}.",
        data={"before": before, "after": frequency},
    )
    return schedule


def drill_schedules_fill(*, now: datetime | None = None) -> int:
    """Gives every active environment without a schedule row its profile's default."""
    now = now or timezone.now()
    missing = Environment.objects.filter(status=EnvironmentStatus.ACTIVE, drill_schedule__isnull=True)
    rows = []
    metadata: dict[int, dict[str, Any]] = {}
    from portal.catalog.models import BlueprintVersion

    for env in missing.only("pk", "tier", "blueprint_version_id"):
        if env.blueprint_version_id not in metadata:
            metadata[env.blueprint_version_id] = (
                BlueprintVersion.objects.filter(pk=env.blueprint_version_id)
                .values_list("metadata", flat=True)
                .first()
                or {}
            )
        schedule = (metadata[env.blueprint_version_id].get("dr") or {}).get("schedule", {})
        frequency = schedule.get(env.tier, Frequency.NONE)
        frequency = frequency if frequency in Frequency.values else Frequency.NONE
        rows.append(
            DrillSchedule(
                environment_id=env.pk,
                frequency=frequency,
                next_due_at=now if frequency != Frequency.NONE else None,
                overdue_at=_overdue_at(frequency, now),
            )
        )
    DrillSchedule.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def drills_start_due(*, now: datetime | None = None) -> list[Drill]:
    """Starts the drills whose schedule is due. The schedule row is locked and moved on in the
    same transaction that queues the drill, so two beat ticks start one drill."""
    now = now or timezone.now()
    drill_schedules_fill(now=now)
    due = DrillSchedule.objects.filter(
        next_due_at__lte=now, environment__status=EnvironmentStatus.ACTIVE
    ).exclude(frequency=Frequency.NONE)
    started = []
    for schedule_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            schedule = (
                DrillSchedule.objects.select_for_update().filter(pk=schedule_id, next_due_at__lte=now).first()
            )
            if schedule is None:  # another tick got here first
                continue
            period = _period(schedule.frequency)
            schedule.next_due_at = now + period if period else None
            schedule.save(update_fields=["next_due_at", "updated_at"])
            try:
                with transaction.atomic():
                    drill = drill_start(environment=schedule.environment, trigger=DrillTrigger.SCHEDULE)
            except DrillConflict:
                continue  # one is running already; that one counts
            except DrillNotPossible as exc:
                log.info("scheduled drill of %s not started: %s", schedule.environment, exc)
                continue
            started.append(drill)
    return started


def drills_notify_overdue(*, now: datetime | None = None) -> list[DrillSchedule]:
    """Alerts once per overdue period about environments with no passed drill in time."""
    now = now or timezone.now()
    overdue = (
        DrillSchedule.objects.filter(overdue_at__lt=now, environment__status=EnvironmentStatus.ACTIVE)
        .exclude(frequency=Frequency.NONE)
        .select_related("environment__owner", "environment__team")
    )
    notified = []
    for schedule in overdue:
        if schedule.overdue_notified_at and schedule.overdue_notified_at >= schedule.overdue_at:
            continue
        with transaction.atomic():
            updated = DrillSchedule.objects.filter(pk=schedule.pk, overdue_at=schedule.overdue_at).filter(
                Q(overdue_notified_at__isnull=True) | Q(overdue_notified_at__lt=F("overdue_at"))
            )
            if not updated.update(overdue_notified_at=now):
                continue
            environment = schedule.environment
            _notify(
                f"DR drill of {environment} is overdue",
                f"{environment} drills {schedule.frequency} and has had no passed drill in time "
                f"(overdue since {schedule.overdue_at:%Y-%m-%d %H:%M} UTC).\n"
                f"{settings.PORTAL_BASE_URL}/environments/{environment.pk}/",
                environment,
            )
        notified.append(schedule)
    return notified


def drills_tick(*, now: datetime | None = None) -> None:
    """Beat: finish drills whose run died, start due drills, alert on overdue ones."""
    drills_reconcile()
    drills_start_due(now=now)
    drills_notify_overdue(now=now)
