"""The sign-off page in a real headless Chromium: plan policy results above the plan (one warning,
one denial), each message jumping to its resource, approval blocked by the denial, the warning
acknowledged and recorded, and a stale page refused."""

from __future__ import annotations

import pytest
from django.db import transaction

from portal.environments.services import environment_create
from portal.policies.models import PolicySet
from portal.policies.services import policy_set_save
from portal.requests.models import Approval, EnvironmentRequest, RequestState
from portal.requests.services import approval_policies_ensure_defaults, request_plan_ready
from tests.browser.helpers import signed_in
from tests.factories import EnvironmentRequestFactory, PlanRunFactory

pytestmark = pytest.mark.browser

RULE = """package portal.{name}

import rego.v1

violations(inp) := {{v |
	some r in inp.plan.resource_changes
	r.type == "null_resource"
	v := {{"msg": concat("", [r.address, ": {text}"]), "resource": r.address}}
}}
"""


def add_policy(name, severity, text):
    policy_set_save(name=name, source=RULE.format(name=name, text=text), actor=None, severity=severity)


def plan_ready(request, changes):
    with transaction.atomic():
        locked = EnvironmentRequest.objects.select_for_update().get(pk=request.pk)
        if locked.environment is None:
            locked.environment = environment_create(request=locked, actor=locked.requester)
        locked.state = RequestState.PLANNING
        locked.save()
        plan = PlanRunFactory(environment=locked.environment, request=locked, changes_sha256=changes)
        request_plan_ready(request=locked, plan_run=plan)
    return plan


@pytest.fixture
def approver_tab(browser, live_server, sandbox, approver):
    return signed_in(browser, live_server, approver)


@pytest.fixture
def awaiting(sandbox, requester, team):
    approval_policies_ensure_defaults()
    request = EnvironmentRequestFactory(
        team=team,
        requester=requester,
        blueprint_version=sandbox,
        environment_name="signoff-env",
        tier="staging",
        inputs={"app_replicas": 1},
        state=RequestState.PLANNING,
    )
    plan_ready(request, "changes-1")
    request.refresh_from_db()
    return request


def test_sign_off_with_one_warning_and_one_denial(approver_tab, live_server, awaiting):
    page = approver_tab
    add_policy("apps_warned", "warn", "apps cost money")
    add_policy("apps_denied", "deny", "apps are not allowed here")
    plan_ready(awaiting, "changes-2")
    page.goto(f"{live_server.url}/requests/{awaiting.pk}/")

    policies = page.locator('[data-testid="plan-policies"]')
    text = policies.inner_text()
    assert "apps are not allowed here" in text and "apps cost money" in text
    assert "1 denied" in text and "1 warnings" in text
    # Above the plan.
    assert page.evaluate(
        "document.querySelector('[data-testid=plan-policies]').compareDocumentPosition("
        "document.querySelector('[data-testid=plan-changes]')) & Node.DOCUMENT_POSITION_FOLLOWING"
    )
    # A message's link jumps to its resource in the plan.
    policies.locator(".policy-deny a").first.click()
    page.wait_for_function("location.hash.startsWith('#resource-')")
    assert page.evaluate("document.querySelector(':target').id") == "resource-null_resource.app[0]"
    assert "null_resource.app[0]" in page.locator(":target").inner_text()

    # The denial blocks approval: the button is disabled, and there is no break-glass for it.
    sign_off = page.locator('[data-testid="sign-off"]')
    assert sign_off.locator("button[value=approve]").is_disabled()
    assert sign_off.locator("button[value=break_glass]").count() == 0
    assert "Approval is blocked" in policies.inner_text()

    # Once the denying policy is switched off and the plan re-checked, only the warning is left.
    PolicySet.objects.filter(name="apps_denied").update(enabled=False)
    plan = plan_ready(awaiting, "changes-3")
    page.goto(f"{live_server.url}/requests/{awaiting.pk}/")
    approve = sign_off.locator("button[value=approve]")
    assert approve.is_enabled()
    approve.click()  # without the acknowledgement: refused
    page.wait_for_load_state()
    assert "Acknowledge the policy warnings before approving: apps_warned." in page.inner_text("main")
    assert not Approval.objects.exists()
    sign_off.locator("input[name=acknowledge][value=apps_warned]").check()
    sign_off.locator("button[value=approve]").click()
    page.wait_for_selector('[data-testid="apply-run"]')
    approval = Approval.objects.get()
    assert approval.plan_run == plan and approval.acknowledged_warnings[0]["policy"] == "apps_warned"
    link = page.locator('[data-testid="apply-run"] a')
    assert link.inner_text() == f"apply run #{approval.apply_run.pk}"
    link.click()
    page.wait_for_url(f"**/runs/{approval.apply_run.pk}/")


def test_a_stale_sign_off_page_is_refused(approver_tab, live_server, awaiting):
    page = approver_tab
    page.goto(f"{live_server.url}/requests/{awaiting.pk}/")
    seen = page.locator("input[name=plan_sha256]").input_value()
    assert seen == awaiting.plan_run.plan_sha256
    new_plan = plan_ready(awaiting, "changes-2")  # a changed re-plan finishes while the page is open
    with page.expect_response(f"**/requests/{awaiting.pk}/decide/") as response:
        page.locator('[data-testid="sign-off"] button[value=approve]').click()
    assert response.value.status == 409
    assert "The plan changed while you were reviewing; review the new plan." in page.inner_text("main")
    assert page.locator("input[name=plan_sha256]").input_value() == new_plan.plan_sha256
    assert not Approval.objects.exists()
    page.locator('[data-testid="sign-off"] button[value=approve]').click()
    page.wait_for_selector('[data-testid="apply-run"]')
    assert Approval.objects.get().plan_run == new_plan
