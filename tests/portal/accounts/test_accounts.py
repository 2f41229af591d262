from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from portal.accounts.models import Membership, Team
from portal.accounts.selectors import user_teams
from portal.audit.models import AuditEvent
from tests.factories import EnvironmentFactory


@pytest.mark.django_db
def test_every_page_but_login_and_health_requires_login(client):
    for url in [reverse("home"), reverse("audit:list"), "/admin/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response["Location"]
    assert client.get(reverse("login")).status_code == 200


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_header_shows_each_role(client):
    call_command("seed_demo")
    call_command("seed_demo")
    assert (
        get_user_model().objects.filter(username__in=["alice", "bob", "carol", "dave", "erin"]).count() == 5
    )
    assert Team.objects.count() == 3
    assert Membership.objects.count() == 5
    assert AuditEvent.objects.filter(action="demo.loaded").count() == 2

    expected = {
        "alice": ("Payments", "Requester"),
        "bob": ("Payments", "Approver"),
        "carol": ("Analytics", "Requester"),
        "dave": ("Analytics", "Approver"),
        "erin": ("Platform", "Platform admin"),
    }
    for username, (team, role) in expected.items():
        assert client.login(username=username, password="demo-pass-123")
        html = client.get(reverse("home")).content.decode()
        header = html.split('data-testid="whoami"', 1)[1].split("</div>", 1)[0]
        assert team in header and role in header, (username, header)
        client.logout()


@pytest.mark.django_db
def test_login_with_a_wrong_password_shows_an_error_and_logs_nobody_in(client):
    call_command("seed_demo")
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_user_teams_is_scoped(requester, outsider, platform_admin):
    own = set(user_teams(requester))
    assert own == {requester.memberships.get().team}
    assert outsider.memberships.get().team not in own
    assert set(user_teams(platform_admin)) == set(Team.objects.all())


@pytest.mark.django_db
def test_home_shows_committed_spend_per_team(client, sandbox, requester, team, django_assert_max_num_queries):
    for name, status, cost in [
        ("a-env", "active", "12.50"),
        ("b-env", "active", "7.25"),
        ("c-env", "destroyed", "99"),
    ]:
        EnvironmentFactory(
            team=team,
            owner=requester,
            name=name,
            blueprint_version=sandbox,
            status=status,
            state_password="",
            monthly_cost_usd=Decimal(cost),
        )
    client.force_login(requester)
    # The home page (portal/web/home.py) also lists requests, environments and failures; its
    # query count staying constant in the data size is tested in tests/portal/web.
    with django_assert_max_num_queries(13):
        html = client.get(reverse("home")).content.decode()
    budgets = html.split('data-testid="budgets"', 1)[1]
    assert "$19.75" in budgets and "$1000" in budgets
