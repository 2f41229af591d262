"""The pages in a real headless Chromium against a live portal: the request form re-validates
and re-prices through htmx without a full page load, and CSRF holds for htmx posts."""

from __future__ import annotations

import shutil

import pytest

pytestmark = pytest.mark.browser
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def page(live_server, sandbox, requester, monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM is only used before it starts.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: `make test` installs it (scripts/system-packages.sh)"
    requester.set_password("browser-pass-1")
    requester.save()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        tab = browser.new_page()
        tab.console_errors = []  # htmx reports a missing out-of-band target here
        tab.on("console", lambda message: message.type == "error" and tab.console_errors.append(message.text))
        tab.goto(live_server.url + "/login/")
        tab.fill("#id_username", requester.username)
        tab.fill("#id_password", "browser-pass-1")
        tab.click("button[type=submit]")
        tab.wait_for_url(live_server.url + "/")
        yield tab
        browser.close()


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
