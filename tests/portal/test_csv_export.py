"""CSV exports of the environment, request and run lists: the list's filters apply, rows are
scoped to what the user may see, the body is streamed, and formula-looking cells are defused."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.core.csv_export import csv_cell
from portal.environments.models import DriftStatus
from portal.runs.models import RunKind, RunStatus
from tests.factories import EnvironmentFactory, EnvironmentRequestFactory, RunFactory, TeamFactory


def rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("shop-dev", "shop-dev"),
        (None, ""),
        (3, "3"),
    ],
)
def test_cells_that_look_like_formulas_are_quoted(value, shown):
    assert csv_cell(value) == shown


def test_environment_export_applies_the_list_filters_and_the_scope(client, sandbox, team, requester):
    EnvironmentFactory(
        team=team, owner=requester, blueprint_version=sandbox, name="drifty", drift_status=DriftStatus.DRIFTED
    )
    EnvironmentFactory(
        team=team, owner=requester, blueprint_version=sandbox, name="calm", drift_status=DriftStatus.IN_SYNC
    )
    EnvironmentFactory(
        team=TeamFactory(), blueprint_version=sandbox, name="theirs", drift_status=DriftStatus.DRIFTED
    )
    client.force_login(requester)
    assert {r["name"] for r in rows(client.get(reverse("environments:export")))} == {"drifty", "calm"}
    drifted = rows(client.get(reverse("environments:export") + "?drift=drifted"))
    assert [r["name"] for r in drifted] == ["drifty"]
    assert drifted[0]["team"] == team.slug and drifted[0]["drift"] == "drifted"
    assert drifted[0]["upgrade_available"] == "no"


def test_request_export_filters_scopes_and_defuses_formulas(client, sandbox, team, requester, approver):
    EnvironmentRequestFactory(
        team=team,
        requester=requester,
        blueprint_version=sandbox,
        environment_name="mine",
        reason="=cmd|' /C calc'!A0",
    )
    EnvironmentRequestFactory(
        team=team, requester=approver, blueprint_version=sandbox, environment_name="theirs"
    )
    EnvironmentRequestFactory(team=TeamFactory(), blueprint_version=sandbox, environment_name="other-team")
    client.force_login(requester)
    everything = rows(client.get(reverse("requests:export")))
    assert {r["environment"] for r in everything} == {"mine", "theirs"}
    mine = rows(client.get(reverse("requests:export") + "?mine=1&state=draft"))
    assert [r["environment"] for r in mine] == ["mine"]
    assert mine[0]["reason"] == "'=cmd|' /C calc'!A0"


def test_run_export_filters_and_scopes(client, sandbox, team, requester):
    own = EnvironmentFactory(team=team, owner=requester, blueprint_version=sandbox, name="own")
    RunFactory(environment=own, kind=RunKind.APPLY, status=RunStatus.FAILED, error="boom\nmore")
    RunFactory(environment=own, kind=RunKind.PLAN, status=RunStatus.SUCCEEDED)
    RunFactory(environment=EnvironmentFactory(team=TeamFactory(), name="far"), status=RunStatus.FAILED)
    client.force_login(requester)
    assert len(rows(client.get(reverse("runs:export")))) == 2
    failed = rows(client.get(reverse("runs:export") + "?status=failed"))
    assert [(r["kind"], r["error"]) for r in failed] == [("apply", "boom")]


def test_each_list_page_links_to_its_export_with_its_filters(client, requester):
    client.force_login(requester)
    for page, export in (
        ("environments:list", "environments:export"),
        ("requests:list", "requests:export"),
        ("runs:list", "runs:export"),
    ):
        html = client.get(reverse(page) + "?status=failed&state=failed&page=2").content.decode()
        assert f'href="{reverse(export)}?status=failed&amp;state=failed"' in html, page


def test_export_queries_do_not_grow_with_rows(client, sandbox, team, requester):
    client.force_login(requester)
    EnvironmentFactory(team=team, owner=requester, blueprint_version=sandbox, name="one")
    RunFactory(environment=EnvironmentFactory(team=team, blueprint_version=sandbox, name="r-0"))
    EnvironmentRequestFactory(team=team, requester=requester, blueprint_version=sandbox)
    exports = ("environments:export", "requests:export", "runs:export")
    few = {}
    for name in exports:
        with CaptureQueriesContext(connection) as queries:
            rows(client.get(reverse(name)))
        few[name] = len(queries)
    for i in range(20):
        environment = EnvironmentFactory(
            team=team, owner=requester, blueprint_version=sandbox, name=f"many-{i}"
        )
        RunFactory(environment=environment)
        EnvironmentRequestFactory(team=team, requester=requester, blueprint_version=sandbox)
    for name in exports:
        with CaptureQueriesContext(connection) as queries:
            assert len(rows(client.get(reverse(name)))) > 20
        assert len(queries) == few[name], name
