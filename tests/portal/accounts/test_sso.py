"""Single sign-on against a real OpenID Connect provider (django-oidc-provider, tests/oidc_provider)
served over HTTP by a process the test starts: the authorization-code flow with PKCE, discovery,
RS256 ID tokens checked against the provider's JWKS, and the groups claim mapped to teams."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from portal.accounts.models import Membership
from portal.audit.models import AuditEvent
from tests.factories import MembershipFactory, TeamFactory, UserFactory
from tests.processes import free_port, wait_until

ROOT = Path(__file__).resolve().parents[3]
CLIENT_ID = "portal-tests"
CLIENT_SECRET = "client-secret-for-tests"
PASSWORD = "idp-password-1"
MAPPING = {
    "payments-approvers": {"team": "payments", "role": "approver"},
    "payments-devs": {"team": "payments", "role": "requester"},
    "search-devs": {"team": "search", "role": "requester"},
    "platform-ops": [{"team": "platform", "role": "platform_admin"}],
}


@dataclass
class Provider:
    url: str
    db: Path

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/openid/.well-known/openid-configuration"

    def set_groups(self, username: str, groups: list[str]) -> None:
        """Changes a user's groups at the provider (its own database, between two logins)."""
        with sqlite3.connect(self.db) as conn:
            (user_id,) = conn.execute("SELECT id FROM auth_user WHERE username = ?", (username,)).fetchone()
            conn.execute("DELETE FROM auth_user_groups WHERE user_id = ?", (user_id,))
            for name in groups:
                conn.execute("INSERT OR IGNORE INTO auth_group (name) VALUES (?)", (name,))
                (group_id,) = conn.execute("SELECT id FROM auth_group WHERE name = ?", (name,)).fetchone()
                conn.execute(
                    "INSERT INTO auth_user_groups (user_id, group_id) VALUES (?, ?)", (user_id, group_id)
                )


