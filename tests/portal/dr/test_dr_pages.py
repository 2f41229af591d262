"""The DR pages: the environment's DR section, the drill page, the estate page and its CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.dr.models import Drill, DrillResource, DrillSchedule
from portal.runs.models import RunKind
from tests.factories import EnvironmentFactory, MembershipFactory, RunFactory, TeamFactory


def make_drill(environment, status="passed", rto=10.0, rpo=1.0, days_ago=0, **fields):
    run = RunFactory(kind=RunKind.DRILL, environment=environment)
    finished = timezone.now() - timedelta(days=days_ago)
    drill = Drill.objects.create(
        run=run,
        environment=environment,
        runbook="state-restore",
        status=status,
        rto_target_s=300,
        rpo_target_s=60,
        rto_achieved_s=rto,
        rpo_api_s=rpo,
        finished_at=finished,
        **{"cleanup_ok": True, **fields},
    )
    schedule, _ = DrillSchedule.objects.get_or_create(
        environment=environment, defaults={"frequency": "monthly"}
    )
    schedule.last_drill = drill
    schedule.save()
    return drill


@pytest.fixture
def env(sandbox, team, requester):
    return EnvironmentFactory(team=team, owner=requester, blueprint_version=sandbox, name="pages")


def test_environment_dr_section_shows_figures_chart_and_buttons_by_role(
    client, env, requester, approver, platform_admin
):
    for days, rto in ((3, 12.0), (2, 400.0), (1, 9.0)):
        make_drill(env, status="failed" if rto > 300 else "passed", rto=rto, rpo=0.0, days_ago=days)
    url = reverse("environments:detail", args=[env.pk])
    client.force_login(approver)
    html = client.get(url).content.decode()
    assert 'data-testid="dr-section"' in html and 'data-testid="dr-chart"' in html
    assert html.count('class="point over"') == 1  # the one drill over its RTO target
    assert "target 300 s" in html and reverse("dr:start", args=[env.pk]) in html
    assert reverse("dr:schedule", args=[env.pk]) in html
    client.force_login(requester)
    html = client.get(url).content.decode()
    assert 'data-testid="dr-section"' in html
    assert (
        reverse("dr:start", args=[env.pk]) not in html and reverse("dr:schedule", args=[env.pk]) not in html
    )
    client.force_login(platform_admin)
    assert reverse("dr:start", args=[env.pk]) in client.get(url).content.decode()


def test_platform_admin_starts_a_drill_approver_of_another_team_cannot(client, env, platform_admin):
    other_approver = MembershipFactory(team=TeamFactory(), role="approver").user
    client.force_login(other_approver)
    assert client.post(reverse("dr:start", args=[env.pk])).status_code == 404
    assert client.post(reverse("dr:schedule", args=[env.pk]), {"frequency": "none"}).status_code == 404
    assert not Drill.objects.exists() and not DrillSchedule.objects.exists()
    client.force_login(platform_admin)
    response = client.post(reverse("dr:start", args=[env.pk]))
    drill = Drill.objects.get(environment=env)
    assert response["Location"] == reverse("dr:drill", args=[drill.pk])
    # A second click while the first drill is queued: that drill's page with a message, not a
    # second drill.
    response = client.post(reverse("dr:start", args=[env.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("dr:drill", args=[drill.pk])
    assert "already has an active drill" in response.content.decode()
    assert Drill.objects.filter(environment=env).count() == 1


def test_drill_page_shows_steps_leftovers_and_the_live_log(client, env, requester):
    drill = make_drill(
        env,
        status="failed",
        cleanup_ok=False,
        leftovers=["dynamodb-table:us-east-1:orders-drill-1a2b3c4d"],
        result={
            "steps": [
                {
                    "name": "check preconditions",
                    "outcome": "passed",
                    "duration_s": 0.25,
                    "message": "",
                    "evidence": {"sha256": "abc123"},
                }
            ]
        },
    )
    DrillResource.objects.create(
        drill=drill, resource_id="dynamodb-table:us-east-1:orders-drill-1a2b3c4d", state="leftover"
    )
    client.force_login(requester)
    html = client.get(reverse("dr:drill", args=[drill.pk])).content.decode()
    assert "check preconditions" in html and "abc123" in html and "0.25 s" in html
    assert 'data-testid="leftovers"' in html and "orders-drill-1a2b3c4d" in html
    assert 'id="run-log"' in html and 'id="run-status"' in html


def _estate(env_count, sandbox, team):
    for i in range(env_count):
        environment = EnvironmentFactory(
            team=team, owner=team.memberships.first().user, blueprint_version=sandbox, name=f"e{i:03d}"
        )
        for j in range(3):
            make_drill(environment, status="failed" if (i + j) % 4 == 0 else "passed", days_ago=j)


def test_estate_page_orders_overdue_then_failing_and_filters(client, sandbox, team, approver, platform_admin):
    ok = EnvironmentFactory(team=team, owner=approver, blueprint_version=sandbox, name="aa-ok", tier="prod")
    make_drill(ok)
    failing = EnvironmentFactory(team=team, owner=approver, blueprint_version=sandbox, name="bb-failing")
    make_drill(failing, status="failed")
    overdue = EnvironmentFactory(team=team, owner=approver, blueprint_version=sandbox, name="cc-overdue")
    make_drill(overdue)
    DrillSchedule.objects.filter(environment=overdue).update(overdue_at=timezone.now() - timedelta(days=1))
    hidden = EnvironmentFactory(blueprint_version=sandbox, name="dd-other-team")

    client.force_login(approver)
    html = client.get(reverse("dr:estate")).content.decode()
    order = [html.index(f">{name}<") for name in ("cc-overdue", "bb-failing", "aa-ok")]
    assert order == sorted(order)
    assert "dd-other-team" not in html  # an approver sees their teams' environments
    html = client.get(reverse("dr:estate"), {"dr": "failing"}).content.decode()
    assert "bb-failing" in html and "aa-ok" not in html
    html = client.get(reverse("dr:estate"), {"tier": "prod"}).content.decode()
    assert "aa-ok" in html and "bb-failing" not in html

    response = client.get(reverse("dr:estate-csv"), {"dr": "overdue"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["environment"], r["overdue"], r["last_status"]) for r in rows] == [
        ("cc-overdue", "yes", "passed")
    ]
    client.force_login(platform_admin)
    assert hidden.name in client.get(reverse("dr:estate")).content.decode()


def test_estate_page_query_count_is_constant(client, sandbox, team, approver, django_assert_max_num_queries):
    client.force_login(approver)
    _estate(2, sandbox, team)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("dr:estate")).status_code == 200
    _estate_more = [
        EnvironmentFactory(team=team, owner=approver, blueprint_version=sandbox, name=f"m{i:02d}")
        for i in range(20)
    ]
    for environment in _estate_more:
        for j in range(3):
            make_drill(environment, days_ago=j)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("dr:estate")).status_code == 200
    assert 5 <= len(few) <= 12, [q["sql"] for q in few.captured_queries]
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    with CaptureQueriesContext(connection) as csv_few:
        b"".join(client.get(reverse("dr:estate-csv")).streaming_content)
    assert len(csv_few) <= len(few) + 1


def test_a_destroyed_environment_shows_its_drills_but_no_schedule(client, env, platform_admin):
    """The scheduler drills only active environments, so a destroyed one shows no next due date and
    no schedule form, only its past drills."""
    make_drill(env)
    env.status = "destroyed"
    env.save(update_fields=["status"])
    client.force_login(platform_admin)
    html = client.get(reverse("environments:detail", args=[env.pk])).content.decode()
    assert "No more drills: the environment is destroyed." in html
    assert "next due" not in html and reverse("dr:schedule", args=[env.pk]) not in html
    assert 'data-testid="dr-chart"' in html  # the history stays
