"""Email (and an optional Slack-compatible webhook) about requests.

A service calls notify_*; once its transaction commits, the message is handed to a Celery task
(`portal.notification_send`, sent by name), so nobody hears of a change that rolled back, and a
slow or failing mail server never holds up or undoes an HTTP request. The task calls
notification_deliver.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from portal.accounts.models import Membership
from portal.celery import app as celery_app
from portal.core.permissions import approver_membership_q
from portal.core.roles import Role

log = logging.getLogger(__name__)


def _link(request: Any) -> str:
    return settings.PORTAL_BASE_URL + reverse("requests:detail", args=[request.pk])


def notification_deliver(*, subject: str, body: str, recipients: list[str]) -> None:
    """Sends one notification by email and to the webhook. Failures are logged, never raised."""
    if recipients:
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
        except Exception as exc:  # SMTP down: log it; the request itself is fine
            log.warning("could not email %s: %s", recipients, exc)
    if settings.SLACK_WEBHOOK_URL:
        payload = json.dumps({"text": f"{subject}\n{body}"}).encode()
        req = urllib.request.Request(  # noqa: S310 - settings only allow http(s) URLs
            settings.SLACK_WEBHOOK_URL,
            data=payload,
            headers={"Content-Type": "application/json"},
        )
        try:
            urllib.request.urlopen(req, timeout=5).close()  # noqa: S310
        except OSError as exc:
            log.warning("Slack webhook failed: %s", exc)


def notification_queue(*, subject: str, body: str, recipients: list[str]) -> None:
    """Sends the notification task to a worker; with the broker down, the notification is logged
    and dropped (the request it is about is unaffected)."""
    try:
        celery_app.send_task(
            "portal.notification_send", kwargs={"subject": subject, "body": body, "recipients": recipients}
        )
    except Exception as exc:
        log.warning("could not queue the notification %r (%s)", subject, exc)


def _send(subject: str, body: str, recipients: list[str]) -> None:
    recipients = sorted({r for r in recipients if r})
    transaction.on_commit(lambda: notification_queue(subject=subject, body=body, recipients=recipients))


def approver_emails(request: Any) -> list[str]:
    """Whom to ask: everyone who may decide (portal.core.permissions.approver_membership_q) except
    the requester; platform admins from outside the team only when the policy needs one or a
    budget approver."""
    needs = " ".join(request.policy_decision.get("needs", []))
    people = Membership.objects.filter(approver_membership_q(request.team_id)).exclude(user=request.requester)
    if "platform admin" not in needs and "budget approver" not in needs:
        people = people.filter(team_id=request.team_id).exclude(role=Role.PLATFORM_ADMIN)
    return list(people.values_list("user__email", flat=True).distinct())


def notify_approvers(request: Any) -> None:
    needs = "; ".join(request.policy_decision.get("needs", [])) or "a decision"
    _send(
        f"[infra portal] {request} waits for your approval",
        f"{request.requester} asks for {request} ({request.blueprint_version}, {request.tier}).\n"
        f"Still needed: {needs}.\nReview the plan: {_link(request)}",
        approver_emails(request),
    )


def notify_requester(request: Any, what: str) -> None:
    _send(
        f"[infra portal] {request}: {what}", f"{request}: {what}\n{_link(request)}", [request.requester.email]
    )


def notify_owner_cost_overrun(environment: Any, actual: Any, estimate: Any) -> None:
    """The environment's owner, when a month's actual spend exceeds its estimate by the factor."""
    link = settings.PORTAL_BASE_URL + reverse("environments:detail", args=[environment.pk])
    _send(
        f"[infra portal] {environment} cost {actual.amount} {actual.currency} in {actual.month:%B %Y}",
        f"{environment} cost {actual.amount} {actual.currency} in {actual.month:%B %Y}"
        f"{' so far' if actual.estimated else ''}, more than {settings.COST_ACTUAL_ALERT_FACTOR}x "
        f"its estimate of {estimate}/month.\nSee the estimate and the actuals: {link}",
        [environment.owner.email],
    )
