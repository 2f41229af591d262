"""Personal access tokens: stored hashed, shown once, expiry, revocation, read-only scope, audited
use, and CSRF only for the browser session."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.api.models import PersonalAccessToken
from portal.audit.models import AuditEvent
from portal.runs.models import Run, RunKind, RunStatus
from tests.portal.api.conftest import bearer

SECRET = re.compile(r"pat_[A-Za-z0-9_-]{20,}")


def test_a_token_is_shown_once_and_stored_as_a_hash(client, requester):
    client.force_login(requester)
    response = client.post(
        reverse("profile:tokens"), {"name": "ci pipeline", "expires_in_days": "30", "read_only": "on"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = SECRET.search(response.content.decode()).group(0)
    token = PersonalAccessToken.objects.get(user=requester)
    assert token.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    row = PersonalAccessToken.objects.filter(pk=token.pk).values().get()
    stored = " ".join(str(value) for value in row.values())
    assert secret not in stored and secret[12:] not in stored
    assert token.read_only and timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    page = client.get(reverse("profile:tokens")).content.decode()
    assert secret not in page and f"pat_{token.prefix}" in page and "ci pipeline" in page
    assert AuditEvent.objects.filter(action="api_token.created", actor=requester).exists()
    # The menu links to the page.
    assert reverse("profile:tokens") in client.get(reverse("home")).content.decode()

    api = Client()
    me = api.get("/api/v1/me", headers=bearer(secret)).json()
    assert me["username"] == requester.username and me["token"]["read_only"] is True


def test_token_names_are_checked(client, requester):
    client.force_login(requester)
    response = client.post(reverse("profile:tokens"), {"name": "bad\u0000name", "expires_in_days": "30"})
    assert response.status_code == 400
    assert not PersonalAccessToken.objects.exists()


def test_expired_revoked_unknown_and_malformed_tokens_are_refused(client, requester, make_token):
    expired = make_token(requester, expires_at=timezone.now() - timedelta(seconds=1), name="old")
    live = make_token(requester, name="live")
    assert client.get("/api/v1/me", headers=bearer(live)).status_code == 200
    for secret, words in (
        (expired, "expired"),
        (live[:-3] + "xyz", "Unknown token"),
        ("not-a-portal-token", "Malformed"),
    ):
        response = client.get("/api/v1/me", headers=bearer(secret))
        assert response.status_code == 401 and words in response.json()["error"]["message"], secret

    token = PersonalAccessToken.objects.get(name="live")
    browser = Client()
    browser.force_login(requester)
    assert browser.post(reverse("profile:token-revoke", args=[token.pk])).status_code == 302
    response = client.get("/api/v1/me", headers=bearer(live))
    assert response.status_code == 401 and "revoked" in response.json()["error"]["message"]
    assert AuditEvent.objects.filter(action="api_token.revoked", target_id=str(token.pk)).exists()


def test_a_user_cannot_revoke_another_users_token(client, requester, approver, make_token):
    secret = make_token(requester)
    token = PersonalAccessToken.objects.get(user=requester)
    client.force_login(approver)
    assert client.post(reverse("profile:token-revoke", args=[token.pk])).status_code == 404
    assert Client().get("/api/v1/me", headers=bearer(secret)).status_code == 200


def test_read_only_tokens_read_and_estimate_but_change_nothing(client, world, make_token):
    secret = make_token(world.users["requester"], read_only=True)
    assert client.get("/api/v1/environments", headers=bearer(secret)).status_code == 200
    estimate = client.post(
        "/api/v1/blueprints/local-sandbox/estimate",
        {"inputs": {"tier": "dev"}},
        content_type="application/json",
        headers=bearer(secret),
    )
    assert estimate.status_code == 200 and estimate.json()["estimate"]["complete"] is True
    response = client.post(f"/api/v1/runs/{world.run.pk}/cancel", headers=bearer(secret))
    assert response.status_code == 403 and "read-only" in response.json()["error"]["message"]


def test_use_is_audited_with_name_and_ip_at_most_once_a_minute(client, requester, make_token):
    secret = make_token(requester, name="laptop")
    for _ in range(3):
        assert client.get("/api/v1/me", headers=bearer(secret), REMOTE_ADDR="10.0.0.7").status_code == 200
    uses = AuditEvent.objects.filter(action="api_token.used")
    assert uses.count() == 1
    event = uses.get()
    assert event.ip_address == "10.0.0.7" and event.data["token"] == "laptop" and event.actor == requester
    token = PersonalAccessToken.objects.get(name="laptop")
    assert token.last_used_ip == "10.0.0.7" and token.last_used_at is not None

    client.get("/api/v1/me", headers=bearer(secret), REMOTE_ADDR="10.0.0.8")  # a new address: at once
    assert uses.count() == 2
    PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    client.get("/api/v1/me", headers=bearer(secret), REMOTE_ADDR="10.0.0.8")  # a quiet minute later
    assert uses.count() == 3


def test_session_calls_need_csrf_and_token_calls_do_not(world, make_token):
    queued = Run.objects.create(
        kind=RunKind.DRIFT, environment=world.environment, created_by=world.users["requester"]
    )
    cancel = f"/api/v1/runs/{queued.pk}/cancel"
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.users["requester"])
    assert browser.get(f"/api/v1/runs/{queued.pk}").status_code == 200  # reads need no token
    response = browser.post(cancel)
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    queued.refresh_from_db()
    assert queued.status == RunStatus.QUEUED

    browser.get(reverse("runs:detail", args=[queued.pk]))  # sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    assert browser.post(cancel, headers={"X-CSRFToken": token}).status_code == 200
    queued.refresh_from_db()
    assert queued.status == RunStatus.CANCELLED

    again = Run.objects.create(kind=RunKind.DRIFT, environment=world.environment)
    secret = make_token(world.users["requester"])
    scripted = Client(enforce_csrf_checks=True)
    assert scripted.post(f"/api/v1/runs/{again.pk}/cancel", headers=bearer(secret)).status_code == 200
