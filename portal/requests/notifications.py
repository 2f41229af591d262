"""Email (and an optional Slack-compatible webhook) about requests. Sent after the transaction
commits, so nobody hears of a change that rolled back, and a mail failure never undoes one."""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from portal.accounts.models import Membership, Role

log = logging.getLogger(__name__)


def _link(request: Any) -> str:
    return settings.PORTAL_BASE_URL + reverse("requests:detail", args=[request.pk])


def _send(subject: str, body: str, recipients: list[str]) -> None:
    recipients = sorted({r for r in recipients if r})

    def deliver() -> None:
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

    transaction.on_commit(deliver)


def approver_emails(request: Any) -> list[str]:
    """The team's approvers, plus platform admins when the policy needs one, minus the requester."""
    needs = " ".join(request.policy_decision.get("needs", []))
    people = Membership.objects.filter(team=request.team, role=Role.APPROVER)
    emails = list(people.exclude(user=request.requester).values_list("user__email", flat=True))
    if "platform admin" in needs or "budget approver" in needs:
        admins = Membership.objects.filter(role=Role.PLATFORM_ADMIN).exclude(user=request.requester)
        emails += list(admins.values_list("user__email", flat=True))
    return emails


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
