"""Scheduled jobs (run by Celery beat): drift checks and environment expiry."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from portal.audit.services import audit_record
from portal.environments.models import Environment, EnvironmentStatus
from portal.requests.models import EnvironmentRequest, RequestEvent, RequestKind, RequestState
from portal.runs.models import ACTIVE_STATUSES, RunKind
from portal.runs.services import RunConflict, run_enqueue

log = logging.getLogger(__name__)


def environments_drift_schedule() -> int:
    """Queues a drift check for each active environment not checked within the interval."""
    cutoff = timezone.now() - timedelta(seconds=settings.DRIFT_CHECK_INTERVAL_S)
    due = (
        Environment.objects.filter(status=EnvironmentStatus.ACTIVE)
        .filter(Q(drift_checked_at__isnull=True) | Q(drift_checked_at__lt=cutoff))
        .exclude(runs__status__in=ACTIVE_STATUSES)
    )
    queued = 0
    for environment in due:
        try:
            run_enqueue(kind=RunKind.DRIFT, environment=environment, reason="Scheduled drift check")
            queued += 1
        except RunConflict:
            continue  # busy; the next schedule tries again
    return queued


def environments_expire() -> tuple[int, int]:
    """Reminds owners before expiry; at expiry opens a destroy request, which follows the normal
    flow (plan, approval, apply). Returns (reminded, expired)."""
    now = timezone.now()
    reminded = expired = 0
    soon = now + timedelta(days=settings.EXPIRY_REMINDER_DAYS)
    for environment in Environment.objects.filter(
        status=EnvironmentStatus.ACTIVE,
        expires_at__lte=soon,
        expires_at__gt=now,
        expiry_reminded_at__isnull=True,
    ):
        send_mail(
            f"[infra portal] {environment} expires {environment.expires_at:%Y-%m-%d %H:%M} UTC",
            f"Your environment {environment} expires at {environment.expires_at:%Y-%m-%d %H:%M} UTC. "
            "A destroy request will then be opened; it goes through the usual plan and approval.",
            settings.DEFAULT_FROM_EMAIL,
            [environment.owner.email],
            fail_silently=True,
        )
        Environment.objects.filter(pk=environment.pk).update(expiry_reminded_at=now)
        reminded += 1
    for environment in Environment.objects.filter(status=EnvironmentStatus.ACTIVE, expires_at__lte=now):
        if (
            environment.requests.filter(kind=RequestKind.DESTROY)
            .exclude(
                state__in=[
                    RequestState.DONE,
                    RequestState.FAILED,
                    RequestState.REJECTED,
                    RequestState.CANCELLED,
                    RequestState.EXPIRED,
                ]
            )
            .exists()
        ):
            continue
        with transaction.atomic():
            request = EnvironmentRequest.objects.create(
                kind=RequestKind.DESTROY,
                state=RequestState.PLANNING,
                team=environment.team,
                requester=environment.owner,
                blueprint_version=environment.blueprint_version,
                environment_name=environment.name,
                tier=environment.tier,
                region=environment.region,
                inputs=environment.inputs,
                environment=environment,
                reason="Expired (TTL reached).",
            )
            RequestEvent.objects.create(
                request=request, state=RequestState.PLANNING, note="Opened at expiry."
            )
            audit_record(
                actor=None,
                action="environment.expired",
                target=environment,
                summary=f"{environment} reached its expiry; destroy request #{request.pk} opened.",
            )
            try:
                run_enqueue(
                    kind=RunKind.PLAN,
                    environment=environment,
                    request=request,
                    destroy_plan=True,
                    reason=f"Destroy plan for expired {environment}",
                )
            except RunConflict:
                log.info("%s is busy; its destroy plan is queued by the next expiry pass", environment)
                transaction.set_rollback(True)
                continue
        expired += 1
    return reminded, expired
