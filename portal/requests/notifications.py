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
    budget approver, or when the request was routed to them (nobody in the team can decide)."""
    needs = " ".join(request.policy_decision.get("needs", []))
    people = Membership.objects.filter(approver_membership_q(request.team_id)).exclude(user=request.requester)
    routed = getattr(request, "routed_to_admins", False)
    if not routed and "platform admin" not in needs and "budget approver" not in needs:
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


def platform_admin_emails(*, exclude_user_id: int | None = None) -> list[str]:
    people = Membership.objects.filter(role=Role.PLATFORM_ADMIN).exclude(user_id=exclude_user_id)
    return list(people.values_list("user__email", flat=True).distinct())


def notify_routed_to_admins(request: Any, why: str) -> None:
    """Tells the platform admins that a request has no possible approver in its team."""
    _send(
        f"[infra portal] {request} needs a platform admin's decision",
        f"{request.requester} submitted {request} ({request.blueprint_version}, {request.tier}) for "
        f"{request.team}.\n{why}\nIt is in your approval queue once its plan is ready: {_link(request)}",
        platform_admin_emails(exclude_user_id=request.requester_id),
    )


def team_emails(team_id: int) -> list[str]:
    return list(Membership.objects.filter(team_id=team_id).values_list("user__email", flat=True).distinct())


def notify_destroy(environment: Any, *, subject: str, body: str) -> None:
    """Tells an environment's owner and team about its destruction."""
    _send(
        f"[infra portal] {environment}: {subject}",
        f"{body}\n{settings.PORTAL_BASE_URL}{reverse('environments:detail', args=[environment.pk])}",
        [environment.owner.email, *team_emails(environment.team_id)],
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