@pytest.fixture(scope="module")
def provider(tmp_path_factory) -> Iterator[Provider]:
    port = free_port()
    folder = tmp_path_factory.mktemp("oidc-provider")
    db = folder / "provider.sqlite3"
    # A file, not a pipe: runserver logs every request, and a pipe nobody reads fills up.
    log = (folder / "provider.log").open("wb")
    setup = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": ["http://testserver/oidc/callback/"],
        "users": [
            {
                "username": "pat",
                "email": "pat@example.com",
                "password": PASSWORD,
                "groups": ["payments-approvers", "staff"],
            },
            {"username": "sam", "email": "sam@example.com", "password": PASSWORD, "groups": []},
        ],
    }
    env = {
        **os.environ,
        "OIDC_PROVIDER_DB": str(db),
        "OIDC_PROVIDER_SETUP": json.dumps(setup),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.server", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"the OIDC provider exited: {(folder / 'provider.log').read_text()}")
        try:
            return (
                requests.get(f"{url}/openid/.well-known/openid-configuration", timeout=1).status_code == 200
            )
        except requests.ConnectionError:
            return False

    try:
        wait_until(answers, 60, "the OIDC provider")
        yield Provider(url=url, db=db)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture
def sso(provider, settings) -> Provider:
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_DISCOVERY_URL = provider.discovery_url
    settings.OIDC_GROUP_MAPPING = json.dumps(MAPPING)
    settings.OIDC_RP_SCOPES = "openid email profile groups"  # the test provider's groups scope
    return provider


def sso_login(client, provider: Provider, username: str, password: str = PASSWORD, next_url: str = ""):
    """Logs in through the whole authorization-code flow: the portal's redirect to the provider,
    the provider's login form (a real browser-like HTTP session), its redirect back with a code,
    and the portal's callback, which exchanges the code at the provider's token endpoint."""
    start = client.get(reverse("oidc_authentication_init") + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302, start
    authorize = start["Location"]
    assert authorize.startswith(provider.url + "/openid/authorize"), authorize

    browser = requests.Session()
    login_page = browser.get(authorize, timeout=10)
    assert login_page.status_code == 200 and "/accounts/login/" in login_page.url, login_page.url
    posted = browser.post(
        login_page.url,
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            "next": parse_qs(urlsplit(login_page.url).query)["next"][0],
        },
        allow_redirects=False,
        timeout=10,
    )
    assert posted.status_code == 302, posted.text[:500]
    response = browser.get(
        urljoin(login_page.url, posted.headers["Location"]), allow_redirects=False, timeout=10
    )
    assert response.status_code == 302, response.text[:500]
    callback = urlsplit(response.headers["Location"])
    assert (callback.scheme, callback.netloc, callback.path) == ("http", "testserver", "/oidc/callback/")
    assert "code=" in callback.query
    return client.get(f"{callback.path}?{callback.query}")


@pytest.mark.django_db(transaction=True)
def test_a_new_user_lands_in_the_mapped_team_and_role(client, sso):
    payments = TeamFactory(slug="payments", name="Payments")
    TeamFactory(slug="search", name="Search")
    assert not get_user_model().objects.filter(username="pat").exists()

    response = sso_login(client, sso, "pat", next_url="/requests/")
    assert response.status_code == 302 and response["Location"] == "/requests/", response
    assert client.get(reverse("home")).status_code == 200

    pat = get_user_model().objects.get(username="pat")
    assert pat.email == "pat@example.com"
    assert not pat.has_usable_password()
    assert [(m.team.slug, m.role) for m in Membership.objects.filter(user=pat)] == [("payments", "approver")]
    assert client.get(reverse("home")).wsgi_request.user == pat

    added = AuditEvent.objects.get(action="membership.added")
    assert added.data == {"user": "pat", "team": "payments", "role": "approver", "source": "sso"}
    login = AuditEvent.objects.get(action="login.sso")
    assert login.actor == pat and login.data["groups"] == ["payments-approvers", "staff"]
    assert payments.memberships.count() == 1


@pytest.mark.django_db(transaction=True)
def test_every_login_adds_changes_and_removes_memberships_to_match_the_groups(client, sso):
    TeamFactory(slug="payments", name="Payments")
    TeamFactory(slug="search", name="Search")
    hand_made = TeamFactory(slug="research", name="Research")  # not in the mapping: left alone
    sam = UserFactory(username="sam")
    MembershipFactory(user=sam, team=hand_made, role="approver")

    sso.set_groups("sam", ["payments-devs", "search-devs"])
    assert sso_login(client, sso, "sam").status_code == 302
    roles = {m.team.slug: m.role for m in Membership.objects.filter(user=sam)}
    assert roles == {"payments": "requester", "search": "requester", "research": "approver"}
    client.logout()

    # Two groups give payments: the stronger role wins; search is gone from the claim.
    sso.set_groups("sam", ["payments-devs", "payments-approvers"])
    assert sso_login(client, sso, "sam").status_code == 302
    roles = {m.team.slug: m.role for m in Membership.objects.filter(user=sam)}
    assert roles == {"payments": "approver", "research": "approver"}
    assert AuditEvent.objects.filter(action="membership.role_changed", data__team="payments").count() == 1
    removed = AuditEvent.objects.get(action="membership.removed")
    assert removed.data == {"user": "sam", "team": "search", "role": "requester", "source": "sso"}
    client.logout()

    # A mapped team that does not exist in the portal is skipped, not created.
    sso.set_groups("sam", ["platform-ops"])
    assert sso_login(client, sso, "sam").status_code == 302
    assert {m.team.slug: m.role for m in Membership.objects.filter(user=sam)} == {"research": "approver"}


@pytest.mark.django_db(transaction=True)
def test_a_wrong_password_at_the_provider_gives_no_code_and_no_user(client, sso):
    start = client.get(reverse("oidc_authentication_init"))
    browser = requests.Session()
    login_page = browser.get(start["Location"], timeout=10)
    posted = browser.post(
        login_page.url,
        data={"username": "pat", "password": "wrong", "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        allow_redirects=False,
        timeout=10,
    )
    assert posted.status_code == 200  # the provider's form again
    # A forged callback with a made-up code is refused by the provider's token endpoint.
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    response = client.get(f"/oidc/callback/?code=made-up&state={state}")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert not get_user_model().objects.filter(username="pat").exists()
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_login_page_offers_sso_only_when_configured(client, settings):
    assert "Sign in with SSO" not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback")).status_code == 404
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://idp.example.com/authorize"
    page = client.get(reverse("login") + "?next=/runs/").content.decode()
    assert "Sign in with SSO" in page and 'href="/oidc/authenticate/?next=/runs/"' in page
    start = client.get("/oidc/authenticate/?next=/runs/")
    assert start.status_code == 302 and start["Location"].startswith("https://idp.example.com/authorize?")
    assert f"client_id={CLIENT_ID}" in start["Location"] and "code_challenge=" in start["Location"]


@pytest.mark.django_db
def test_local_login_switched_off_lets_only_break_glass_accounts_in(client, settings):
    admin = MembershipFactory(team=TeamFactory(slug="platform"), role="platform_admin").user
    user = UserFactory(username="dana")
    settings.LOCAL_LOGIN_ENABLED = False
    settings.BREAK_GLASS_USERS = [admin.username]

    refused = client.post(reverse("login"), {"username": user.username, "password": "pw-for-tests-1"})
    assert refused.status_code == 200
    assert "break-glass accounts only" in refused.content.decode()
    assert client.get(reverse("home")).status_code == 302

    # The admin's own login page goes through the same backends.
    admin_login = client.post(
        reverse("admin:login"), {"username": user.username, "password": "pw-for-tests-1"}
    )
    assert admin_login.status_code == 200 and client.get(reverse("home")).status_code == 302

    allowed = client.post(reverse("login"), {"username": admin.username, "password": "pw-for-tests-1"})
    assert allowed.status_code == 302
    assert client.get(reverse("home")).status_code == 200

    settings.LOCAL_LOGIN_ENABLED = True
    client.logout()
    assert (
        client.post(reverse("login"), {"username": user.username, "password": "pw-for-tests-1"}).status_code
        == 302
    )


def test_check_refuses_a_malformed_group_mapping(settings):
    settings.OIDC_GROUP_MAPPING = json.dumps({"ops": {"team": "platform", "role": "owner"}})
    with pytest.raises(SystemCheckError, match="role 'owner' is not one of"):
        call_command("check")
    settings.OIDC_GROUP_MAPPING = "[1, 2]"
    with pytest.raises(SystemCheckError, match="must be a JSON object"):
        call_command("check")
