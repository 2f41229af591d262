"""Generic view tests, NetBox style: every user-facing page and action is checked as an anonymous
user, as a signed-in user without permission and as a user with it. Recorded query counts on the
list pages catch N+1 queries; one test drives htmx's CSRF header with Django's checks enforced."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver, resolve, reverse

from portal.api.models import PersonalAccessToken
from portal.api.services import token_create
from portal.audit.models import AuditEvent
from portal.catalog.models import Blueprint, BlueprintVersion, MachineImage
from portal.dr.models import Drill, DrillSchedule
from portal.environments.models import Environment, StateLock, StateVersion
from portal.requests.models import EnvironmentRequest, RequestState, UpgradeBatch
from portal.runs.models import Run, RunKind, RunLogLine, RunStatus
from tests.factories import (
    STATE,
    BlueprintFactory,
    BlueprintVersionFactory,
    EnvironmentFactory,
    EnvironmentRequestFactory,
    RunFactory,
    StateVersionFactory,
    UserFactory,
)
from tests.portal.api.matrix import API_CASES, API_PUBLIC


@dataclass
class World:
    """The objects every page needs, all owned by `team` (the requester's and approver's team)."""

    users: dict[str, Any]
    sandbox: BlueprintVersion
    environment: Environment
    env_request: EnvironmentRequest
    run: Run
    image_run: Run
    image: MachineImage
    state_version: StateVersion
    drill: Drill
    token: PersonalAccessToken


@pytest.fixture
def world(sandbox, team, requester, approver, outsider, platform_admin) -> World:
    environment = EnvironmentFactory(team=team, owner=requester, blueprint_version=sandbox, name="shop-dev")
    env_request = EnvironmentRequestFactory(
        team=team, requester=requester, blueprint_version=sandbox, environment_name="shop-next"
    )
    run = RunFactory(environment=environment, created_by=requester, log_lines_count=2)
    RunLogLine.objects.bulk_create(
        RunLogLine(run=run, seq=seq, stream="stdout", level="info", message=f"line {seq}") for seq in (1, 2)
    )
    state_version = StateVersionFactory(environment=environment, body=STATE)
    image_run = RunFactory(
        kind=RunKind.IMAGE_BUILD, environment=None, image_source=sandbox, created_by=platform_admin
    )
    image = MachineImage.objects.create(
        blueprint_version=sandbox, run=image_run, artifacts=[{"region": "", "image_id": "sbx-img-1"}]
    )
    # The Django admin lets platform admins in by their role (no is_staff/is_superuser flags).
    users = {
        "requester": requester,
        "approver": approver,
        "outsider": outsider,
        "platform_admin": platform_admin,
        "loner": UserFactory(username="loner"),  # signed in, but in no team
    }
    drill_run = RunFactory(kind=RunKind.DRILL, environment=environment, created_by=platform_admin)
    drill = Drill.objects.create(
        run=drill_run,
        environment=environment,
        runbook="state-restore",
        status="passed",
        rto_target_s=300,
        rpo_target_s=0,
        rto_achieved_s=2.5,
        rpo_api_s=0,
        cleanup_ok=True,
        finished_at=drill_run.finished_at,
    )
    token, _ = token_create(user=requester, name="laptop", expires_at=None)
    return World(users, sandbox, environment, env_request, run, image_run, image, state_version, drill, token)


@dataclass(frozen=True)
class Case:
    """One view: how to call it, who may (and the answer they get), who may not (and the refusal)."""

    method: str
    url: Callable[[World], str]
    allowed: str
    ok: int
    denied: str | None = None
    refused: int | None = None
    data: Callable[[World], dict[str, Any]] = lambda w: {}
    login: str = "login"  # the URL name of the login page an anonymous user is sent to


def _batch(w: World) -> UpgradeBatch:
    return UpgradeBatch.objects.get_or_create(target_version=w.sandbox, created_by=w.users["platform_admin"])[
        0
    ]


CASES = {
    "home": Case("get", lambda w: reverse("home"), "outsider", 200),
    "catalog-list": Case("get", lambda w: reverse("catalog:list"), "loner", 200),
    "catalog-detail": Case("get", lambda w: reverse("catalog:detail", args=["local-sandbox"]), "loner", 200),
    "catalog-diagram": Case(
        "get", lambda w: reverse("catalog:diagram", args=["local-sandbox", w.sandbox.version]), "loner", 200
    ),
    "catalog-compare": Case(
        "get", lambda w: reverse("catalog:compare", args=["local-sandbox"]), "loner", 200
    ),
    "catalog-request-form": Case(
        "get", lambda w: reverse("catalog:request", args=["local-sandbox"]), "requester", 200, "loner", 403
    ),
    "catalog-request-post": Case(
        "post",
        lambda w: reverse("catalog:request", args=["local-sandbox"]),
        "requester",
        302,
        "loner",
        403,
        data=lambda w: {"team": w.environment.team_id, "name": "brand-new", "tier": "dev"},
    ),
    "catalog-request-validate": Case(
        "post",
        lambda w: reverse("catalog:request-validate", args=["local-sandbox"]),
        "requester",
        200,
        "loner",
        403,
        data=lambda w: {"team": w.environment.team_id, "name": "brand-new", "tier": "dev"},
    ),
    "request-list": Case("get", lambda w: reverse("requests:list"), "outsider", 200),
    # Everyone has an approval queue; it lists only what the user may decide (tests/portal/requests).
    "approval-queue": Case("get", lambda w: reverse("requests:queue"), "outsider", 200),
    "request-detail": Case(
        "get", lambda w: reverse("requests:detail", args=[w.env_request.pk]), "approver", 200, "outsider", 404
    ),
    "request-submit": Case(
        "post",
        lambda w: reverse("requests:submit", args=[w.env_request.pk]),
        "requester",
        302,
        "outsider",
        404,
    ),
    # The steps below answer a request in the wrong state with a message on its page (302); the
    # service tests cover the steps themselves. Here: who reaches the step at all.
    "request-replan": Case(
        "post",
        lambda w: reverse("requests:replan", args=[w.env_request.pk]),
        "requester",
        302,
        "outsider",
        404,
    ),
    "request-cancel": Case(
        "post",
        lambda w: reverse("requests:cancel", args=[w.env_request.pk]),
        "requester",
        302,
        "outsider",
        404,
    ),
    "request-decide": Case(
        "post",
        lambda w: reverse("requests:decide", args=[w.env_request.pk]),
        "approver",
        302,
        "outsider",
        404,
        data=lambda w: {"decision": "approve", "comment": "ok"},
    ),
    "environment-destroy-confirm": Case(
        "get",
        lambda w: reverse("requests:destroy", args=[w.environment.pk]),
        "requester",
        200,
        "outsider",
        404,
    ),
    "environment-destroy": Case(
        "post",
        lambda w: reverse("requests:destroy", args=[w.environment.pk]),
        "requester",
        302,
        "outsider",
        404,
        data=lambda w: {"confirm_name": w.environment.name, "reason": "done with it"},
    ),
    "environment-list": Case("get", lambda w: reverse("environments:list"), "outsider", 200),
    # The CSV exports are scoped like their lists (tests/portal/test_csv_export.py).
    "environment-export": Case("get", lambda w: reverse("environments:export"), "outsider", 200),
    "request-export": Case("get", lambda w: reverse("requests:export"), "outsider", 200),
    "run-export": Case("get", lambda w: reverse("runs:export"), "outsider", 200),
    "environment-detail": Case(
        "get",
        lambda w: reverse("environments:detail", args=[w.environment.pk]),
        "approver",
        200,
        "outsider",
        404,
    ),
    "environment-drift-check": Case(
        "post",
        lambda w: reverse("environments:drift-check", args=[w.environment.pk]),
        "requester",
        302,
        "outsider",
        404,
    ),
    "environment-force-unlock": Case(
        "post",
        lambda w: reverse("environments:force-unlock", args=[w.environment.pk]),
        "platform_admin",
        302,
        "requester",
        403,
    ),
    "state-download": Case(
        "get",
        lambda w: reverse("environments:state-download", args=[w.environment.pk, w.state_version.pk]),
        "platform_admin",
        200,
        "requester",
        403,
    ),
    "environment-evidence": Case(
        "get",
        lambda w: reverse("environments:evidence", args=[w.environment.pk]),
        "requester",
        200,
        "outsider",
        404,
    ),
    "upgrade-index": Case(
        "get", lambda w: reverse("requests:upgrades"), "platform_admin", 200, "requester", 403
    ),
    "upgrade-new": Case(
        "get",
        lambda w: reverse("requests:upgrade-new", args=[w.sandbox.pk]),
        "platform_admin",
        200,
        "requester",
        403,
    ),
    "upgrade-batch": Case(
        "get",
        lambda w: reverse("requests:upgrade-batch", args=[_batch(w).pk]),
        "platform_admin",
        200,
        "requester",
        403,
    ),
    "run-list": Case("get", lambda w: reverse("runs:list"), "outsider", 200),
    "run-detail": Case(
        "get", lambda w: reverse("runs:detail", args=[w.run.pk]), "approver", 200, "outsider", 404
    ),
    "run-log": Case(
        "get",
        lambda w: reverse("runs:log", args=[w.run.pk]) + "?after=2",
        "requester",
        286,  # the run is finished and every line was sent: htmx stops polling
        "outsider",
        404,
    ),
    "run-log-download": Case(
        "get", lambda w: reverse("runs:log-download", args=[w.run.pk]), "requester", 200, "outsider", 404
    ),
    "run-cancel": Case(
        "post", lambda w: reverse("runs:cancel", args=[w.run.pk]), "approver", 302, "outsider", 404
    ),
    # An image build has no environment: everyone sees it, only a platform admin may cancel it.
    "image-run-cancel": Case(
        "post",
        lambda w: reverse("runs:cancel", args=[w.image_run.pk]),
        "platform_admin",
        302,
        "requester",
        403,
    ),
    "image-list": Case("get", lambda w: reverse("runs:images"), "outsider", 200),
    "image-detail": Case("get", lambda w: reverse("runs:image", args=[w.image.pk]), "outsider", 200),
    "image-build": Case(
        "post",
        lambda w: reverse("runs:image-build", args=[w.sandbox.pk]),
        "platform_admin",
        302,
        "requester",
        403,
    ),
    "audit-list": Case("get", lambda w: reverse("audit:list"), "platform_admin", 200, "requester", 403),
    # DR drills: the estate page and its export for approvers and admins; a drill of the team's
    # environment for its members; starting a drill and changing the schedule for the team's
    # approvers and platform admins (tests/portal/dr/test_dr_pages.py tries each role).
    "dr-estate": Case("get", lambda w: reverse("dr:estate"), "approver", 200, "requester", 403),
    "dr-estate-csv": Case("get", lambda w: reverse("dr:estate-csv"), "approver", 200, "requester", 403),
    "dr-drill": Case(
        "get", lambda w: reverse("dr:drill", args=[w.drill.pk]), "requester", 200, "outsider", 404
    ),
    "dr-start": Case(
        "post", lambda w: reverse("dr:start", args=[w.environment.pk]), "approver", 302, "requester", 403
    ),
    "dr-schedule": Case(
        "post",
        lambda w: reverse("dr:schedule", args=[w.environment.pk]),
        "approver",
        302,
        "requester",
        403,
        data=lambda w: {"frequency": "weekly"},
    ),
    "toolchain": Case("get", lambda w: reverse("toolchain"), "platform_admin", 200, "requester", 403),
    "toolchain-configure": Case("get", lambda w: reverse("toolchain-configure"), "loner", 200),
    "audit-export": Case("get", lambda w: reverse("audit:export"), "platform_admin", 200, "requester", 403),
    "policy-list": Case("get", lambda w: reverse("policies:list"), "platform_admin", 200, "approver", 403),
    "policy-test": Case("get", lambda w: reverse("policies:test"), "platform_admin", 200, "approver", 403),
    # Personal access tokens: each user sees and revokes only their own (tests/portal/api/test_tokens.py).
    "profile-tokens": Case("get", lambda w: reverse("profile:tokens"), "loner", 200),
    "profile-token-create": Case(
        "post",
        lambda w: reverse("profile:tokens"),
        "loner",
        200,
        data=lambda w: {"name": "ci", "expires_in_days": "30"},
    ),
    "profile-token-revoke": Case(
        "post",
        lambda w: reverse("profile:token-revoke", args=[w.token.pk]),
        "requester",
        302,
        "approver",
        404,
    ),
    # The Django admin checks access itself (AdminSite.has_permission) and has its own login page,
    # which is where it sends both anonymous users and signed-in users it refuses.
    "admin-index": Case(
        "get", lambda w: reverse("admin:index"), "platform_admin", 200, "requester", 302, login="admin:login"
    ),
}

# Pages without the portal's login: their own check, or none. The answer an anonymous caller gets.
PUBLIC = {
    "login": Case("get", lambda w: reverse("login"), "anonymous", 200),
    "logout": Case("post", lambda w: reverse("logout"), "anonymous", 302),
    # Single sign-on's start and the provider's redirect back: 404 while SSO is not configured (as
    # here); tests/portal/accounts/test_sso.py runs them against a real provider.
    "oidc_authentication_init": Case("get", lambda w: reverse("oidc_authentication_init"), "anonymous", 404),
    "oidc_authentication_callback": Case(
        "get", lambda w: reverse("oidc_authentication_callback"), "anonymous", 404
    ),
    # Redis is pointed at a closed port below, so the health check reports failure; it answers all the same.
    "healthz": Case("get", lambda w: reverse("healthz"), "anonymous", 503),
    # Terraform's state backend takes the environment's own basic-auth credentials, never a session;
    # tests/portal/environments/test_state_backend.py tries them right and wrong.
    "terraform-state": Case(
        "get", lambda w: reverse("terraform-state", args=[w.environment.pk]), "anonymous", 401
    ),
}
DENIABLE = {name: case for name, case in CASES.items() if case.denied}


def call(client: Client, case: Case, world: World):
    return getattr(client, case.method)(case.url(world), case.data(world))


def side_effects() -> tuple[int, ...]:
    """Counts of what the actions write; a refused call must leave them all alone."""
    return (
        AuditEvent.objects.count(),
        Run.objects.count(),
        Environment.objects.count(),
        EnvironmentRequest.objects.count(),
        StateLock.objects.count(),
        Run.objects.filter(status=RunStatus.CANCELLED).count(),
        Drill.objects.count(),
        DrillSchedule.objects.count(),
    )


@pytest.mark.parametrize("name", CASES)
def test_anonymous_is_sent_to_the_login_page(client, world, name):
    case = CASES[name]
    before = side_effects()
    response = call(client, case, world)
    assert response.status_code == 302, name
    assert response["Location"].startswith(reverse(case.login) + "?next="), response["Location"]
    assert side_effects() == before


@pytest.mark.parametrize("name", PUBLIC)
def test_public_pages_answer_anonymous_users(client, world, name, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    case = PUBLIC[name]
    before = side_effects()
    response = call(client, case, world)
    assert response.status_code == case.ok, name
    assert side_effects() == before


def url_pattern_names(patterns: list[Any], namespace: str = "") -> set[str]:
    """Every URL pattern under `patterns`, as `namespace:name` (the view's path when unnamed)."""
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= url_pattern_names(pattern.url_patterns, inner)
        else:
            names.add(namespace + (pattern.name or pattern.lookup_str))
    return names


def test_every_url_pattern_is_in_the_matrix(world):
    """A new URL fails here until it has a case above (or in PUBLIC)."""
    patterns = url_pattern_names(get_resolver().url_patterns)
    # Django's admin makes a URL for each registered model and action (changelist, add, change,
    # delete, history, autocomplete...). All of them pass through the one AdminSite.admin_view
    # check that the admin-index case exercises, so the matrix checks the index only.
    patterns = {name for name in patterns if not name.startswith("admin:")} | {"admin:index"}
    # The API's endpoints have their own matrix (tests/portal/api/matrix.py), counted here too.
    cases = [*CASES.values(), *PUBLIC.values(), *API_CASES.values(), *API_PUBLIC.values()]
    covered = {resolve(urlsplit(case.url(world)).path).view_name for case in cases}
    assert patterns - covered == set(), "URL patterns missing from the view permission matrix"


@pytest.mark.parametrize("name", DENIABLE)
def test_user_without_permission_is_refused(client, world, name):
    case = DENIABLE[name]
    client.force_login(world.users[case.denied])
    before = side_effects()
    response = call(client, case, world)
    assert response.status_code == case.refused, name
    assert side_effects() == before


@pytest.mark.parametrize("name", CASES)
def test_user_with_permission_is_served(client, world, name):
    case = CASES[name]
    client.force_login(world.users[case.allowed])
    response = call(client, case, world)
    assert response.status_code == case.ok, name
    if case.ok == 302:
        assert not response["Location"].startswith(reverse("login")), response["Location"]


def test_actions_that_start_work_land_on_the_new_run(client, world):
    client.force_login(world.users["requester"])
    response = client.post(reverse("requests:submit", args=[world.env_request.pk]))
    plan = Run.objects.get(request=world.env_request)
    assert response["Location"] == reverse("runs:detail", args=[plan.pk])
    assert (plan.kind, plan.status) == (RunKind.PLAN, RunStatus.QUEUED)
    world.env_request.refresh_from_db()
    assert world.env_request.state == RequestState.PLANNING

    response = client.post(reverse("environments:drift-check", args=[world.environment.pk]))
    drift = Run.objects.get(environment=world.environment, kind=RunKind.DRIFT)
    assert response["Location"] == reverse("runs:detail", args=[drift.pk])
    # A second drift check while the first is queued is refused with a message, not a 500.
    response = client.post(reverse("environments:drift-check", args=[world.environment.pk]), follow=True)
    assert "already has an active run" in response.content.decode()
    assert Run.objects.filter(environment=world.environment, kind=RunKind.DRIFT).count() == 1

    client.force_login(world.users["platform_admin"])
    response = client.post(reverse("runs:image-build", args=[world.sandbox.pk]))
    build = Run.objects.filter(kind=RunKind.IMAGE_BUILD).latest("pk")
    assert response["Location"] == reverse("runs:detail", args=[build.pk])
    assert build.status == RunStatus.QUEUED and build.image_source == world.sandbox


def test_only_the_requester_submits_a_request(client, world):
    client.force_login(world.users["approver"])  # same team, but not the requester
    response = client.post(reverse("requests:submit", args=[world.env_request.pk]), follow=True)
    assert "Only the requester can submit" in response.content.decode()
    world.env_request.refresh_from_db()
    assert world.env_request.state == RequestState.DRAFT
    assert not Run.objects.filter(request=world.env_request).exists()


def test_list_pages_show_only_the_users_teams(client, world):
    links = {
        "requests:list": reverse("requests:detail", args=[world.env_request.pk]),
        "environments:list": reverse("environments:detail", args=[world.environment.pk]),
        "runs:list": reverse("runs:detail", args=[world.run.pk]),
    }
    for who, visible in (("outsider", False), ("requester", True), ("platform_admin", True)):
        client.force_login(world.users[who])
        for page, link in links.items():
            html = client.get(reverse(page)).content.decode()
            assert (f'href="{link}"' in html) is visible, (who, page)
    # Image builds belong to no team, so everyone sees them; the environments using an image are scoped.
    world.environment.image = world.image
    world.environment.save(update_fields=["image"])
    env_link = f'href="{reverse("environments:detail", args=[world.environment.pk])}"'
    client.force_login(world.users["outsider"])
    assert (
        f'href="{reverse("runs:detail", args=[world.image_run.pk])}"'
        in client.get(reverse("runs:list")).content.decode()
    )
    assert env_link not in client.get(reverse("runs:image", args=[world.image.pk])).content.decode()
    client.force_login(world.users["requester"])
    assert env_link in client.get(reverse("runs:image", args=[world.image.pk])).content.decode()


def test_admin_only_links_and_buttons_are_shown_to_admins_only(client, world):
    with transaction.atomic():
        StateLock.objects.create(environment=world.environment, lock_id="l-1", info={"Who": "ci@runner"})
    detail = reverse("environments:detail", args=[world.environment.pk])
    download = reverse("environments:state-download", args=[world.environment.pk, world.state_version.pk])
    unlock = reverse("environments:force-unlock", args=[world.environment.pk])
    client.force_login(world.users["requester"])
    html = client.get(detail).content.decode()
    assert "ci@runner" in html and download not in html and unlock not in html
    assert reverse("audit:list") not in client.get(reverse("home")).content.decode()
    client.force_login(world.users["platform_admin"])
    html = client.get(detail).content.decode()
    assert download in html and unlock in html
    assert reverse("audit:list") in client.get(reverse("home")).content.decode()


def test_state_download_is_audited_and_returns_the_state(client, world):
    client.force_login(world.users["platform_admin"])
    response = client.get(
        reverse("environments:state-download", args=[world.environment.pk, world.state_version.pk])
    )
    assert response.content == STATE
    assert 'filename="shop-dev-serial-1.tfstate"' in response["Content-Disposition"]
    assert AuditEvent.objects.filter(action="state.downloaded", target_id=str(world.environment.pk)).exists()


def hx_csrf_token(html: str) -> str:
    match = re.search(r"<body hx-headers='([^']*)'", html)
    assert match, "the base template puts htmx's CSRF header on <body>"
    return json.loads(match.group(1))["X-CSRFToken"]


def test_csrf_is_enforced_and_htmx_posts_carry_the_token_from_the_body(world):
    queued = Run.objects.create(
        kind=RunKind.DRIFT, environment=world.environment, created_by=world.users["requester"]
    )
    cancel = reverse("runs:cancel", args=[queued.pk])
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.users["requester"])

    assert browser.post(cancel, headers={"HX-Request": "true"}).status_code == 403
    queued.refresh_from_db()
    assert queued.status == RunStatus.QUEUED

    token = hx_csrf_token(browser.get(reverse("runs:detail", args=[queued.pk])).content.decode())
    assert browser.post(cancel, headers={"HX-Request": "true", "X-CSRFToken": "x" * 64}).status_code == 403
    response = browser.post(cancel, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 302
    queued.refresh_from_db()
    assert queued.status == RunStatus.CANCELLED
    # Anonymous POSTs without a token are refused by the CSRF check before the login redirect.
    assert Client(enforce_csrf_checks=True).post(cancel).status_code == 403


# Recorded query counts with 20 rows on each list page (signed in as a requester). Every related
# object on a row is joined, so the numbers do not grow with the rows; an N+1 adds 20 or more.
ROWS = 20
# Measured: 6 on the environment, run and request lists (session, user, admin check, count, the
# header's memberships, the page), 4 on the catalog; one spare each.
MAX_QUERIES = {"environments:list": 7, "runs:list": 7, "requests:list": 7, "catalog:list": 5}


def _rows_environments(world: World) -> None:
    users = [world.users["requester"], world.users["approver"]]
    for i in range(ROWS - 1):
        environment = EnvironmentFactory(
            team=world.environment.team,
            owner=users[i % 2],
            blueprint_version=world.sandbox,
            name=f"env-{i:02d}",
        )
        if i % 3 == 0:
            StateLock.objects.create(environment=environment, lock_id=f"l-{i}", info={"Who": "ci"})


def _rows_runs(world: World) -> None:
    users = [world.users["requester"], world.users["approver"]]
    for i in range(ROWS - 2):
        environment = EnvironmentFactory(
            team=world.environment.team,
            owner=users[i % 2],
            blueprint_version=world.sandbox,
            name=f"run-env-{i:02d}",
        )
        RunFactory(
            kind=RunKind.DRIFT,
            environment=environment,
            finished_at=None,
            created_by=users[i % 2],
            worker_host="w1",
        )


def _rows_requests(world: World) -> None:
    users = [world.users["requester"], world.users["approver"]]
    for i in range(ROWS - 1):
        EnvironmentRequestFactory(
            team=world.environment.team,
            requester=users[i % 2],
            blueprint_version=world.sandbox,
            environment_name=f"req-{i:02d}",
        )


def _rows_catalog(world: World) -> None:
    source = world.sandbox
    for i in range(ROWS - Blueprint.objects.count()):
        blueprint = BlueprintFactory(slug=f"copy-{i:02d}", title=f"Copy {i:02d}", summary="A copy.")
        blueprint.latest_version = BlueprintVersionFactory(
            blueprint=blueprint,
            changes="Copied.",
            metadata=source.metadata,
            source_sha256=source.source_sha256,
        )
        blueprint.save(update_fields=["latest_version"])


ROW_MAKERS = {
    "environments:list": (_rows_environments, Environment),
    "runs:list": (_rows_runs, Run),
    "requests:list": (_rows_requests, EnvironmentRequest),
    "catalog:list": (_rows_catalog, Blueprint),
}


@pytest.mark.parametrize("page", MAX_QUERIES)
def test_list_page_query_count_does_not_grow_with_rows(client, world, page, django_assert_max_num_queries):
    make_rows, model = ROW_MAKERS[page]
    client.force_login(world.users["requester"])
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(page)).status_code == 200
    make_rows(world)
    assert model.objects.count() >= ROWS
    with django_assert_max_num_queries(MAX_QUERIES[page]):
        response = client.get(reverse(page))
    assert response.status_code == 200
    with CaptureQueriesContext(connection) as many:
        client.get(reverse(page))
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
