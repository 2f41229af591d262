"""Actual spend flowing from a real moto server's Cost Explorer into the portal: stored per
environment and month, shown on the environment, blueprint and home pages, and the owner told
once when a month's actual exceeds the estimate by COST_ACTUAL_ALERT_FACTOR.

moto answers get_cost_and_usage with results the test queues through moto's own HTTP API
(/moto-api/static/ce/cost-and-usage-results); each distinct request takes the next queued result
and keeps it, so every test asks with its own date."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
from decimal import Decimal
from typing import Any

import boto3
import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.costs.actuals import cost_actual_upsert, cost_actuals_refresh
from portal.costs.engine.actuals import COST_METRIC
from portal.costs.models import CostActual
from portal.costs.selectors import blueprint_estimate_accuracy, teams_spend
from portal.environments.models import EnvironmentStatus
from portal.environments.selectors import team_committed_spend
from tests.factories import EnvironmentFactory, MembershipFactory, TeamFactory, published_blueprints

pytestmark = pytest.mark.django_db


def queue_ce_result(moto_url: str, *results_by_time: dict[str, Any]) -> None:
    """Queues one get_cost_and_usage answer on the moto server, through moto's API."""
    body = json.dumps({"results": [{"ResultsByTime": list(results_by_time)}]}).encode()
    request = urllib.request.Request(  # noqa: S310 - the loopback moto server
        moto_url + "/moto-api/static/ce/cost-and-usage-results",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        assert response.status == 201


def month(
    start: str, end: str, groups: list[tuple[str, str, str]], estimated: bool = False
) -> dict[str, Any]:
    return {
        "TimePeriod": {"Start": start, "End": end},
        "Total": {},
        "Groups": [
            {
                "Keys": [f"Team${team}", f"Environment${name}"],
                "Metrics": {COST_METRIC: {"Amount": amount, "Unit": "USD"}},
            }
            for team, name, amount in groups
        ],
        "Estimated": estimated,
    }


@pytest.fixture
def ce(aws_env, moto_server, settings) -> Any:
    settings.COST_ACTUALS_ENABLED = True
    settings.AWS_ENDPOINT_URL = moto_server.url
    return boto3.client("ce", region_name="us-east-1", endpoint_url=moto_server.url)


@pytest.fixture
def aws_blueprint() -> Any:
    return published_blueprints()["serverless-api"]


@pytest.fixture
def world(aws_blueprint) -> dict[str, Any]:
    team = TeamFactory(slug="payments-ce", monthly_budget_usd=500)
    owner = MembershipFactory(team=team, user__username="owner-ce").user
    version = aws_blueprint.latest_version

    def environment(name: str, **fields: Any) -> Any:
        return EnvironmentFactory(team=team, owner=owner, name=name, blueprint_version=version, **fields)

    web = environment("web", monthly_cost_usd=Decimal("100"))
    api = environment("api", monthly_cost_usd=Decimal("40"))
    prod = environment("shop", tier="prod", monthly_cost_usd=Decimal("200"))
    gone = environment("old", status=EnvironmentStatus.DESTROYED)
    return {"team": team, "owner": owner, "web": web, "api": api, "prod": prod, "gone": gone}


def test_refresh_stores_actuals_and_alerts_the_owner_once(
    ce, moto_server, world, notifications, django_capture_on_commit_callbacks
) -> None:
    from portal.environments.selectors import environments_active
    from portal.requests.notifications import notify_owner_cost_overrun

    today = dt.date(2026, 7, 9)
    queue_ce_result(
        moto_server.url,
        month("2026-06-01", "2026-07-01", [("payments-ce", "web", "180.004"), ("payments-ce", "api", "30")]),
        month(
            "2026-07-01",
            "2026-07-09",
            [("payments-ce", "web", "41.5"), ("other", "web", "5")],
            estimated=True,
        ),
    )
    for _ in range(2):  # the second run gets the same answer and changes nothing
        with django_capture_on_commit_callbacks(execute=True):
            result = cost_actuals_refresh(
                environments=environments_active(), client=ce, today=today, notify=notify_owner_cost_overrun
            )
        assert result.environments == 3 and result.stored == 3 and result.unmatched == ["other/web"]

    rows = {(a.environment.name, a.month): a for a in CostActual.objects.select_related("environment")}
    assert set(rows) == {
        ("web", dt.date(2026, 6, 1)),
        ("api", dt.date(2026, 6, 1)),
        ("web", dt.date(2026, 7, 1)),
    }
    assert rows["web", dt.date(2026, 6, 1)].amount == Decimal("180.00")
    assert rows["web", dt.date(2026, 7, 1)].estimated and not rows["web", dt.date(2026, 6, 1)].estimated
    assert rows["web", dt.date(2026, 6, 1)].source == "aws-ce:UnblendedCost"

    # web: 180 > 1.5 x 100, told once over two runs; api (30 of 40) and July's 41.50 are within.
    assert rows["web", dt.date(2026, 6, 1)].alerted_at is not None
    assert rows["web", dt.date(2026, 7, 1)].alerted_at is None
    mailoutbox = notifications()  # the queued notification tasks, run as a worker would
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [world["owner"].email]
    assert "180.00 USD in June 2026" in mailoutbox[0].subject
    assert reverse("environments:detail", args=[world["web"].pk]) in mailoutbox[0].body
    assert AuditEvent.objects.filter(action="cost.actual_over_estimate").count() == 1
    assert AuditEvent.objects.filter(action="cost.actuals_fetched").count() == 2


def test_alert_factor_is_a_setting(ce, moto_server, world, settings) -> None:
    settings.COST_ACTUAL_ALERT_FACTOR = 2.0
    queue_ce_result(moto_server.url, month("2026-05-01", "2026-06-01", [("payments-ce", "web", "180")]))
    told = []
    cost_actuals_refresh(
        environments=[world["web"]], client=ce, today=dt.date(2026, 6, 1), notify=lambda *a: told.append(a)
    )
    assert CostActual.objects.get().amount == Decimal("180.00")
    assert told == []  # 180 is not over 2 x 100


def test_disabled_refresh_asks_nothing(world, settings) -> None:
    settings.COST_ACTUALS_ENABLED = False
    result = cost_actuals_refresh(environments=[world["web"]], client=object())
    assert result.skipped and not CostActual.objects.exists()


def test_beat_task_fetches_for_active_environments(ce, moto_server, world) -> None:
    """The Celery task as beat sends it, run in-process: today's date, the portal's own client."""
    from django.utils import timezone

    from portal.costs.engine.actuals import previous_month
    from workers.tasks import cost_actuals_refresh as task

    last = previous_month(timezone.now().date())
    end = (last + dt.timedelta(days=32)).replace(day=1)
    queue_ce_result(
        moto_server.url,
        month(
            last.isoformat(), end.isoformat(), [("payments-ce", "shop", "210"), ("payments-ce", "old", "9")]
        ),
    )
    task.apply().get()
    actual = CostActual.objects.get()
    assert (actual.environment, actual.month, actual.amount) == (world["prod"], last, Decimal("210.00"))


def test_pages_show_actuals_accuracy_and_spend_basis(ce, moto_server, world, client) -> None:
    """The moto-fetched figures on the environment page, the blueprint page and the home page."""
    from django.utils import timezone

    from portal.costs.engine.actuals import month_start, previous_month

    today = timezone.now().date()
    last, this = previous_month(today), month_start(today)
    queue_ce_result(
        moto_server.url,
        month(
            last.isoformat(), this.isoformat(), [("payments-ce", "web", "120"), ("payments-ce", "api", "20")]
        ),
        month(this.isoformat(), today.isoformat(), [("payments-ce", "web", "33.30")], estimated=True),
    )
    # Not the beat test's environment list: moto keeps one answer per distinct request.
    cost_actuals_refresh(environments=[world["web"], world["api"]], client=ce, today=today)
    assert CostActual.objects.count() == 3
    client.force_login(world["owner"])

    page = client.get(reverse("environments:detail", args=[world["web"].pk])).content.decode()
    assert 'data-testid="actual-last-month">120.00 USD' in page
    assert 'data-testid="actual-month-to-date">33.30 USD' in page
    assert 'data-testid="actual-ratio">1.20×' in page
    assert '<svg class="spend-chart"' in page and "estimate: 100.00/month" in page

    empty = client.get(reverse("environments:detail", args=[world["prod"].pk])).content.decode()
    assert "No actual spend recorded yet" in empty

    page = client.get(reverse("catalog:detail", args=["serverless-api"])).content.decode()
    blueprint = page.split('data-testid="estimate-accuracy"', 1)[1].split("</section>", 1)[0]
    # dev: web 120/100 = 1.2, api 20/40 = 0.5 -> median 0.85, p25 0.675, p75 1.025
    assert '<td>dev</td><td class="num">2</td><td class="num">0.85×</td>' in blueprint
    assert "0.68× – 1.02×" in blueprint or "0.68× – 1.03×" in blueprint
    assert "<td>prod</td>" not in blueprint  # no actual for shop

    home = client.get(reverse("home")).content.decode()
    # 120 + 20 actual replace 100 + 40 estimated; shop stays at its 200 estimate.
    assert "$340.00" in home and "actual for 2, estimate for 1" in home


def test_team_spend_uses_actual_when_known(world) -> None:
    today = dt.date(2026, 9, 15)
    team = world["team"]
    assert team_committed_spend(team) == Decimal("340.00")  # estimates only (today's month)
    [spend] = teams_spend(teams=type(team).objects.filter(pk=team.pk), today=today)
    assert (spend.committed, spend.basis) == (Decimal("340"), "estimate")
    cost_actual_upsert(
        environment=world["web"], month=dt.date(2026, 8, 1), amount=Decimal("480"), currency="USD"
    )
    cost_actual_upsert(
        environment=world["gone"], month=dt.date(2026, 8, 1), amount=Decimal("99"), currency="USD"
    )
    [spend] = teams_spend(teams=type(team).objects.filter(pk=team.pk), today=today)
    assert (spend.committed, spend.actual_count, spend.estimate_count) == (Decimal("720"), 1, 2)
    assert spend.basis == "actual and estimate" and spend.over_budget  # budget 500


def test_upsert_is_idempotent(world) -> None:
    for amount in ("10", "12.345"):
        cost_actual_upsert(
            environment=world["web"], month=dt.date(2026, 8, 17), amount=Decimal(amount), currency="USD"
        )
    actual = CostActual.objects.get()
    assert (actual.month, actual.amount) == (dt.date(2026, 8, 1), Decimal("12.35"))


def test_accuracy_only_counts_environments_the_user_may_see(world, aws_blueprint) -> None:
    cost_actual_upsert(
        environment=world["web"], month=dt.date(2026, 8, 1), amount=Decimal("150"), currency="USD"
    )
    outsider = MembershipFactory(user__username="outsider-ce").user
    today = dt.date(2026, 9, 2)
    assert blueprint_estimate_accuracy(blueprint=aws_blueprint, user=outsider, today=today) == []
    [dev] = blueprint_estimate_accuracy(blueprint=aws_blueprint, user=world["owner"], today=today)
    assert (dev.tier, dev.accuracy.count, dev.accuracy.median) == ("dev", 1, 1.5)


def test_beat_sends_the_task_daily(settings) -> None:
    from celery.schedules import crontab

    import workers.tasks  # noqa: F401 - registers the tasks, as the worker's import does
    from portal.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["cost-actuals"]
    assert entry["task"] == "portal.cost_actuals_refresh" and entry["task"] in app.tasks
    assert entry["schedule"] == crontab(hour=6, minute=17)


@pytest.mark.parametrize("factor", ["0.5", "nonsense"])
def test_alert_factor_below_one_refuses_to_start(factor: str) -> None:
    from tests.portal.core.test_settings import boot

    result = boot(COST_ACTUAL_ALERT_FACTOR=factor)
    assert result.returncode != 0 and "started" not in result.stdout
    assert "COST_ACTUAL_ALERT_FACTOR" in result.stderr or "could not convert" in result.stderr
