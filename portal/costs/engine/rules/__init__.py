"""Pricing rules: one function per billable AWS resource type, and the types that cost nothing.

The rules are split by service family (compute, serverless, database, storage, network, security,
management); each family module declares its own ``RULES`` and this package assembles the registry.

A rule reads the resource's Terraform attributes under the provider's own names (so the same rule
prices a plan's `after` values and the attributes a blueprint's `cost_resources` fills from the
form) and its monthly usage quantities from `resource.usage`, and returns line items built with
`pricing.item` / `pricing.hourly`, each with the assumption behind its quantity.

Conventions:
- Nested blocks arrive as a list of one object (plan JSON) or as an object; both are read.
- A value a plan does not know yet is simply absent; rules then fall back to the provider default
  or to a stated assumption.
- Usage names are per resource instance and per month: `requests`, `avg_duration_ms`,
  `storage_gb`, `ingest_gb`, `data_out_gb`, `gb_processed`, `hours` (always-on resources default
  to 730 h), ... Each rule's docstring lists the ones it reads.
- A configuration the catalog has no price for raises `UnknownPrice`, which makes the resource
  unpriced with the reason (never $0).

Pure Python, no Django.
"""

from __future__ import annotations

from collections.abc import Mapping

from portal.costs.engine.estimator import PricingRule
from portal.costs.engine.rules import compute, database, management, network, security, serverless, storage
from portal.costs.engine.rules._common import GLOBAL_PRICE_REGION, Unsupported
from portal.costs.engine.rules.free import FREE_TYPES

__all__ = ["FAMILIES", "FREE_TYPES", "GLOBAL_PRICE_REGION", "RULES", "Unsupported"]

#: Each service family's rules, by family name.
FAMILIES: Mapping[str, Mapping[str, PricingRule]] = {
    "compute": compute.RULES,
    "database": database.RULES,
    "management": management.RULES,
    "network": network.RULES,
    "security": security.RULES,
    "serverless": serverless.RULES,
    "storage": storage.RULES,
}


def _assemble(families: Mapping[str, Mapping[str, PricingRule]]) -> dict[str, PricingRule]:
    registry: dict[str, PricingRule] = {}
    for family, rules in families.items():
        for resource_type, rule in rules.items():
            if resource_type in registry:
                raise ValueError(f"{resource_type} has a pricing rule in two families (second: {family})")
            registry[resource_type] = rule
    return dict(sorted(registry.items()))


#: Terraform resource type -> its pricing rule.
RULES: dict[str, PricingRule] = _assemble(FAMILIES)
