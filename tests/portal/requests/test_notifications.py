"""Notifications: email after commit, and the optional Slack-compatible webhook, received by a
real HTTP server on loopback. Also: admin edits of policies are audited."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.requests.models import ApprovalPolicy
from portal.requests.services import approval_grant


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
    awaiting, approver, requester, webhook, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = awaiting()
    waiting = [m for m in mail.outbox if approver.email in m.to]
    assert (
        waiting and "waits for your approval" in waiting[0].subject and requester.email not in waiting[0].to
    )
    assert any("waits for your approval" in message["text"] for message in webhook)
    with django_capture_on_commit_callbacks(execute=True):
        approval_grant(request=request, approver=approver)
    decided = [m for m in mail.outbox if requester.email in m.to]
    assert decided and "approved" in decided[-1].subject
    assert any("approved" in message["text"] for message in webhook)


def test_a_broken_webhook_or_mail_server_does_not_undo_anything(
    awaiting, approver, settings, django_capture_on_commit_callbacks
):
    settings.SLACK_WEBHOOK_URL = "http://127.0.0.1:9/nothing-listens-here"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9
    with django_capture_on_commit_callbacks(execute=True):
        request = awaiting()
    request.refresh_from_db()
    assert request.state == "awaiting_approval"


def test_policy_edits_in_the_admin_are_audited(client, platform_admin):
    from portal.requests.services import approval_policies_ensure_defaults

    approval_policies_ensure_defaults()
    platform_admin.is_staff = platform_admin.is_superuser = True
    platform_admin.save()
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
