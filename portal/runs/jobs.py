"""Scheduled jobs of the runs app (run by Celery beat): drift checks."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from portal.catalog.models import BlueprintVersion
from portal.catalog.toolchain import toolchain_facts, version_readiness
from portal.environments.models import Environment, EnvironmentStatus
from portal.runs.models import ACTIVE_STATUSES, RunKind
from portal.runs.services import RunConflict, run_enqueue


def environments_drift_schedule() -> int:
    """Queues a drift check for each active environment not checked within the interval, except
    those whose blueprint version cannot run on this installation (its toolchain page says why):
    their check could only fail, once every interval, and say nothing about drift."""
    cutoff = timezone.now() - timedelta(seconds=settings.DRIFT_CHECK_INTERVAL_S)
    due = (
        Environment.objects.filter(status=EnvironmentStatus.ACTIVE)
        .filter(Q(drift_checked_at__isnull=True) | Q(drift_checked_at__lt=cutoff))
        .exclude(runs__status__in=ACTIVE_STATUSES)
    )
    facts = toolchain_facts()
    versions = BlueprintVersion.objects.filter(pk__in=due.values("blueprint_version_id")).select_related(
        "blueprint"
    )
    due = due.filter(blueprint_version_id__in=[v.pk for v in versions if version_readiness(v, facts).ready])
    queued = 0
    for environment in due:
        try:
            run_enqueue(kind=RunKind.DRIFT, environment=environment, reason="Scheduled drift check")
            queued += 1
        except RunConflict:
            continue  # busy; the next schedule tries again
    return queued
