"""Notifications: queued as a Celery task after commit (read back from a real Redis and run as a
worker would, or by a real worker), email and the optional Slack-compatible webhook, received by a
real HTTP server on loopback. Also: admin edits of policies are audited."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.requests.models import ApprovalPolicy
from portal.requests.notifications import approver_emails
from portal.requests.services import approval_grant
from tests.factories import MembershipFactory
from tests.processes import wait_until


@pytest.fixture
def webhook(settings):
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SLACK_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/hook"
    yield received
    server.shutdown()


def test_approvers_and_the_requester_hear_of_each_step(
    awaiting, approver, requester, webhook, notifications, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = awaiting()
    assert mail.outbox == [] and webhook == []  # nothing is sent inside the request itself
    waiting = [m for m in notifications() if approver.email in m.to]
    assert (
        waiting and "waits for your approval" in waiting[0].subject and requester.email not in waiting[0].to
    )
    assert any("waits for your approval" in message["text"] for message in webhook)
    with django_capture_on_commit_callbacks(execute=True):
        approval_grant(request=request, approver=approver)
    decided = [m for m in notifications() if requester.email in m.to]
    assert decided and "approved" in decided[-1].subject
    assert any("approved" in message["text"] for message in webhook)


def test_nothing_is_queued_when_the_transaction_rolls_back(awaiting, notifications):
    with pytest.raises(RuntimeError), transaction.atomic():
        awaiting()
        raise RuntimeError("roll back")
    assert notifications() == []


def test_budget_approvers_are_asked_too(awaiting, team, requester):
    budget_only = MembershipFactory(team=team, role="requester", budget_approver=True).user
    other_team_approver = MembershipFactory(role="approver").user
    request = awaiting()
    emails = approver_emails(request)
    assert budget_only.email in emails
    assert other_team_approver.email not in emails and requester.email not in emails


def test_a_broken_webhook_or_mail_server_does_not_undo_anything(
    awaiting, approver, settings, notifications, django_capture_on_commit_callbacks
):
    settings.SLACK_WEBHOOK_URL = "http://127.0.0.1:9/nothing-listens-here"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9
    with django_capture_on_commit_callbacks(execute=True):
        request = awaiting()
    assert notifications() == []  # the task ran; both failures were logged, nothing raised
    request.refresh_from_db()
    assert request.state == "awaiting_approval"


@pytest.mark.integration
def test_a_real_worker_sends_the_notification(make_worker, webhook, awaiting, approver, settings):
    make_worker(SLACK_WEBHOOK_URL=settings.SLACK_WEBHOOK_URL)
    awaiting()  # commits at once (transactional test), so the task is queued now
    wait_until(
        lambda: any("waits for your approval" in message["text"] for message in webhook),
        timeout=60,
        what="the worker's webhook call",
    )


def test_policy_edits_in_the_admin_are_audited(client, platform_admin):
    from portal.requests.services import approval_policies_ensure_defaults

    approval_policies_ensure_defaults()
    client.force_login(platform_admin)
    policy = ApprovalPolicy.objects.get(tier="dev")
    url = reverse("admin:requests_approvalpolicy_change", args=[policy.pk])
    response = client.post(
        url,
        {
            "name": policy.name,
            "tier": "dev",
            "auto_approve_under_usd": "25.00",
            "required_approvals": 1,
            "budget_approver_when_over_budget": "on",
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="policy.changed")
    assert event.data["auto_approve_under_usd"] == "25.00" and event.actor_name == platform_admin.username
