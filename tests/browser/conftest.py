"""The headless Chromium shared by the browser tests (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import shutil

import pytest

from tests.browser.helpers import CHROMIUM_ARGS


@pytest.fixture
def browser(live_server, monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM is only used before it starts.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: `make test` installs it (scripts/system-packages.sh)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
