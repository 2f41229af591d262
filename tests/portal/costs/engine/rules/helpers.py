"""Helpers for the pricing rule tests. Every expected figure is worked out by hand from the
catalog's own prices (never copied from the rule), so a price change in the catalog moves both."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from portal.costs.engine.estimator import (
    Estimate,
    Resource,
    estimate,
)
from portal.costs.engine.prices import PriceCatalog
from portal.costs.engine.rules import FREE_TYPES, RULES

REGION = "us-east-1"


def approx(expected: float, abs: float = 1e-3) -> Any:
    """Line items are rounded to 4 decimals (totals to cents)."""
    return pytest.approx(expected, abs=abs)


def usd(catalog: PriceCatalog, key: str, region: str = REGION) -> float:
    """The flat (first-tier) price of one unit."""
    return catalog.price(key, region).usd


def price(
    catalog: PriceCatalog,
    type_: str,
    attributes: Mapping[str, Any] | None = None,
    usage: Mapping[str, float] | None = None,
    *,
    region: str = REGION,
    free_tier: bool = False,
    discount_factor: float = 1.0,
) -> Estimate:
    resource = Resource(address=f"{type_}.test", type=type_, attributes=attributes or {}, usage=usage or {})
    return estimate(
        [resource],
        catalog=catalog,
        region=region,
        rules=RULES,
        free_types=FREE_TYPES,
        free_tier=free_tier,
        discount_factor=discount_factor,
    )


def component(result: Estimate, name: str) -> float:
    matches = [item for item in result.line_items if item.component == name]
    assert len(matches) == 1, [item.component for item in result.line_items]
    assert matches[0].monthly_usd is not None
    return matches[0].monthly_usd


LAMBDA_ARM = {"architectures": ["arm64"], "memory_size": 512, "tracing_config": [{"mode": "PassThrough"}]}


RDS_MICRO = {
    "engine": "postgres",
    "instance_class": "db.t4g.micro",
    "multi_az": False,
    "storage_type": "gp3",
    "allocated_storage": 20,
    "max_allocated_storage": 100,
    "backup_retention_period": 7,
}
