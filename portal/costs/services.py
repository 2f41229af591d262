"""Cost estimates for the web side: from the form, from a plan, and against team budgets.
The arithmetic is in the pure cost engine (portal.costs.engine: estimator, rules, prices); this
module only loads what it needs from the database and settings and passes them in."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

from blueprints.inputs import ValidatedInputs, validate_inputs
from blueprints.inventory import inventory
from portal.costs.engine.estimator import (
    Estimate,
    base_address,
    estimate,
    resources_from_form,
    resources_from_plan,
)
from portal.costs.engine.prices import PriceCatalog, latest_catalog_path, load_catalog
from portal.costs.engine.rules import FREE_TYPES, RULES

PROFILES = ("small", "medium", "large")


@lru_cache(maxsize=8)
def _catalog(path: str, mtime_ns: int) -> PriceCatalog:
    return load_catalog(Path(path))


def current_catalog() -> PriceCatalog:
    """The newest dated catalog in PRICE_CATALOG_DIR, cached until the file changes."""
    path = latest_catalog_path(Path(settings.PRICE_CATALOG_DIR))
    return _catalog(str(path), path.stat().st_mtime_ns)


_INVENTORIES: dict[tuple[int, str], tuple[tuple[str, str], ...]] = {}


def _inventory(version: Any) -> tuple[tuple[str, str], ...]:
    """The version's resource inventory, parsed once per process (versions are immutable)."""
    key = (version.pk, version.source_sha256)
    if key not in _INVENTORIES:
        _INVENTORIES[key] = tuple(inventory(version.source_files, version.entry_dir))
    return _INVENTORIES[key]


def _region(version: Any, region: str) -> str:
    # The local sandbox has no region; its resources are all free, priced against us-east-1.
    return region or "us-east-1"


def usage_profile(version: Any, profile: str | dict[str, float]) -> dict[str, float]:
    if isinstance(profile, dict):
        return profile
    if profile not in version.metadata["usage_profiles"]:
        raise ValueError(f"Unknown usage profile {profile!r}; choose one of: {', '.join(PROFILES)}.")
    return dict(version.metadata["usage_profiles"][profile])


def form_estimate(
    *,
    version: Any,
    inputs: ValidatedInputs,
    profile: str | dict[str, float] = "medium",
    free_tier: bool = False,
) -> Estimate:
    """An itemized monthly estimate of a blueprint version with these validated inputs (their
    tier and region included: some resources exist only in prod), before any plan."""
    resources = resources_from_form(
        version.metadata.get("cost_resources", []),
        _inventory(version),
        {**inputs.values, "tier": inputs.tier},
        usage_profile(version, profile),
    )
    return estimate(
        resources,
        catalog=current_catalog(),
        region=_region(version, inputs.region),
        rules=RULES,
        free_types=FREE_TYPES,
        free_tier=free_tier,
        discount_factor=settings.COST_DISCOUNT_FACTOR,
    )


def plan_estimate(
    *, version: Any, plan_json: dict[str, Any], region: str, profile: str = "medium"
) -> Estimate:
    """Prices what a plan leaves in place, as Infracost does; usage comes from the profile via the
    blueprint's cost_resources entries, matched by address."""
    usage_map = {e["address"]: e.get("usage", {}) for e in version.metadata.get("cost_resources", [])}
    quantities = usage_profile(version, profile)

    def usage_for(address: str) -> dict[str, float]:
        return {
            name: float(quantities[src]) if isinstance(src, str) else float(src)
            for name, src in usage_map.get(base_address(address), {}).items()
        }

    resources = resources_from_plan(plan_json, usage_for)
    return estimate(
        resources,
        catalog=current_catalog(),
        region=_region(version, region),
        rules=RULES,
        free_types=FREE_TYPES,
        free_tier=False,
        discount_factor=settings.COST_DISCOUNT_FACTOR,
    )


