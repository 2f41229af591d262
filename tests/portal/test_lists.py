"""The list pages share one way of filtering (a FilterSet per app), paginating (`per_page`) and
rendering (list.html). Each list keeps the scoping of its selector; bad filter values are reported
and ignored, never a 500; the query count of every list is the same at 1 row and at 50."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.audit.filtersets import AuditEventFilterSet
from portal.audit.services import audit_record
from portal.catalog.models import BlueprintVersion, MachineImage
from portal.core.crypto import encrypt_json
from portal.core.lists import per_page
from portal.environments.models import Environment, EnvironmentEstimate, EnvironmentStatus
from portal.requests.models import EnvironmentRequest, RequestState
from portal.runs.models import Run, RunKind, RunPlanData, RunStatus
from tests.factories import (
    PLAN_JSON,
    BlueprintVersionFactory,
    EnvironmentFactory,
    PlanRunFactory,
    RunFactory,
    UserFactory,
)

BLOBS = (
    '."source_files"',
    '."plan_json"',
    '."plan_file"',
    '."cost_estimate"',
    '."estimate"',
    '."plan_estimate"',
)
ROW = "<tr><td>"  # every list row starts so; the header row has <th> and the empty row a colspan


def rows(response) -> int:
    assert response.status_code == 200, response.status_code
    return response.content.decode().count(ROW)


@pytest.fixture
def version(db) -> BlueprintVersion:
    return BlueprintVersionFactory()


@dataclass
class Maker:
    """How to add n rows to one list page, and who looks at it."""

    viewer: str
    add: Callable[[dict[str, Any], int, int], None]


def _environments(ctx: dict[str, Any], start: int, n: int) -> None:
    password = encrypt_json("state-pw")
    Environment.objects.bulk_create(
        Environment(
            team=ctx["team"],
            owner=ctx["requester"] if i % 2 else ctx["approver"],
            name=f"env-{i:03d}",
            blueprint_version=ctx["version"],
            tier=("dev", "staging", "prod")[i % 3],
            status=EnvironmentStatus.ACTIVE if i % 2 else EnvironmentStatus.FAILED,
            state_password=password,
        )
        for i in range(start, start + n)
    )


def _requests(ctx: dict[str, Any], start: int, n: int, **fields: Any) -> None:
    EnvironmentRequest.objects.bulk_create(
        EnvironmentRequest(
            team=ctx["team"],
            requester=ctx["requester"],
            blueprint_version=ctx["version"],
            environment_name=f"req-{i:03d}",
            tier="dev",
            **fields,
        )
        for i in range(start, start + n)
    )


def _waiting(ctx: dict[str, Any], start: int, n: int) -> None:
    _requests(
        ctx,
        start,
        n,
        state=RequestState.AWAITING_APPROVAL,
        awaiting_since=timezone.now(),
        monthly_cost_usd=12,
    )


def _runs(ctx: dict[str, Any], start: int, n: int) -> None:
    if not Environment.objects.filter(name="run-env").exists():
        _environments(ctx, 901, 1)  # an active one
        Environment.objects.filter(name="env-901").update(name="run-env")
    environment = Environment.objects.get(name="run-env")
    Run.objects.bulk_create(
        Run(
            kind=RunKind.DRIFT if i % 2 else RunKind.PLAN,
            status=RunStatus.SUCCEEDED,
            environment=environment if i % 3 else None,
            created_by=ctx["requester"],
            worker_host="w1",
        )
        for i in range(start, start + n)
    )


def _images(ctx: dict[str, Any], start: int, n: int) -> None:
    for i in range(start, start + n):
        run = Run.objects.create(
            kind=RunKind.IMAGE_BUILD, image_source=ctx["version"], status=RunStatus.SUCCEEDED
        )
        MachineImage.objects.create(
            blueprint_version=ctx["version"], run=run, artifacts=[{"region": "", "image_id": f"img-{i}"}]
        )


def _audit(ctx: dict[str, Any], start: int, n: int) -> None:
    # Through the one writer: events are hash-chained, so rows cannot be bulk-inserted.
    users = {name: UserFactory(username=name) for name in ("alice", "bob")}
    with transaction.atomic():
        for i in range(start, start + n):
            audit_record(
                actor=users["alice" if i % 2 else "bob"],
                action="thing.done" if i % 2 else "thing.undone",
                summary=f"event {i}",
            )


PAGES = {
    "environments:list": Maker("requester", _environments),
    "requests:list": Maker("requester", _requests),
    "requests:queue": Maker("approver", _waiting),
    "runs:list": Maker("requester", _runs),
    "runs:images": Maker("requester", _images),
    "audit:list": Maker("platform_admin", _audit),
}


# Measured: session, user, the header's memberships and admin check, the count, the page's keys,
# then its rows (portal.core.lists._rows); plus the audit page's list of actions. The queue reads
# the memberships once for its filter and the header, and counts itself once (its summary's count
# is the pager's too, unless a filter narrows it).
MAX_QUERIES = {
    "environments:list": 7,
    "requests:list": 7,
    "requests:queue": 6,
    "runs:list": 7,
    "runs:images": 6,
    "audit:list": 8,
}


@pytest.fixture
def ctx(version, team, requester, approver, platform_admin, outsider) -> dict[str, Any]:
    return {
        "version": version,
        "team": team,
        "requester": requester,
        "approver": approver,
        "platform_admin": platform_admin,
        "outsider": outsider,
    }


@pytest.mark.parametrize("page", PAGES)
def test_query_count_is_the_same_at_1_and_at_50_rows(client, ctx, page):
    maker = PAGES[page]
    client.force_login(ctx[maker.viewer])
    url = reverse(page)
    maker.add(ctx, 0, 1)
    with CaptureQueriesContext(connection) as one:
        assert rows(client.get(url)) == 1
    maker.add(ctx, 1, 49)
    with CaptureQueriesContext(connection) as fifty:
        assert rows(client.get(url)) == 50
    assert len(fifty) == len(one), [q["sql"] for q in fifty.captured_queries]
    assert len(one) <= MAX_QUERIES[page], [q["sql"] for q in one.captured_queries]
    loaded = [blob for q in fifty.captured_queries for blob in BLOBS if blob in q["sql"]]
    assert loaded == [], "a list loads a large column it never shows"


@pytest.mark.parametrize(
    ("asked", "shown"),
    [("10", 10), ("25", 25), ("50", 50), ("100", 100), ("101", 100), ("5000", 100)]
    + [(junk, 50) for junk in ("", "abc", "0", "-10", "30", "1e3", "10.5")],
)
def test_per_page_takes_the_allowed_sizes_caps_at_100_and_ignores_junk(client, ctx, asked, shown):
    _audit(ctx, 0, 120)
    client.force_login(ctx["platform_admin"])
    response = client.get(reverse("audit:list"), {"per_page": asked})
    assert rows(response) == shown
    html = response.content.decode()
    assert f'<option value="{shown}" selected>' in html
    assert per_page(asked) == shown


def _follow(client, url: str, params: dict[str, str], rel: str = "next") -> tuple[str, list[str]]:
    """Every page from `url` on, following the rel=next (or prev) links: (last page's HTML, the
    first cell of each row of every page, in order)."""
    html = client.get(url, params).content.decode()
    cells = re.findall(r"<tr><td>(.*?)</td>", html)
    while found := re.search(rf'<a href="(\?[^"]*)" rel="{rel}"', html):
        html = client.get(url + unescape(found.group(1))).content.decode()
        cells += re.findall(r"<tr><td>(.*?)</td>", html)
    return html, cells


def test_pagination_links_keep_the_filters_and_the_page_size(client, ctx):
    _audit(ctx, 0, 60)
    client.force_login(ctx["platform_admin"])
    html = client.get(reverse("audit:list"), {"actor": "alice", "per_page": "10"}).content.decode()
    assert "Page 1 of 3 · 30 rows" in html
    assert re.search(r'href="\?actor=alice&amp;per_page=10&amp;cursor=[\w-]+" rel="next"', html)
    last, cells = _follow(client, reverse("audit:list"), {"actor": "alice", "per_page": "10"})
    assert "Page 3 of 3" in last and 'rel="next"' not in last and len(cells) == 30
    for junk in (
        "zzz",
        "999",
        "-1",
        "bmV4dA",
        "WyJuZXh0IiwgMiwgWyJub3QgYSBkYXRlIiwgMV1d",
    ):  # a bad cursor: page 1
        response = client.get(reverse("audit:list"), {"page": junk, "cursor": junk})
        assert response.status_code == 200 and "Page 1 of" in response.content.decode()
    # Lists that page by number keep `page` links.
    _environments(ctx, 0, 30)
    client.force_login(ctx["requester"])
    html = client.get(reverse("environments:list"), {"per_page": "10"}).content.decode()
    assert 'href="?per_page=10&amp;page=2" rel="next"' in html


def _same_time_runs(ctx: dict[str, Any], n: int) -> list[int]:
    """n runs in groups of three sharing a created_at, as runs queued in one transaction do."""
    _runs(ctx, 0, n)
    ids = list(Run.objects.order_by("pk").values_list("pk", flat=True))
    start = timezone.now()
    for i, pk in enumerate(ids):
        Run.objects.filter(pk=pk).update(created_at=start - timedelta(seconds=i // 3))
    return ids


@pytest.mark.parametrize("size", ["10", "25"])
def test_keyset_pages_skip_and_repeat_no_row_with_equal_timestamps(client, ctx, size):
    ids = _same_time_runs(ctx, 67)
    client.force_login(ctx["platform_admin"])
    _, cells = _follow(client, reverse("runs:list"), {"per_page": size})
    shown = [int(re.search(r">(\d+)<", cell).group(1)) for cell in cells]
    expected = [
        pk
        for pk, _ in sorted(
            Run.objects.values_list("pk", "created_at"), key=lambda r: (r[1], r[0]), reverse=True
        )
    ]
    assert shown == expected and sorted(shown) == sorted(ids)  # newest first, ties by id, each once


def test_keyset_pages_going_back_show_the_same_rows(client, ctx):
    _same_time_runs(ctx, 35)
    client.force_login(ctx["platform_admin"])
    url = reverse("runs:list")
    pages = []
    html = client.get(url, {"per_page": "10"}).content.decode()
    pages.append(re.findall(r"<tr><td>(.*?)</td>", html))
    while found := re.search(r'<a href="(\?[^"]*)" rel="next"', html):
        html = client.get(url + unescape(found.group(1))).content.decode()
        pages.append(re.findall(r"<tr><td>(.*?)</td>", html))
    assert [len(page) for page in pages] == [10, 10, 10, 5]
    for expected in reversed(pages[:-1]):
        found = re.search(r'<a href="(\?[^"]*)" rel="prev"', html)
        html = client.get(url + unescape(found.group(1))).content.decode()
        assert re.findall(r"<tr><td>(.*?)</td>", html) == expected
    assert 'rel="prev"' not in html and "Page 1 of 4" in html


def test_keyset_pages_skip_no_row_when_rows_are_added_meanwhile(client, ctx):
    """Offset pages shift when new rows arrive (a row is shown twice); keyset pages do not."""
    _audit(ctx, 0, 30)
    client.force_login(ctx["platform_admin"])
    url = reverse("audit:list")
    first = client.get(url, {"per_page": "10"}).content.decode()
    _audit(ctx, 100, 5)  # newer events arrive while the user reads page 1
    found = re.search(r'<a href="(\?[^"]*)" rel="next"', first)
    second = client.get(url + unescape(found.group(1))).content.decode()
    seen = re.findall(r"<td>(event \d+)</td>", first) + re.findall(r"<td>(event \d+)</td>", second)
    assert len(seen) == len(set(seen)) == 20


def test_list_queries_never_touch_the_blob_tables(client, ctx):
    """Estimates, plan files and plan JSON live in one-to-one tables that no list joins."""
    _environments(ctx, 0, 3)
    _waiting(ctx, 0, 3)
    _runs(ctx, 0, 3)
    blob_tables = (
        "environmentestimate",
        "requestestimates",
        "runplandata",
        'blueprintversion"."source_files',
    )
    for user, page in [
        ("requester", "environments:list"),
        ("requester", "requests:list"),
        ("requester", "runs:list"),
        ("approver", "requests:queue"),
        ("requester", "runs:images"),
    ]:
        client.force_login(ctx[user])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(page)).status_code == 200
        touched = [q["sql"] for q in queries.captured_queries if any(t in q["sql"] for t in blob_tables)]
        assert touched == [], page


def test_blobs_are_read_from_their_tables_on_detail_pages(client, ctx, sandbox):
    environment = EnvironmentFactory(team=ctx["team"], blueprint_version=sandbox)
    run = PlanRunFactory(environment=environment, plan_file="encrypted")
    assert RunPlanData.objects.get(run=run).plan_json == PLAN_JSON
    fresh = Run.objects.get(pk=run.pk)
    assert fresh.plan_json == PLAN_JSON and fresh.plan_file == "encrypted"
    assert Run.objects.get(pk=RunFactory().pk).plan_json is None  # a run with no plan data

    EnvironmentEstimate.objects.create(
        environment=environment, cost_estimate={"price_catalog_version": "v-test"}
    )
    client.force_login(ctx["requester"])
    assert "v-test" in client.get(reverse("environments:detail", args=[environment.pk])).content.decode()


def test_filters_narrow_each_list(client, ctx):
    _environments(ctx, 0, 6)
    _requests(ctx, 0, 3)
    _waiting(ctx, 10, 2)
    EnvironmentRequest.objects.filter(environment_name="req-010").update(over_budget=True)
    _runs(ctx, 0, 6)
    _audit(ctx, 0, 6)
    client.force_login(ctx["requester"])
    assert rows(client.get(reverse("environments:list"), {"status": "failed"})) == 3
    assert rows(client.get(reverse("environments:list"), {"tier": "prod", "name": "env-00"})) == 2
    assert rows(client.get(reverse("requests:list"), {"state": "awaiting_approval"})) == 2
    assert rows(client.get(reverse("runs:list"), {"kind": "drift"})) == 3
    assert rows(client.get(reverse("runs:list"), {"kind": "plan", "status": "failed"})) == 0
    client.force_login(ctx["approver"])
    queue = client.get(reverse("requests:queue"), {"over_budget": "yes"})
    assert rows(queue) == 1
    assert "2</strong> requests wait for your decision" in queue.content.decode()  # counts the whole queue
    assert "· 1 row</span>" in queue.content.decode()  # while the pager counts what the filter kept
    assert "· 2 rows</span>" in client.get(reverse("requests:queue"), {"per_page": "10"}).content.decode()
    client.force_login(ctx["platform_admin"])
    assert rows(client.get(reverse("audit:list"), {"action": "thing.done"})) == 3
    assert rows(client.get(reverse("audit:list"), {"actor": "bob", "q": "event 4"})) == 1


@pytest.mark.parametrize(
    ("page", "params", "ignored"),
    [
        ("environments:list", {"status": "bogus", "tier": "dev"}, "Status"),
        ("requests:list", {"state": "nope"}, "State"),
        ("runs:list", {"kind": "<script>", "status": "succeeded"}, "Kind"),
        ("requests:queue", {"tier": "moon", "over_budget": "maybe"}, "Tier"),
        ("audit:list", {"action": "no.such.action"}, "Action"),
    ],
)
def test_a_bad_filter_value_is_reported_and_ignored(client, ctx, page, params, ignored):
    maker = PAGES[page]
    maker.add(ctx, 0, 3)
    client.force_login(ctx[maker.viewer])
    unfiltered = rows(client.get(reverse(page)))
    response = client.get(reverse(page), params)
    html = response.content.decode()
    assert 'data-testid="filter-errors"' in html and f"{ignored}: " in html and "was ignored" in html
    assert "<script>" not in html
    valid = {key: value for key, value in params.items() if key.lower() != ignored.lower()}
    expected = rows(client.get(reverse(page), valid)) if valid else unfiltered
    assert rows(response) == expected


def test_lists_keep_their_scoping(client, ctx):
    """Filters narrow what the selector gives; they never widen it to another team's rows."""
    _environments(ctx, 0, 2)
    _requests(ctx, 0, 2)
    _waiting(ctx, 5, 2)
    client.force_login(ctx["outsider"])
    for page in ("environments:list", "requests:list", "requests:queue"):
        assert rows(client.get(reverse(page), {"per_page": "100"})) == 0, page
    client.force_login(ctx["requester"])  # sees the team's requests, but decides none of its own
    assert rows(client.get(reverse("requests:queue"))) == 0
    assert rows(client.get(reverse("requests:list"))) == 4


def test_a_nul_character_in_a_text_filter_is_refused_before_the_database(client, ctx):
    """PostgreSQL refuses NUL in a string literal. ControlCharacterMiddleware refuses any query
    string holding one with a 400 that names the parameter, before a FilterSet (or any other code
    reading request.GET) sees it; the FilterSet's own NUL check stays as a second line."""
    _audit(ctx, 0, 3)
    client.force_login(ctx["platform_admin"])
    response = client.get(reverse("audit:list"), {"q": "event\x00", "actor": "bob"})
    assert response.status_code == 400
    assert "<code>q</code> was refused" in response.content.decode()
    filterset = AuditEventFilterSet({"q": "event\x00", "actor": "bob"})
    assert not filterset.is_valid() and "q" in filterset.errors
    assert filterset.qs.count() == 2  # the bad filter is ignored, the others applied
