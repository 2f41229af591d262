"""Value types of the policy engine: a policy, one result, the report over a plan. No Django."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

SEVERITIES = ("deny", "warn", "info")
OUTCOMES = ("pass", "deny", "warn", "info", "error")
TIERS = ("dev", "staging", "prod")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Policy:
    """One policy: a Rego module in `package portal.<name>` defining `violations(inp)`, plus the
    metadata the portal needs (severity, scope). Empty `blueprints`/`tiers` mean "all"."""

    name: str
    source: str
    severity: str = "deny"
    description: str = ""
    blueprints: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    break_glass: bool = False
    tests: str = ""
    version: int = 1
    # When set, the policy sees only these resource types in input.plan.resource_changes (faster).
    resource_types: tuple[str, ...] = ()
    # When set, change.before/change.after of each resource change keep only these keys (faster).
    change_fields: tuple[str, ...] = ()

    def applies_to(self, *, blueprint: str | None, tier: str | None) -> bool:
        if self.blueprints and blueprint not in self.blueprints:
            return False
        return not (self.tiers and tier not in self.tiers)


@dataclass(frozen=True)
class PolicyMessage:
    """One violation: the text and the plan resource addresses it names (possibly none)."""

    msg: str
    resources: tuple[str, ...] = ()


@dataclass(frozen=True)
class PolicyResult:
    """The outcome of one policy over one input. `error` is set when the outcome is "error"."""

    policy: str
    severity: str
    outcome: str
    description: str = ""
    messages: tuple[PolicyMessage, ...] = ()
    error: str = ""
    duration_ms: float = 0.0
    break_glass: bool = False
    version: int = 1

    @property
    def failed(self) -> bool:
        """Blocks approval: a denial, or any policy that could not be evaluated (fail closed)."""
        return self.outcome in ("deny", "error")


@dataclass(frozen=True)
class PolicyReport:
    """Every evaluated policy's result over one plan, in policy-name order."""

    results: tuple[PolicyResult, ...] = field(default_factory=tuple)

    @property
    def denials(self) -> list[PolicyResult]:
        return [r for r in self.results if r.outcome == "deny"]

    @property
    def errors(self) -> list[PolicyResult]:
        return [r for r in self.results if r.outcome == "error"]

    @property
    def warnings(self) -> list[PolicyResult]:
        return [r for r in self.results if r.outcome == "warn"]

    @property
    def infos(self) -> list[PolicyResult]:
        return [r for r in self.results if r.outcome == "info"]

    @property
    def passed(self) -> bool:
        """No denial and no error (warnings and infos do not fail a report)."""
        return not any(r.failed for r in self.results)

    @property
    def needs_acknowledgement(self) -> bool:
        return bool(self.warnings)

    def blocks_approval(self, *, break_glass: bool = False) -> bool:
        """True when approval must be refused. A break-glass approval overrides only the failed
        policies that allow break-glass; every other denial or error still blocks."""
        failed = [r for r in self.results if r.failed]
        if break_glass:
            failed = [r for r in failed if not r.break_glass]
        return bool(failed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "counts": {o: sum(1 for r in self.results if r.outcome == o) for o in OUTCOMES},
            "results": [
                {
                    **asdict(r),
                    "messages": [{"msg": m.msg, "resources": list(m.resources)} for m in r.messages],
                }
                for r in self.results
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PolicyReport:
        results = []
        for r in data.get("results", []):
            messages = tuple(
                PolicyMessage(msg=m["msg"], resources=tuple(m.get("resources", ())))
                for m in r.get("messages", [])
            )
            results.append(PolicyResult(**{**r, "messages": messages}))
        return cls(results=tuple(results))