def money(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PlanCost:
    monthly: Decimal | None  # None when some resource is unpriced
    delta: Decimal | None  # against the environment's current cost
    over_budget: bool
    label: str
    estimate: dict[str, Any]


def request_plan_cost(*, request: Any, plan_run: Any, committed: Decimal) -> PlanCost:
    """Prices a request's plan, its change against the environment's current cost, and whether it
    takes the team over its monthly budget (an incomplete estimate never counts as within it).
    `committed` is the team's current monthly spend (environments.selectors.team_committed_spend)."""
    result = plan_estimate(
        version=request.blueprint_version, plan_json=plan_run.plan_json or {}, region=request.region
    )
    environment = request.environment
    current = (
        environment.monthly_cost_usd
        if environment is not None and environment.monthly_cost_usd
        else Decimal(0)
    )
    complete = result.coverage.complete
    monthly = money(result.total_monthly_usd) if complete else None
    delta = (monthly - current) if monthly is not None else None
    budget = request.team.monthly_budget_usd
    over_budget = bool(budget) and (delta is None or committed + delta > budget)
    if monthly is None:
        label = f"cost incomplete: {result.coverage}"
    elif delta:
        label = f"${monthly:,.2f}/month ({'+' if delta > 0 else '-'}${abs(delta):,.2f}/month)"
    else:
        label = f"${monthly:,.2f}/month (no change)"
    return PlanCost(
        monthly=monthly, delta=delta, over_budget=over_budget, label=label, estimate=result.to_dict()
    )


def cost_range(version: Any) -> dict[str, Any]:
    """The catalog card's range: the cheapest tier with small usage to prod with large usage."""
    region = "us-east-1" if version.blueprint.runtime == "aws" else ""
    low_inputs = validate_inputs(version.as_spec(), {"name": "range", "tier": "dev", "region": region})
    high_inputs = validate_inputs(version.as_spec(), {"name": "range", "tier": "prod", "region": region})
    low = form_estimate(version=version, inputs=low_inputs, profile="small")
    high = form_estimate(version=version, inputs=high_inputs, profile="large")
    return {
        "low": low.total_monthly_usd,
        "high": high.total_monthly_usd,
        "region": region or "any",
        "complete": low.coverage.complete and high.coverage.complete,
    }


def custom_usage(version: Any, base: str, overrides: dict[str, str]) -> dict[str, float]:
    """A usage profile with some quantities replaced by the user's own numbers. Unknown names,
    negative, non-finite or absurd numbers are refused with a message naming the valid ones."""
    profile = usage_profile(version, base)
    for name, raw in overrides.items():
        if name not in profile:
            raise ValueError(
                f"Unknown usage quantity {name!r}; this blueprint has: {', '.join(sorted(profile))}."
            )
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"Usage {name} must be a number, not {raw!r}.") from None
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"Usage {name} must be zero or more, not {raw}.")
        if value > MAX_USAGE:
            raise ValueError(f"Usage {name}={raw} is beyond any plausible month (max {MAX_USAGE:g}).")
        profile[name] = value
    return profile


MAX_USAGE = 1e13  # more than a trillion requests or GB a month is a typo, not a forecast


def cost_panel(version: Any, result: ValidatedInputs, options: dict[str, Any]) -> dict[str, Any]:
    """The live estimate for the form; a value the estimator cannot use gives a message, not $0."""
    if options.get("usage_error"):
        return {"error": options["usage_error"]}
    try:
        estimate = form_estimate(
            version=version,
            inputs=result,
            profile=options["profile"],
            free_tier=options["free_tier"],
        )
    except (KeyError, TypeError, ValueError) as exc:
        return {"error": f"Fix the highlighted fields to see the estimate ({exc})."}
    data = estimate.to_dict()
    top = max(data["by_service"].values(), default=0) or 1
    data["chart"] = [
        {"service": name, "usd": usd, "pct": round(100 * usd / top, 1)}
        for name, usd in data["by_service"].items()
    ]
    return data
