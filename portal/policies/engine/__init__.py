"""Policy as code, the pure core: Rego policies evaluated in-process against `terraform show -json`
plus the request context. No Django imports; the Django app `portal.policies` wraps it.

Convention (docs/policies.md): a policy is `package portal.<name>` with a function
`violations(inp)` returning a set of `{"msg": ..., "resource": <address>}` objects (or strings).
The policy's severity (deny, warn, info) is metadata, not code.
"""

from typing import Any

from portal.policies.engine.evaluator import evaluate
from portal.policies.engine.inputs import PolicyContext, build_input
from portal.policies.engine.loader import PolicyLoadError, load_policy, load_policy_dir
from portal.policies.engine.model import (
    OUTCOMES,
    SEVERITIES,
    TIERS,
    Policy,
    PolicyMessage,
    PolicyReport,
    PolicyResult,
)
from portal.policies.engine.rego import (
    DEFAULT_BUDGET_MS,
    RegoTestResult,
    check_policy,
    evaluate_policy,
    run_policy_tests,
)


def policies_in_scope(policies: list[Policy], *, blueprint: str | None, tier: str | None) -> list[Policy]:
    return [p for p in policies if p.applies_to(blueprint=blueprint, tier=tier)]


def policies_evaluate_plan(
    *,
    plan_json: dict[str, Any],
    context: PolicyContext,
    policies: list[Policy],
    budget_ms: float = DEFAULT_BUDGET_MS,
    isolate: bool = True,
    processes: int | None = None,
) -> PolicyReport:
    """Evaluates the policies that apply to the context's blueprint and tier against the plan."""
    in_scope = policies_in_scope(policies, blueprint=context.blueprint, tier=context.tier)
    return evaluate(
        in_scope,
        build_input(plan_json=plan_json, context=context),
        budget_ms=budget_ms,
        isolate=isolate,
        processes=processes,
    )


__all__ = [
    "DEFAULT_BUDGET_MS",
    "OUTCOMES",
    "SEVERITIES",
    "TIERS",
    "Policy",
    "PolicyContext",
    "PolicyLoadError",
    "PolicyMessage",
    "PolicyReport",
    "PolicyResult",
    "RegoTestResult",
    "build_input",
    "check_policy",
    "evaluate",
    "evaluate_policy",
    "load_policy",
    "load_policy_dir",
    "policies_evaluate_plan",
    "policies_in_scope",
    "run_policy_tests",
]
