"""The cost estimator, in pure Python (no Django).

An estimate prices a list of Terraform resources, each with its attributes and usage, against a
dated price catalog. Resources come from a plan (`resources_from_plan`) or, before any plan, from
the blueprint's static inventory with attributes filled from the form (`resources_from_form`).

Every resource ends up in exactly one of three states, and the estimate says how many of each:
- priced: every component has a catalog price;
- free: the resource type costs nothing by itself (IAM roles, subnets, ...), said explicitly;
- unpriced: no pricing rule or no price for this region. It is shown as unpriced, never as $0,
  and the total says it is incomplete.

A month is 730 hours. The free tier is off unless asked for. An organisation-wide discount
(EDP) factor multiplies every price.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from portal.costs.engine.prices import PriceCatalog, PriceEntry, UnknownPrice

HOURS_PER_MONTH = 730.0
PRICED, FREE, UNPRICED = "priced", "free", "unpriced"


@dataclass(frozen=True)
class Resource:
    """One Terraform resource to price. `usage` holds monthly usage quantities (from a profile)."""

    address: str
    type: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    usage: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class LineItem:
    resource_type: str
    resource_address: str
    component: str
    service: str
    unit: str
    quantity: float | None
    unit_price_usd: float | None
    monthly_usd: float | None
    usage_based: bool
    assumption: str
    status: str = PRICED
    price_key: str = ""
    price_source: str = ""
    # False when the catalog marks the price UNVERIFIED; the assumption then says why.
    price_verified: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Coverage:
    total: int
    priced: int
    free: int
    unpriced: int

    @property
    def complete(self) -> bool:
        return self.unpriced == 0

    def __str__(self) -> str:
        return f"{self.priced} of {self.total} resources priced, {self.free} free, {self.unpriced} unpriced"


@dataclass(frozen=True)
class Estimate:
    line_items: tuple[LineItem, ...]
    coverage: Coverage
    fixed_monthly_usd: float
    usage_monthly_usd: float
    price_catalog_version: str
    region: str
    free_tier: bool
    discount_factor: float

    @property
    def total_monthly_usd(self) -> float:
        return round(self.fixed_monthly_usd + self.usage_monthly_usd, 2)

    @property
    def unverified_lines(self) -> int:
        """Line items priced from a catalog entry marked UNVERIFIED (still priced, never $0)."""
        return sum(1 for item in self.line_items if not item.price_verified)

    def by_service(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for item in self.line_items:
            if item.monthly_usd:
                totals[item.service] = round(totals.get(item.service, 0.0) + item.monthly_usd, 2)
        return dict(sorted(totals.items(), key=lambda kv: -kv[1]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "total_monthly_usd": self.total_monthly_usd,
            "fixed_monthly_usd": round(self.fixed_monthly_usd, 2),
            "usage_monthly_usd": round(self.usage_monthly_usd, 2),
            "complete": self.coverage.complete,
            "coverage": {
                "total": self.coverage.total,
                "priced": self.coverage.priced,
                "free": self.coverage.free,
                "unpriced": self.coverage.unpriced,
                "summary": str(self.coverage),
            },
            "line_items": [item.to_dict() for item in self.line_items],
            "unverified_lines": self.unverified_lines,
            "by_service": self.by_service(),
            "price_catalog_version": self.price_catalog_version,
            "region": self.region,
            "free_tier": self.free_tier,
            "discount_factor": self.discount_factor,
        }


class Pricing:
    """What a pricing rule gets: the catalog for one region, the options, and helpers that build
    line items from catalog keys so every price carries its unit and source."""

    def __init__(
        self, catalog: PriceCatalog, region: str, *, free_tier: bool, discount_factor: float
    ) -> None:
        self.catalog, self.region = catalog, region
        self.free_tier, self.discount_factor = free_tier, discount_factor

    def entry(self, key: str) -> PriceEntry:
        return self.catalog.price(key, self.region)

    def item(
        self,
        resource: Resource,
        key: str,
        quantity: float,
        *,
        component: str,
        usage_based: bool,
        assumption: str = "",
        free_quantity: float = 0.0,
    ) -> LineItem:
        """A line item for `quantity` in the price's own unit (e.g. hours, GB-month, 1M requests).
        `free_quantity` is the free-tier allowance, subtracted only when the free tier is on."""
        if quantity < 0 or math.isnan(quantity):
            raise ValueError(f"{resource.address}: negative or undefined quantity for {component}")
        entry = self.entry(key)
        billable = max(0.0, quantity - free_quantity) if self.free_tier else quantity
        note = assumption
        if self.free_tier and free_quantity:
            note = (note + "; " if note else "") + f"free tier: first {free_quantity:g} {entry.unit} free"
        if not entry.verified:
            note = (note + "; " if note else "") + f"unverified price: {entry.unverified_reason}"
        cost = entry.cost(billable) * self.discount_factor
        unit_price = cost / billable if billable else entry.usd * self.discount_factor
        return LineItem(
            resource_type=resource.type,
            resource_address=resource.address,
            component=component,
            service=entry.service,
            unit=entry.unit,
            quantity=round(quantity, 6),
            unit_price_usd=round(unit_price, 8),
            monthly_usd=round(cost, 4),
            usage_based=usage_based,
            assumption=note,
            status=PRICED,
            price_key=key,
            price_source=entry.source,
            price_verified=entry.verified,
        )

    def hourly(
        self, resource: Resource, key: str, *, component: str, count: float = 1.0, assumption: str = ""
    ) -> LineItem:
        """An always-on charge billed per hour: count × 730 hours."""
        return self.item(
            resource,
            key,
            count * HOURS_PER_MONTH,
            component=component,
            usage_based=False,
            assumption=assumption or f"{count:g} × {HOURS_PER_MONTH:g} h/month",
        )


PricingRule = Callable[[Resource, Pricing], list[LineItem]]


def _unpriced(resource: Resource, reason: str) -> LineItem:
    return LineItem(
        resource_type=resource.type,
        resource_address=resource.address,
        component="(unpriced)",
        service="",
        unit="",
        quantity=None,
        unit_price_usd=None,
        monthly_usd=None,
        usage_based=False,
        assumption=reason,
        status=UNPRICED,
    )


def free_item(resource: Resource, component: str, reason: str) -> LineItem:
    """A line item that costs nothing, saying why (a free resource type, or a free component)."""
    return LineItem(
        resource_type=resource.type,
        resource_address=resource.address,
        component=component,
        service="",
        unit="",
        quantity=0.0,
        unit_price_usd=0.0,
        monthly_usd=0.0,
        usage_based=False,
        assumption=reason,
        status=FREE,
    )


def estimate(
    resources: Iterable[Resource],
    *,
    catalog: PriceCatalog,
    region: str,
    rules: Mapping[str, PricingRule],
    free_types: Mapping[str, str],
    free_tier: bool = False,
    discount_factor: float = 1.0,
) -> Estimate:
    """Prices every resource. `rules` maps a Terraform type to its pricing rule; `free_types` maps
    a type that costs nothing by itself to the reason; any other type is unpriced."""
    if not 0 < discount_factor <= 1:
        raise ValueError("discount_factor must be in (0, 1]")
    pricing = Pricing(catalog, region, free_tier=free_tier, discount_factor=discount_factor)
    items: list[LineItem] = []
    priced = free = unpriced = total = 0
    for resource in resources:
        total += 1
        if resource.type in rules:
            try:
                produced = rules[resource.type](resource, pricing)
            except UnknownPrice as exc:
                produced = [_unpriced(resource, str(exc))]
            if not produced:
                produced = [free_item(resource, "(no charge)", "no billable component with these settings")]
        elif resource.type in free_types:
            produced = [free_item(resource, "(no charge)", free_types[resource.type])]
        else:
            produced = [_unpriced(resource, f"no pricing rule for {resource.type} yet")]
        items.extend(produced)
        statuses = {item.status for item in produced}
        if UNPRICED in statuses:
            unpriced += 1
        elif statuses == {FREE} or all((i.monthly_usd or 0) == 0 for i in produced):
            free += 1
        else:
            priced += 1
    fixed = sum(i.monthly_usd or 0.0 for i in items if not i.usage_based)
    usage = sum(i.monthly_usd or 0.0 for i in items if i.usage_based)
    return Estimate(
        line_items=tuple(items),
        coverage=Coverage(total, priced, free, unpriced),
        fixed_monthly_usd=fixed,
        usage_monthly_usd=usage,
        price_catalog_version=catalog.version.isoformat(),
        region=region,
        free_tier=free_tier,
        discount_factor=discount_factor,
    )


_FIELD_REF = re.compile(r"^\{([a-z][a-z0-9_]*)\}$")


def _resolve(value: Any, inputs: Mapping[str, Any]) -> Any:
    """`"{field}"` takes the form value of that field; lists and maps are resolved inside."""
    if isinstance(value, str):
        match = _FIELD_REF.match(value)
        return inputs.get(match.group(1)) if match else value
    if isinstance(value, list):
        return [_resolve(v, inputs) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, inputs) for k, v in value.items()}
    return value


def _usage(mapping: Mapping[str, Any], profile: Mapping[str, float]) -> dict[str, float]:
    usage = {}
    for name, source in mapping.items():
        if isinstance(source, int | float):
            usage[name] = float(source)
        elif source in profile:
            usage[name] = float(profile[source])
        else:
            raise KeyError(f"usage profile has no quantity {source!r}")
    return usage


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _enabled(condition: str | None, inputs: Mapping[str, Any]) -> bool:
    """`field` (truthy), `!field` (falsy), `field=value` or `field!=value` (for a choice field, or
    the portal's `tier`: a bare choice field name would always be true)."""
    if not condition:
        return True
    if "!=" in condition:
        name, expected = condition.split("!=", 1)
        return _as_text(inputs.get(name.strip())) != expected.strip()
    if "=" in condition:
        name, expected = condition.split("=", 1)
        return _as_text(inputs.get(name.strip())) == expected.strip()
    negate = condition.startswith("!")
    value = bool(inputs.get(condition.lstrip("!")))
    return value != negate


def _count(spec: Any, inputs: Mapping[str, Any]) -> int:
    """A number, or a field: its number, or the length of a list field (a for_each over it)."""
    if not isinstance(spec, str):
        return int(spec)
    value = inputs.get(spec, 0)
    if isinstance(value, list | tuple | set | dict):
        return len(value)
    return int(value or 0)


def resources_from_form(
    cost_resources: Iterable[Mapping[str, Any]],
    inventory: Iterable[tuple[str, str]],
    inputs: Mapping[str, Any],
    profile: Mapping[str, float],
) -> list[Resource]:
    """Resources for an estimate before any plan. `inventory` lists (base address, type) of every
    resource block in the blueprint's Terraform; `cost_resources` (from blueprint.yaml) gives the
    attributes, usage and conditions of the billable ones. Blocks with no entry there keep no
    attributes: a free type is counted as free, anything else as unpriced."""
    declared: dict[str, list[Mapping[str, Any]]] = {}
    for entry in cost_resources:
        # Several entries may share an address, each with its own `when` (one NAT gateway in
        # "single" mode, one per AZ in "per_az" mode).
        declared.setdefault(entry["address"], []).append(entry)
    resources = []
    for address, type_ in inventory:
        entries = declared.get(address)
        if entries is None:
            resources.append(Resource(address=address, type=type_))
            continue
        instances: list[tuple[dict[str, Any], dict[str, float]]] = []
        indexed = False
        for entry in entries:
            if not _enabled(entry.get("when"), inputs):
                continue
            count_spec = entry.get("count", 1)
            indexed = indexed or isinstance(count_spec, str) or count_spec != 1
            attributes = _resolve(dict(entry.get("attributes", {})), inputs)
            usage = _usage(entry.get("usage", {}), profile)
            instances += [(attributes, usage)] * _count(count_spec, inputs)
        indexed = indexed or len(instances) > 1
        for index, (attributes, usage) in enumerate(instances):
            suffix = f"[{index}]" if indexed else ""
            resources.append(
                Resource(address=address + suffix, type=type_, attributes=attributes, usage=usage)
            )
    return resources


_INDEX = re.compile(r"\[[^\]]*\]")


def base_address(address: str) -> str:
    """`module.api.aws_lambda_function.this[0]` → `module.api.aws_lambda_function.this`."""
    return _INDEX.sub("", address)


def resources_from_plan(
    plan_json: Mapping[str, Any], usage_for: Callable[[str], Mapping[str, float]]
) -> list[Resource]:
    """The resources a plan leaves in place (created, updated or unchanged; deletions excluded),
    with their planned attributes. `usage_for(base_address)` gives each one's usage."""
    resources = []
    for change in plan_json.get("resource_changes", []):
        if change.get("mode") != "managed":
            continue
        actions = change.get("change", {}).get("actions", [])
        if actions == ["delete"]:
            continue
        after = change.get("change", {}).get("after") or {}
        resources.append(
            Resource(
                address=change["address"],
                type=change["type"],
                attributes=after,
                usage=usage_for(base_address(change["address"])),
            )
        )
    return resources
