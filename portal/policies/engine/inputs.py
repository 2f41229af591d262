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


def build_input(*, plan_json: dict[str, Any], context: PolicyContext) -> dict[str, Any]:
    """`input.plan` is `terraform show -json` unchanged; `input.context` is the request context."""
    return {"plan": plan_json, "context": asdict(context)}
