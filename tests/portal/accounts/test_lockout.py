"""Login lockout (django-axes): per username and IP address, audited, lifted by an admin reset."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from portal.audit.models import AuditEvent

PASSWORD = "pw-for-tests-1"  # tests/factories.py


def log_in(client, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def logged_in(client) -> bool:
    return client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_25_wrong_passwords_lock_the_right_one_out_until_an_admin_resets(client, requester, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(25):
        assert log_in(client, requester.username, "wrong").status_code in (200, 429)
    response = log_in(client, requester.username, PASSWORD)
    assert response.status_code == 429
    assert "locked" in response.content.decode() and requester.username in response.content.decode()
    assert not logged_in(client)

    (event,) = AuditEvent.objects.filter(action="login.locked_out")
    assert event.data == {"username": requester.username, "failures": 5}
    assert event.ip_address == "203.0.113.7"

    # The same user from another address is not locked: the lockout is per username and IP.
    assert log_in(client, requester.username, PASSWORD, ip="198.51.100.9").status_code == 302
    client.logout()

    call_command("axes_reset_username", requester.username)
    assert log_in(client, requester.username, PASSWORD).status_code == 302
    assert logged_in(client)


@pytest.mark.django_db
def test_lockout_starts_at_the_configured_limit(client, requester):
    for attempt in range(1, 5):
        assert log_in(client, requester.username, "wrong").status_code == 200, attempt
    assert log_in(client, requester.username, "wrong").status_code == 429
    call_command("axes_reset")
    assert log_in(client, requester.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_authenticate_with_a_request_obeys_the_lockout_and_client_login_still_works(client, requester):
    for _ in range(5):
        log_in(client, requester.username, "wrong", ip="127.0.0.1")
    request = RequestFactory().post(reverse("login"), REMOTE_ADDR="127.0.0.1")
    assert authenticate(request, username=requester.username, password=PASSWORD) is None
    # The test client's login() passes no request: it is not a network login, so it is not locked.
    assert client.login(username=requester.username, password=PASSWORD)
    assert logged_in(client)
