"""Prices the catalog marks "UNVERIFIED:" stay priced (never a silent $0) but are flagged on
every line item that uses them, with the curator's reason, and counted on the estimate."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from portal.costs.engine.estimator import PRICED, Resource, estimate
from portal.costs.engine.prices import PriceCatalog, PriceEntry, load_catalog
from portal.costs.engine.rules import FREE_TYPES, RULES


@pytest.fixture(scope="module")
def catalog() -> PriceCatalog:
    return load_catalog()


def entry(notes: str) -> PriceEntry:
    return PriceEntry(
        key="lambda.requests",
        service="AWS Lambda",
        description="Requests",
        region="us-east-1",
        unit="1M requests",
        usd=0.2,
        tiers=None,
        source="https://aws.amazon.com/lambda/pricing/",
        source_date=dt.date(2025, 6, 1),
        notes=notes,
    )


def test_entry_verified_reads_the_mark_anywhere_in_the_notes() -> None:
    assert entry("").verified
    assert entry("Free tier: 1M requests.").verified
    marked = entry("Tiers in millions. UNVERIFIED: eu-west-1 figure from memory.")
    assert not marked.verified
    assert marked.unverified_reason == "eu-west-1 figure from memory."
    assert entry("UNVERIFIED:").unverified_reason == "not confirmed against its source"


def test_shipped_catalog_marks_61_entries(catalog: PriceCatalog) -> None:
    assert sum(1 for e in catalog if not e.verified) == 61


def test_line_priced_from_an_unverified_entry_is_flagged_and_still_priced(catalog: PriceCatalog) -> None:
    # Postgres on RDS in eu-west-1: some of its entries are marked, some are not.
    resource = Resource(
        address="aws_db_instance.main",
        type="aws_db_instance",
        attributes={
            "engine": "postgres",
            "instance_class": "db.t4g.medium",
            "allocated_storage": 20,
            "storage_type": "gp3",
        },
        usage={"backup_storage_gb": 30},
    )
    result = estimate([resource], catalog=catalog, region="eu-west-1", rules=RULES, free_types=FREE_TYPES)
    flagged = [item for item in result.line_items if not item.price_verified]
    assert flagged, "expected at least one unverified eu-west-1 RDS price"
    for item in result.line_items:
        used = catalog.price(item.price_key, "eu-west-1")
        assert item.price_verified is used.verified
        if not used.verified:
            assert f"unverified price: {used.unverified_reason}" in item.assumption
            assert item.status == PRICED and item.monthly_usd and item.monthly_usd > 0
    assert result.unverified_lines == len(flagged)
    assert result.to_dict()["unverified_lines"] == len(flagged)
    assert result.to_dict()["line_items"][0]["price_verified"] in (True, False)


def test_the_same_resource_in_us_east_1_uses_only_verified_prices(catalog: PriceCatalog) -> None:
    resource = Resource(
        address="aws_lambda_function.api",
        type="aws_lambda_function",
        attributes={"memory_size": 512, "architectures": ["arm64"]},
        usage={"requests": 1_000_000, "avg_duration_ms": 100},
    )
    result = estimate([resource], catalog=catalog, region="us-east-1", rules=RULES, free_types=FREE_TYPES)
    assert result.line_items and result.unverified_lines == 0
    assert all(item.price_verified for item in result.line_items)
    assert all("unverified" not in item.assumption for item in result.line_items)


def test_an_unverified_mark_on_a_shipped_entry_reaches_the_line(catalog: PriceCatalog) -> None:
    """Marking a verified entry flips its line: the flag comes from the entry, not from a list."""
    key = "lambda.requests"
    marked = dataclasses.replace(catalog.price(key, "us-east-1"), notes="UNVERIFIED: test mark.")
    changed = PriceCatalog(
        version=catalog.version,
        currency=catalog.currency,
        generated_by=catalog.generated_by,
        entries=tuple(marked if (e.key, e.region) == (key, "us-east-1") else e for e in catalog),
    )
    resource = Resource(
        address="aws_lambda_function.api",
        type="aws_lambda_function",
        attributes={"memory_size": 512},
        usage={"requests": 5_000_000, "avg_duration_ms": 100},
    )
    result = estimate([resource], catalog=changed, region="us-east-1", rules=RULES, free_types=FREE_TYPES)
    requests = [item for item in result.line_items if item.price_key == key]
    assert len(requests) == 1 and not requests[0].price_verified
    assert requests[0].assumption.endswith("unverified price: test mark.")
    assert result.unverified_lines == 1
