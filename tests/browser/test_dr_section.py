"""The DR section of the environment page in a real headless Chromium: the drill trend chart draws
its axis, target and achieved lines (SVG lines with no stroke draw nothing)."""

from __future__ import annotations

import pytest

from tests.browser.helpers import signed_in
from tests.factories import EnvironmentFactory
from tests.portal.dr.test_dr_pages import make_drill

pytestmark = pytest.mark.browser


def test_the_drill_trend_draws_its_lines(browser, live_server, sandbox, team, requester):
    environment = EnvironmentFactory(team=team, owner=requester, blueprint_version=sandbox, name="drilled")
    for days, rto in ((2, 12.0), (1, 400.0)):
        make_drill(environment, rto=rto, days_ago=days)
    tab = signed_in(browser, live_server, requester)
    tab.goto(f"{live_server.url}/environments/{environment.pk}/")
    strokes = tab.locator("[data-testid=dr-chart]").evaluate(
        """svg => Object.fromEntries(['axis', 'target', 'achieved'].map(c => {
             const el = svg.querySelector('.' + c), style = getComputedStyle(el);
             return [c, style.stroke !== 'none' && parseFloat(style.strokeWidth) > 0];
           }))"""
    )
    assert strokes == {"axis": True, "target": True, "achieved": True}
    fills = tab.locator("[data-testid=dr-chart] circle").evaluate_all(
        "cs => cs.map(c => getComputedStyle(c).fill)"
    )
    assert len(fills) == 4 and fills[0] != fills[1]  # RTO panel: the drill over its target stands out
    assert tab.console_errors == []
