"""Helpers shared by the pricing rule families: reading attributes and usage, building line
items, and the constants every family uses. Pure Python, no Django."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from portal.costs.engine.estimator import HOURS_PER_MONTH, LineItem, Pricing, Resource
from portal.costs.engine.prices import UnknownPrice

SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
DAYS_PER_MONTH = HOURS_PER_MONTH / 24
#: CloudFront, Route 53 and Budgets are global: their price is the same whatever the region, so
#: they are read from this region's entries when the deployment region has none.
GLOBAL_PRICE_REGION = "us-east-1"


class Unsupported(UnknownPrice):
    """A configuration this catalog has no price for (a Network Load Balancer, a FIFO topic, ...).
    The estimator shows the resource as unpriced with this message."""

    def __init__(self, resource: Resource, what: str) -> None:
        LookupError.__init__(self, f"{resource.type}: {what} is not in the price catalog")
        self.key, self.region, self.suggestions, self.regions = "", "", [], []


def _block(attributes: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """A nested block: plan JSON gives a list of one object, a form entry may give the object."""
    value = attributes.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, Mapping) else {}


def _blocks(attributes: Mapping[str, Any], name: str) -> list[Any]:
    value = attributes.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _num(value: Any, default: float = 0.0) -> float:
    """A number from a number or a numeric string (ECS `cpu` is "1024"); else the default."""
    if isinstance(value, bool) or value is None:
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


def _flag(value: Any, default: bool = False) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return default


def _text(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) and value else default


def _use(resource: Resource, name: str, default: float = 0.0) -> float:
    return float(resource.usage.get(name, default))


def _has(resource: Resource, name: str) -> bool:
    return name in resource.usage


def _n(value: float) -> str:
    """12,000 / 0.5 / 2.25: thousands separators, no useless decimals."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def _source(resource: Resource, name: str) -> str:
    return "usage profile" if _has(resource, name) else "none in the usage profile"


def _item(
    pricing: Pricing,
    resource: Resource,
    key: str,
    base_quantity: float,
    *,
    component: str,
    usage_based: bool,
    assumption: str,
    free_base: float = 0.0,
) -> LineItem:
    """`pricing.item` with the quantity (and free allowance) in base units — requests, GB,
    hours — converted to the price's own unit (1M requests, 10k requests, ...)."""
    size = pricing.entry(key).unit_size
    return pricing.item(
        resource,
        key,
        base_quantity / size,
        component=component,
        usage_based=usage_based,
        assumption=assumption,
        free_quantity=free_base / size,
    )


def _usage_items(
    resource: Resource, pricing: Pricing, per: str, table: tuple[tuple[str, str, str, float], ...]
) -> list[LineItem]:
    """One usage-based line per (usage name, price key, label, free allowance) the resource has."""
    items = []
    for name, key, label, free in table:
        if _has(resource, name):
            quantity = _use(resource, name)
            items.append(
                _item(
                    pricing,
                    resource,
                    key,
                    quantity,
                    component=label,
                    usage_based=True,
                    assumption=f"{_n(quantity)} {per}",
                    free_base=free,
                )
            )
    return items


def _global(pricing: Pricing, key: str) -> Pricing:
    """The pricing to use for a global service: the deployment region's entry if the catalog has
    one, otherwise the GLOBAL_PRICE_REGION entry (same price)."""
    if pricing.catalog.get(key, pricing.region) is not None:
        return pricing
    return Pricing(
        pricing.catalog,
        GLOBAL_PRICE_REGION,
        free_tier=pricing.free_tier,
        discount_factor=pricing.discount_factor,
    )


def _hours(resource: Resource) -> tuple[float, str]:
    """Hours a month an always-on resource runs: usage `hours`, else the full 730."""
    if _has(resource, "hours"):
        hours = _use(resource, "hours")
        return hours, f"{_n(hours)} h/month (usage profile)"
    return HOURS_PER_MONTH, f"always on, {HOURS_PER_MONTH:g} h/month"
