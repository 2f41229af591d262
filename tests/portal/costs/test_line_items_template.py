"""The shared line-item table marks each line priced from an unverified catalog entry."""

from __future__ import annotations

from django.template.loader import render_to_string

from portal.costs.engine.estimator import Resource, estimate
from portal.costs.engine.prices import load_catalog
from portal.costs.engine.rules import FREE_TYPES, RULES


def rendered(region: str) -> tuple[str, int]:
    resource = Resource(
        address="aws_db_instance.main",
        type="aws_db_instance",
        attributes={"engine": "postgres", "instance_class": "db.t4g.medium", "storage_type": "gp3"},
    )
    result = estimate([resource], catalog=load_catalog(), region=region, rules=RULES, free_types=FREE_TYPES)
    html = render_to_string("costs/line_items.html", {"estimate": result.to_dict(), "open": True})
    return html, result.unverified_lines


def test_unverified_lines_carry_a_badge_and_the_summary_counts_them() -> None:
    html, count = rendered("eu-west-1")
    assert count >= 1
    assert html.count(">unverified price</span>") == count
    assert f'data-testid="unverified-count">{count} unverified price' in html
    assert "unverified price: " in html  # the reason, in the assumption


def test_verified_estimate_shows_no_badge() -> None:
    html, count = rendered("us-east-1")
    assert count == 0 and "unverified" not in html
