"""The upgrade path in a real headless Chromium: the owner's home and the environment page show
"upgrade available: 1.0.0 → 1.1.0" with the changelog; Upgrade opens the update request on
1.1.0 prefilled with the current inputs, the new input at its default and explained; saving it
drafts an update request pinned to 1.1.0. (tests/portal/requests/test_upgrades.py plans and
applies the same upgrade with real Terraform.)"""

from __future__ import annotations

import pytest

from portal.requests.models import EnvironmentRequest, RequestKind
from tests.browser.helpers import signed_in
from tests.factories import EnvironmentFactory, published_sandbox_version

pytestmark = pytest.mark.browser


@pytest.fixture
def tab(browser, live_server, sandbox, requester):
    return signed_in(browser, live_server, requester)


def test_upgrade_from_the_home_page_to_a_drafted_update_on_1_1_0(tab, live_server, sandbox, requester, team):
    environment = EnvironmentFactory(
        team=team,
        owner=requester,
        name="web-old",
        blueprint_version=published_sandbox_version("1.0.0"),
        inputs={"app_replicas": 3, "greeting": "still here", "enable_cache": False, "apply_seconds": 0},
    )
    tab.reload()
    badge = tab.locator('[data-testid="home-environments"] [data-testid="upgrade-available"]')
    assert badge.inner_text().strip() == "upgrade available: 1.0.0 → 1.1.0"
    badge.locator("summary").click()
    assert "health check" in badge.inner_text()

    tab.click(f'[data-testid="home-environments"] a:text-is("{environment}")')
    card = tab.locator('[data-testid="environment-upgrade"]')
    assert "Upgrade available: 1.0.0 → 1.1.0" in card.inner_text()
    card.locator('[data-testid="upgrade"]').click()

    tab.wait_for_selector('[data-testid="upgrade-notes"]')
    notes = tab.locator('[data-testid="upgrade-notes"]').inner_text()
    assert "Upgrade: 1.0.0 → 1.1.0" in notes and "healthcheck_interval_seconds" in notes
    assert tab.input_value("#id_version") == "1.1.0"
    assert tab.input_value("#id_app_replicas") == "3"
    assert tab.input_value("#id_greeting") == "still here"
    assert tab.input_value("#id_healthcheck_interval_seconds") == "30"
    assert "1.0.0 → 1.1.0" in tab.input_value("#id_reason")
    tab.locator("#request-form button[type=submit]").last.click()
    tab.wait_for_url("**/requests/*/")
    request = EnvironmentRequest.objects.get(environment=environment)
    assert request.kind == RequestKind.UPDATE and request.blueprint_version == sandbox
    assert request.inputs["healthcheck_interval_seconds"] == 30 and request.inputs["app_replicas"] == 3
    assert "version change from 1.0.0" in tab.content()
