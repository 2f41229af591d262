"""In a real headless Chromium: the destroy confirmation (typed name and reason), the request it
submits routed to the platform admins when the team has no other approver, the owner, team and
admins told; and the home page of each role, whose lists open the filtered full pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from portal.environments.models import DriftStatus, Environment, EnvironmentStatus
from portal.requests.models import EnvironmentRequest, RequestKind, RequestState
from portal.runs.models import Run, RunKind, RunStatus
from tests.browser.helpers import signed_in
from tests.factories import EnvironmentRequestFactory, MembershipFactory, PlanRunFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def people(team, requester, platform_admin):
    teammate = MembershipFactory(team=team, role="requester").user
    return {"requester": requester, "platform_admin": platform_admin, "teammate": teammate}


@pytest.fixture
def live_env(make_environment):
    environment = make_environment(name="shop-dev", tier="staging")
    Environment.objects.filter(pk=environment.pk).update(
        status=EnvironmentStatus.ACTIVE,
        monthly_cost_usd=Decimal("8.00"),
        drift_status=DriftStatus.DRIFTED,
        expires_at=timezone.now() + timedelta(days=2),
    )
    return Environment.objects.get(pk=environment.pk)


def test_destroy_asks_for_the_name_and_a_reason_and_tells_everyone(
    browser, live_server, people, live_env, notifications
):
    from portal.requests.services import approval_policies_ensure_defaults

    approval_policies_ensure_defaults()
    tab = signed_in(browser, live_server, people["requester"])
    tab.goto(f"{live_server.url}/environments/{live_env.pk}/")
    tab.click("text=Request destroy")
    tab.wait_for_selector('[data-testid="destroy-confirm"]')
    assert not EnvironmentRequest.objects.filter(kind=RequestKind.DESTROY).exists()  # no one-click destroy

    tab.fill("#id_confirm_name", "shop")
    tab.click("button.danger")
    tab.wait_for_selector("#id_confirm_name_error")
    assert "Type the environment's name, shop-dev" in tab.inner_text("main")
    assert "Say why" in tab.inner_text("#id_reason_error")
    assert not EnvironmentRequest.objects.filter(kind=RequestKind.DESTROY).exists()

    tab.fill("#id_confirm_name", "shop-dev")
    tab.fill("#id_reason", "The project ended")
    tab.click("button.danger")
    tab.wait_for_url("**/requests/*/")
    destroy = EnvironmentRequest.objects.get(kind=RequestKind.DESTROY)
    assert destroy.state == RequestState.PLANNING and destroy.reason == "The project ended"
    main = tab.inner_text("main")
    assert "submitted" in main and "routed to platform admins" in main  # the team has no other approver

    outbox = notifications()
    requested = [m for m in outbox if "destroy requested" in m.subject]
    assert requested and {people["requester"].email, people["teammate"].email} <= set(requested[0].to)
    routed = [m for m in outbox if "needs a platform admin's decision" in m.subject]
    assert routed and people["platform_admin"].email in routed[0].to


@pytest.fixture
def homes(sandbox, team, requester, approver, platform_admin, live_env):
    waiting = EnvironmentRequestFactory(
        team=team,
        requester=requester,
        blueprint_version=sandbox,
        environment_name="orders-dev",
        state=RequestState.AWAITING_APPROVAL,
        awaiting_since=timezone.now(),
    )
    waiting.plan_run = PlanRunFactory(environment=live_env, request=waiting)
    waiting.save(update_fields=["plan_run"])
    EnvironmentRequestFactory(
        team=team,
        requester=requester,
        blueprint_version=sandbox,
        environment_name="broken",
        state=RequestState.FAILED,
    )
    Run.objects.create(
        kind=RunKind.APPLY, environment=live_env, status=RunStatus.FAILED, finished_at=timezone.now()
    )
    return {"requester": requester, "approver": approver, "platform_admin": platform_admin}


def test_each_role_has_a_home_that_says_what_needs_them(browser, live_server, homes):
    tab = signed_in(browser, live_server, homes["approver"])
    sections = tab.locator("main section").evaluate_all("els => els.map(e => e.dataset.testid || '')")
    assert sections[0] == "home-approvals"  # approvals first
    assert "orders-dev" in tab.inner_text('[data-testid="home-approvals"]')
    tab.click('[data-testid="home-approvals"] >> text=All approvals waiting for you')
    tab.wait_for_url("**/requests/approvals/")
    assert "orders-dev" in tab.inner_text("main")

    tab = signed_in(browser, live_server, homes["requester"])
    assert tab.locator('[data-testid="home-approvals"]').count() == 0
    assert "Awaiting approval" in tab.inner_text('[data-testid="home-open-requests"]')
    environments = tab.inner_text('[data-testid="home-environments"]')
    assert "shop-dev" in environments and "$8.00" in environments and "Drifted" in environments
    assert tab.locator('[data-testid="home-environments"] [data-testid="expiring"]').count() == 1
    assert "broken" in tab.inner_text('[data-testid="home-failed"]')
    tab.click("text=Your failed requests")
    tab.wait_for_url("**/requests/?mine=1&state=failed")
    listed = tab.inner_text("main table")
    assert "broken" in listed and "orders-dev" not in listed

    tab = signed_in(browser, live_server, homes["platform_admin"])
    assert tab.inner_text('[data-testid="failed-runs"] .big') == "1"
    assert tab.inner_text('[data-testid="drifted"] .big') == "1"
    tab.click('[data-testid="drifted"]')
    tab.wait_for_url("**/environments/?drift=drifted")
    assert "shop-dev" in tab.inner_text("main table")
