"""Every main page in a real headless Chromium at a 390 px phone width: nothing is wider than the
screen (`document.scrollingElement.scrollWidth` against 390 itself: under mobile emulation
Chromium widens `innerWidth` to fit the content, so comparing with it could never fail), the menu
collapses behind a working toggle, wide tables scroll inside their card, and the estimate sits
beside the form at 1280 px and above the Save button at 390 px. The toolchain message shows on an
AWS blueprint."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.api.services import token_create
from portal.catalog.models import Blueprint
from portal.catalog.services import blueprints_sync
from portal.core.crypto import encrypt_json
from portal.environments.models import Environment, EnvironmentStatus
from portal.requests.models import EnvironmentRequest, RequestState
from portal.runs.models import Run, RunKind, RunLogLine, RunStatus
from tests.browser.helpers import signed_in
from tests.factories import MembershipFactory

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
LONG = "x" * 180  # unbroken text, the usual cause of a page wider than the phone


@pytest.fixture
def pages(db, team, requester):
    """A platform admin in the requester's team (so every page has something to show), and one
    object of each kind with long values in it."""
    blueprints_sync()
    admin = MembershipFactory(team=team, role="platform_admin").user
    sandbox = Blueprint.objects.get(slug="local-sandbox").latest_version
    aurora = Blueprint.objects.get(slug="lambda-aurora").latest_version
    environment = Environment.objects.create(
        team=team,
        owner=requester,
        name="shop-dev",
        blueprint_version=sandbox,
        tier="dev",
        status=EnvironmentStatus.ACTIVE,
        state_password=encrypt_json("pw"),
        inputs={"app_replicas": 2, "greeting": "hello", "enable_cache": False},
        outputs={
            "instance_ids": {"value": [LONG, "2820"], "sensitive": False},
            "tags": {"value": {"Blueprint": LONG, "Team": "payments"}, "sensitive": False},
            "url": {"value": "http://" + LONG, "sensitive": False},
        },
    )
    env_request = EnvironmentRequest.objects.create(
        team=team,
        requester=requester,
        blueprint_version=aurora,
        environment_name="orders-dev",
        tier="dev",
        region="us-east-1",
        state=RequestState.FAILED,
        inputs={"image_uri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/" + LONG + ":1"},
        reason=LONG,
    )
    run = Run.objects.create(
        kind=RunKind.PLAN,
        environment=environment,
        request=env_request,
        status=RunStatus.FAILED,
        created_by=requester,
        finished_at=timezone.now(),
        error="terraform init failed (exit code 1)",
        log_lines_count=2,
    )
    RunLogLine.objects.bulk_create(
        [
            RunLogLine(
                run=run,
                seq=1,
                stream="stdout",
                level="error",
                message="Error: Invalid validation error message",
            ),
            RunLogLine(run=run, seq=2, stream="stdout", level="error", message=LONG),
        ]
    )
    token_create(user=admin, name=LONG[:100], expires_at=timezone.now() + timedelta(days=7))
    return {
        "admin": admin,
        "urls": [
            "/",
            "/catalog/",
            "/catalog/lambda-aurora/",
            "/catalog/lambda-aurora/request/",
            "/catalog/lambda-aurora/compare/",
            "/environments/",
            f"/environments/{environment.pk}/",
            f"/requests/destroy/{environment.pk}/",
            "/requests/",
            f"/requests/{env_request.pk}/",
            "/requests/approvals/",
            "/runs/",
            f"/runs/{run.pk}/",
            "/audit/",
            "/toolchain/",
            "/toolchain/configure/",
            "/policies/",
            "/policies/test/",
            "/profile/tokens/",
        ],
    }


def test_no_page_is_wider_than_a_390px_phone(browser, live_server, pages):
    tab = signed_in(browser, live_server, pages["admin"], viewport=PHONE, is_mobile=True, has_touch=True)
    widths = {}
    for url in pages["urls"]:
        response = tab.goto(live_server.url + url)
        assert response.status == 200, url
        widths[url] = tab.evaluate("document.scrollingElement.scrollWidth")
    assert {url: width for url, width in widths.items() if width > 390} == {}
    # The environment list's table is wider than the phone: it scrolls inside its card.
    tab.goto(live_server.url + "/environments/")
    assert tab.evaluate(
        "[...document.querySelectorAll('.table-wrap')].some(w => w.scrollWidth > w.clientWidth)"
        " && getComputedStyle(document.querySelector('.table-wrap')).overflowX === 'auto'"
    )


def test_the_menu_collapses_behind_a_toggle_on_a_phone(browser, live_server, pages):
    tab = signed_in(browser, live_server, pages["admin"], viewport=PHONE, is_mobile=True, has_touch=True)
    tab.goto(live_server.url + "/catalog/")
    toggle = tab.locator("[data-testid=nav-toggle]")
    link = tab.locator("nav a", has_text="Environments")
    assert toggle.is_visible() and not link.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert link.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    # Light text on the dark bar, not white on white.
    colours = link.evaluate(
        "a => [getComputedStyle(a).color, getComputedStyle(a.closest('.topbar')).backgroundColor]"
    )
    assert colours[0] == "rgb(255, 255, 255)" and colours[1] != "rgb(255, 255, 255)"
    assert link.get_attribute("href") == "/environments/"  # a real link
    link.click()
    tab.wait_for_url(live_server.url + "/environments/")
    tab.locator("[data-testid=nav-toggle]").click()
    tab.locator("[data-testid=nav-toggle]").click()
    assert not tab.locator("nav a", has_text="Runs").is_visible()  # and closes again

    wide = signed_in(browser, live_server, pages["admin"], viewport={"width": 1280, "height": 800})
    wide.goto(live_server.url + "/catalog/")
    assert not wide.locator("[data-testid=nav-toggle]").is_visible()
    assert wide.locator("nav a", has_text="Toolchain").is_visible()


def test_the_estimate_is_beside_the_form_when_wide_and_above_save_when_narrow(browser, live_server, pages):
    def boxes(tab):
        tab.goto(live_server.url + "/catalog/local-sandbox/request/")
        return (
            tab.locator("[data-testid=cost-panel]").bounding_box(),
            tab.locator("button[name=submit]").bounding_box(),
            tab.locator("#id_name").bounding_box(),
        )

    wide = signed_in(browser, live_server, pages["admin"], viewport={"width": 1280, "height": 900})
    cost, save, name = boxes(wide)
    assert cost["x"] > name["x"] + name["width"]  # beside the fields
    assert cost["y"] < save["y"]
    phone = signed_in(browser, live_server, pages["admin"], viewport=PHONE, is_mobile=True, has_touch=True)
    cost, save, name = boxes(phone)
    assert name["y"] < cost["y"] and cost["y"] + cost["height"] <= save["y"]  # fields, estimate, Save
    assert abs(cost["x"] - name["x"]) < 40  # one column


def test_an_aws_blueprint_says_what_to_configure_and_refuses_the_submit(browser, live_server, pages):
    tab = signed_in(browser, live_server, pages["admin"], viewport={"width": 1280, "height": 900})
    tab.goto(live_server.url + "/catalog/lambda-aurora/request/")
    notice = tab.locator("[data-testid=readiness]").first.inner_text()
    assert "Terraform 1.0.3 is older than this blueprint's required >= 1.5.7" in notice
    assert "TERRAFORM_BIN" in notice and "TERRAFORM_PROVIDER_MIRROR" in notice
    assert tab.locator("text=Apply the AWS free tier").count() == 1  # AWS costs: the option is offered
    tab.fill("#id_name", "orders-dev")
    tab.fill("#id_image_uri", "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1")
    tab.fill("#id_alarm_email", "ops@example.com")
    tab.click("button[name=submit]")
    tab.wait_for_url("**/requests/*/")
    assert "saved as a draft" in tab.content()  # a draft can still be saved
    tab.click("text=Submit and plan")
    tab.wait_for_load_state()
    text = tab.inner_text(".messages")
    assert "cannot run on this installation" in text and "Terraform 1.0.3 is older" in text
    assert tab.locator("h1 .badge").first.inner_text() == "Draft"  # still a draft, no run

    tab.goto(live_server.url + "/catalog/local-sandbox/request/")
    assert tab.locator("text=Apply the AWS free tier").count() == 0  # nothing on AWS to discount
    assert tab.locator("[data-testid=readiness]").count() == 0  # no warning for what can run
    tab.goto(live_server.url + "/catalog/local-sandbox/")
    assert "ready to run here" in tab.inner_text("[data-testid=readiness]")


def test_badges_in_tables_stay_on_one_line_on_a_phone(browser, live_server, pages):
    """A status badge squeezed by a narrow column wrapped into a two-line pill; in a table it keeps
    to one line (the table scrolls inside its card instead)."""
    tab = signed_in(browser, live_server, pages["admin"], viewport=PHONE, is_mobile=True, has_touch=True)
    tab.goto(live_server.url + "/environments/")
    heights = tab.locator(".table .badge").evaluate_all(
        "bs => bs.map(b => [b.innerText,"
        " b.getBoundingClientRect().height / parseFloat(getComputedStyle(b).fontSize)])"
    )
    assert heights and [text for text, height in heights if height > 2.2] == []
    assert tab.evaluate("document.scrollingElement.scrollWidth") <= 390
