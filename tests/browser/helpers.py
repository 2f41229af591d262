"""What the browser tests share besides the `browser` fixture (tests/browser/conftest.py):
Chromium's flags and signing a user in through the login page."""

from __future__ import annotations

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "browser-pass-1"


def signed_in(browser, live_server, user, **context):
    """A new tab (in its own browser context, `context` as Playwright takes it) signed in as `user`
    through the login form. `tab.console_errors` collects the browser's errors from the first page
    on (console errors, failed resource loads, uncaught exceptions)."""
    user.set_password(PASSWORD)
    user.save()
    tab = browser.new_context(**context).new_page()
    tab.console_errors = []
    tab.on("console", lambda message: message.type == "error" and tab.console_errors.append(message.text))
    tab.on("pageerror", lambda error: tab.console_errors.append(str(error)))
    tab.goto(live_server.url + "/login/")
    tab.fill("#id_username", user.username)
    tab.fill("#id_password", PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_url(live_server.url + "/")
    return tab
