"""The pages in a real headless Chromium against a live portal: the request form re-validates
and re-prices through htmx without a full page load, and CSRF holds for htmx posts."""

from __future__ import annotations

import pytest

from tests.browser.helpers import signed_in

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser, live_server, sandbox, requester):
    return signed_in(browser, live_server, requester)  # tab.console_errors: htmx reports problems there


def test_form_updates_cost_and_defaults_in_place(page, live_server):
    page.goto(live_server.url + "/catalog/serverless-api/request/")
    page.evaluate("window.__marker = 'no full reload'")
    total = page.locator('[data-testid="cost-total"]')
    before = total.inner_text()
    assert "$" in before and "/month" in before
    assert "0 unpriced" in page.locator('[data-testid="coverage"]').inner_text()

    page.select_option("#id_tier", "prod")
    page.wait_for_function("document.querySelector('[name=rendered_tier]').value === 'prod'")
    page.fill("#id_lambda_memory_mb", "3008")
    page.wait_for_function(f"document.querySelector('[data-testid=cost-total]').innerText !== {before!r}")
    assert total.inner_text() != before
    page.fill("#id_name", "Bad Name")
    page.wait_for_selector('[data-field="name"]')
    assert "lowercase" in page.locator('[data-field="name"]').inner_text()
    assert page.evaluate("window.__marker") == "no full reload"  # all of it was htmx swaps
    assert [text for text in page.console_errors if "oobErrorNoTarget" in text] == [], page.console_errors


def test_a_draft_request_is_saved_from_the_browser(page, live_server):
    page.goto(live_server.url + "/catalog/local-sandbox/request/")
    text = page.inner_text("main")
    assert "{#" not in text and "Each change posts" not in text  # comments stay in the template
    assert page.locator("label[for=id_name] .required").count() == 1  # marked before any error
    with page.expect_response("**/request/validate/"):  # the as-you-type check of the name
        page.fill("#id_name", "browser-env")
    page.wait_for_function("document.querySelector('#form-errors').children.length === 0")
    with page.expect_response("**/request/validate/"):
        page.check("#id_enable_cache")
    page.wait_for_selector("[data-field-row=cache_size_mb]:not([hidden])")  # show_if rows toggle
    # Every out-of-band target of the live answers was on the page (no htmx:oobErrorNoTarget).
    assert [text for text in page.console_errors if "oobErrorNoTarget" in text] == [], page.console_errors
    page.click("button[name=submit]")
    page.wait_for_url("**/requests/*/")
    assert "saved as a draft" in page.content() and "browser-env" in page.content()


def test_saving_while_a_check_is_in_flight_logs_no_browser_error(page, live_server):
    """Typing and clicking Save at once: the blur starts an as-you-type check, and the submit would
    abort it (htmx logs the abort as an error); the submit waits for it instead. No page asks for a
    missing favicon either (a 404 the browser logs as an error)."""
    page.goto(live_server.url + "/catalog/local-sandbox/request/")
    page.wait_for_load_state("networkidle")
    held = []  # the check is held at the network edge until Save was clicked: a slow server
    page.route("**/request/validate/", lambda route: held.append(route))
    page.fill("#id_name", "quick-env")
    page.click("button[name=submit]")
    assert len(held) == 1 and "/requests/" not in page.url  # Save waits for the check
    held[0].continue_()
    page.wait_for_url("**/requests/*/")
    assert "saved as a draft" in page.content() and "quick-env" in page.content()
    assert page.console_errors == []
