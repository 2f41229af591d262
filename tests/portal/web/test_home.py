"""Home pages that answer "what needs me?": approvals first for approvers, a requester's open
requests, environments (cost, drift, expiry, upgrade) and failures, a platform admin's estate
counts; every list links to its filtered full page, and the queries do not grow with the rows."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.environments.models import DriftStatus, EnvironmentStatus, StateLock
from portal.requests.models import RequestState
from portal.runs.models import RunKind, RunStatus
from tests.factories import (
    BlueprintVersionFactory,
    EnvironmentFactory,
    EnvironmentRequestFactory,
    PlanRunFactory,
    RunFactory,
)


@pytest.fixture
def estate(sandbox, team, requester, approver):
    """`n` of each thing a home page lists, all of `team`, requested or owned by `requester`."""

    def make(n: int) -> None:
        older = BlueprintVersionFactory(
            blueprint=sandbox.blueprint, version=f"0.{n}.0", metadata=sandbox.metadata
        )
        type(older).objects.filter(pk=older.pk).update(published_at=sandbox.published_at - timedelta(days=1))
        for i in range(n):
            environment = EnvironmentFactory(
                team=team,
                owner=requester,
                blueprint_version=older,
                name=f"home-{n}-{i}",
                monthly_cost_usd=Decimal("12.50"),
                drift_status=DriftStatus.DRIFTED,
                expires_at=timezone.now() + timedelta(days=2),
            )
            EnvironmentFactory(
                team=team, owner=requester, name=f"bad-{n}-{i}", status=EnvironmentStatus.FAILED
            )
            with transaction.atomic():
                lock = StateLock.objects.create(
                    environment=environment, lock_id=f"l-{n}-{i}", info={"Who": "ci"}
                )
            StateLock.objects.filter(pk=lock.pk).update(created_at=timezone.now() - timedelta(hours=2))
            RunFactory(environment=environment, kind=RunKind.APPLY, status=RunStatus.FAILED)
            stuck = EnvironmentFactory(team=team, owner=requester, name=f"stuck-{n}-{i}")
            stale = RunFactory(
                environment=stuck, kind=RunKind.DRIFT, status=RunStatus.QUEUED, finished_at=None
            )
            type(stale).objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(hours=1))
            waiting = EnvironmentRequestFactory(
                team=team,
                requester=requester,
                blueprint_version=sandbox,
                environment_name=f"wait-{n}-{i}",
                state=RequestState.AWAITING_APPROVAL,
                awaiting_since=timezone.now(),
            )
            waiting.plan_run = PlanRunFactory(environment=environment, request=waiting)
            waiting.save(update_fields=["plan_run"])
            EnvironmentRequestFactory(
                team=team,
                requester=requester,
                blueprint_version=sandbox,
                environment_name=f"fail-{n}-{i}",
                state=RequestState.FAILED,
            )
        team.monthly_budget_usd = Decimal("12.50") * n / Decimal("0.9")  # committed is 90% of it
        team.save(update_fields=["monthly_budget_usd"])
        type(environment).objects.filter(team=team, name__startswith="home-").update(
            status=EnvironmentStatus.ACTIVE
        )

    return make


def section(html: str, testid: str) -> str:
    match = re.search(rf'<section class="card" data-testid="{testid}">(.*?)</section>', html, re.S)
    assert match, testid
    return match.group(1)


def test_an_approver_sees_the_approvals_waiting_first(client, estate, approver):
    estate(1)
    client.force_login(approver)
    html = client.get(reverse("home")).content.decode()
    assert html.index('data-testid="home-approvals"') < html.index('data-testid="home-open-requests"')
    approvals = section(html, "home-approvals")
    assert "wait-1-0" in approvals and f'href="{reverse("requests:queue")}"' in approvals


def test_a_requester_sees_their_requests_environments_and_failures(client, estate, requester):
    estate(1)
    client.force_login(requester)
    html = client.get(reverse("home")).content.decode()
    assert 'data-testid="home-approvals"' not in html and 'data-testid="home-estate"' not in html
    open_requests = section(html, "home-open-requests")
    assert (
        "wait-1-0" in open_requests
        and "Awaiting approval" in open_requests
        and "fail-1-0" not in open_requests
    )
    environments = section(html, "home-environments")
    row = re.search(r"<tr><td><a[^>]*>[^<]*home-1-0</a>.*?</tr>", environments, re.S).group(0)
    assert "$12.50" in row and "Drifted" in row and 'data-testid="expiring"' in row
    assert 'data-testid="upgrade-available"' in row
    failed = section(html, "home-failed")
    assert "fail-1-0" in failed and "bad-1-0" in failed

    # Each list's link opens the full page with the same filter, and that page lists the same rows.
    for testid in ("home-open-requests", "home-environments", "home-failed"):
        for link in re.findall(r'href="([^"]+\?[^"]+)"', section(html, testid)):
            page = client.get(link.replace("&amp;", "&"))
            assert page.status_code == 200 and 'data-testid="filter-errors"' not in page.content.decode(), (
                link
            )
    full = client.get(reverse("requests:list") + "?mine=1&open=1").content.decode()
    assert "wait-1-0" in full and "fail-1-0" not in full
    upgrades = client.get(reverse("environments:list") + "?upgrade=1").content.decode()
    assert "home-1-0" in upgrades and "bad-1-0" not in upgrades


def test_a_platform_admin_sees_estate_counts_that_link_to_filtered_pages(
    client, estate, platform_admin, team
):
    estate(1)
    client.force_login(platform_admin)
    html = client.get(reverse("home")).content.decode()
    figures = dict(re.findall(r'data-testid="([a-z-]+)" href="[^"]+"><span class="big">(\d+)</span>', html))
    assert figures == {
        "stuck-runs": "1",
        "failed-runs": "1",
        "stale-locks": "1",
        "drifted": "1",
        "expiring": "1",
    }
    budgets = re.search(r'data-testid="budgets-close">(.*?)</table>', html, re.S).group(1)
    assert team.name in budgets and "90%" in budgets
    for testid, needle in (
        ("stuck-runs", "stuck-1-0"),
        ("failed-runs", "home-1-0"),
        ("stale-locks", "home-1-0"),
        ("drifted", "home-1-0"),
        ("expiring", "home-1-0"),
    ):
        link = re.search(rf'data-testid="{testid}" href="([^"]+)"', html).group(1).replace("&amp;", "&")
        page = client.get(link).content.decode()
        assert needle in page and 'data-testid="filter-errors"' not in page, testid
        assert "1 row" in page, (testid, link)


@pytest.mark.parametrize("who", ["requester", "approver", "platform_admin"])
def test_home_queries_do_not_grow_with_rows(client, estate, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    estate(1)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("home")).status_code == 200
    estate(20)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("home")).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
