"""Scheduled jobs (run by Celery beat): environment expiry. The drift schedule queues runs, so it
lives in the runs app (portal.runs.jobs)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from portal.environments.models import Environment, EnvironmentStatus
from portal.environments.signals import environment_expired


def environments_expire() -> tuple[int, int]:
    """Reminds owners before expiry; at expiry tells the apps above (environment_expired), and
    the requests app opens a destroy request, which follows the normal flow (plan, approval,
    apply). Returns (reminded, expired)."""
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
        with transaction.atomic():
            responses = environment_expired.send(sender=Environment, environment=environment)
        if any(opened is not None for _, opened in responses):
            expired += 1
    return reminded, expired
