"""The document a policy sees as `input`: the plan JSON and the request context. No Django."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class PolicyContext:
    """What the portal knows about the request besides the plan. Money is USD per month; `delta`
    is the change against the environment's current cost (None when unknown)."""

    team: str = ""
    tier: str = ""
    blueprint: str = ""
    blueprint_version: str = ""
    requester: str = ""
    estimate: float | None = None
    delta: float | None = None
    # "create", "update" or "destroy": what the request asks for.
    action: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PolicyContext:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        for key in ("estimate", "delta"):
            if known.get(key) is not None:
                known[key] = float(known[key])
        return cls(**known)


# Parts of `terraform show -json` that repeat resource_changes in other shapes. Leaving them out
# halves the input, and rego-cpp's cost grows with the input's size.
OMITTED_PLAN_KEYS = ("planned_values", "prior_state", "configuration")


def build_input(*, plan_json: dict[str, Any], context: PolicyContext) -> dict[str, Any]:
    """`input.plan` is `terraform show -json` without planned_values, prior_state and
    configuration (resource_changes, variables, output_changes, resource_drift stay);
    `input.context` is the request context."""
    plan = {k: v for k, v in plan_json.items() if k not in OMITTED_PLAN_KEYS}
    return {"plan": plan, "context": asdict(context)}
