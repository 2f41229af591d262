"""Writes of policy sets (audited, with a diff) and the evaluation of plans.

For the request and sign-off pages: `policy_report_for_run(run=..., context=...)` evaluates the
enabled, in-scope policy sets against the run's stored plan JSON, stores the report on the run
(PolicyEvaluation) and returns the PolicyReport. See docs/policies.md for how approval uses it.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from portal.audit.services import audit_record
from portal.policies.engine import (
    DEFAULT_BUDGET_MS,
    Policy,
    PolicyContext,
    PolicyReport,
    PolicyResult,
    build_input,
    check_policy,
    evaluate,
    load_policy_dir,
    policies_evaluate_plan,
)
from portal.policies.models import PolicyEvaluation, PolicyOrigin, PolicySet, PolicySetVersion
from portal.policies.selectors import policies_in_scope

METADATA_FIELDS = (
    "description",
    "severity",
    "blueprints",
    "tiers",
    "resource_types",
    "change_fields",
    "break_glass",
    "enabled",
)


class PolicyInvalid(Exception):
    """The policy does not compile or breaks the convention; the message lists why."""


def policies_dir() -> Path:
    return Path(getattr(settings, "POLICIES_DIR", Path(settings.BASE_DIR) / "policies"))


def eval_budget_ms() -> float:
    return float(getattr(settings, "POLICY_EVAL_BUDGET_MS", DEFAULT_BUDGET_MS))


def eval_processes() -> int | None:
    return getattr(settings, "POLICY_EVALUATORS", None)


def _metadata(policy_set: PolicySet) -> dict[str, Any]:
    return {f: getattr(policy_set, f) for f in METADATA_FIELDS}


def _diff(label: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"{label} (before)",
            tofile=f"{label} (after)",
        )
    )


@transaction.atomic
def policy_set_save(
    *,
    name: str,
    source: str,
    actor: Any,
    tests: str = "",
    origin: str = PolicyOrigin.ADMIN,
    ip: str | None = None,
    **metadata: Any,
) -> tuple[PolicySet, str]:
    """Creates or updates the policy set `name`. Compiles first (PolicyInvalid on any problem).
    A change bumps the version, snapshots it and writes an audit event whose data carries a
    unified diff of the Rego and the metadata changes. Returns (set, "created"|"updated"|"unchanged")."""
    unknown = set(metadata) - set(METADATA_FIELDS)
    if unknown:
        raise TypeError(f"unknown policy fields: {', '.join(sorted(unknown))}")
    existing = PolicySet.objects.select_for_update().filter(name=name).first()
    policy_set = existing or PolicySet(name=name)
    before_meta = _metadata(policy_set) if existing else {}
    before_source, before_tests = (existing.source, existing.tests) if existing else ("", "")
    policy_set.source, policy_set.tests = source, tests
    for field, value in metadata.items():
        setattr(policy_set, field, list(value) if isinstance(value, tuple) else value)
    problems = check_policy(policy_set.as_policy())
    if problems:
        raise PolicyInvalid(" ".join(problems))
    after_meta = _metadata(policy_set)
    changed_meta = {k: [before_meta.get(k), v] for k, v in after_meta.items() if before_meta.get(k) != v}
    if existing and not changed_meta and source == before_source and tests == before_tests:
        return existing, "unchanged"
    if existing:
        policy_set.version = existing.version + 1
    policy_set.origin = origin
    policy_set.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    policy_set.save()
    PolicySetVersion.objects.create(
        policy_set=policy_set,
        version=policy_set.version,
        source=source,
        tests=tests,
        metadata=after_meta,
        created_by=policy_set.updated_by,
    )
    outcome = "updated" if existing else "created"
    audit_record(
        actor=actor,
        action=f"policy_set.{outcome}",
        target=policy_set,
        summary=f"{outcome.capitalize()} policy {policy_set.name} (now v{policy_set.version}).",
        ip=ip,
        data={
            "version": policy_set.version,
            "origin": origin,
            "source_sha256": hashlib.sha256(source.encode()).hexdigest(),
            "diff": _diff(f"{name}/policy.rego", before_source, source),
            "tests_diff": _diff(f"{name}/policy_test.rego", before_tests, tests),
            "metadata_changes": changed_meta,
        },
    )
    return policy_set, outcome


def policy_set_save_from_policy(*, policy: Policy, actor: Any, origin: str, enabled: bool | None = None):
    metadata: dict[str, Any] = {
        "description": policy.description,
        "severity": policy.severity,
        "blueprints": list(policy.blueprints),
        "tiers": list(policy.tiers),
        "resource_types": list(policy.resource_types),
        "change_fields": list(policy.change_fields),
        "break_glass": policy.break_glass,
    }
    if enabled is not None:
        metadata["enabled"] = enabled
    return policy_set_save(
        name=policy.name, source=policy.source, tests=policy.tests, actor=actor, origin=origin, **metadata
    )


@transaction.atomic
def policy_set_delete(*, policy_set: PolicySet, actor: Any, ip: str | None = None) -> None:
    audit_record(
        actor=actor,
        action="policy_set.deleted",
        target=policy_set,
        summary=f"Deleted policy {policy_set.name} v{policy_set.version}.",
        ip=ip,
        data={"diff": _diff(f"{policy_set.name}/policy.rego", policy_set.source, "")},
    )
    policy_set.delete()


def policy_sets_sync(*, actor: Any = None, root: Path | None = None) -> list[tuple[PolicySet, str]]:
    """Loads every policy under `root` (default: the repository's policies/ folder) into the
    portal. Each policy is its own transaction; `enabled` of an existing set is left as it is."""
    results = []
    for policy in load_policy_dir(root or policies_dir()):
        exists = PolicySet.objects.filter(name=policy.name).exists()
        results.append(
            policy_set_save_from_policy(
                policy=policy, actor=actor, origin=PolicyOrigin.REPOSITORY, enabled=None if exists else True
            )
        )
    return results


def policy_context_build(
    *,
    team: str = "",
    tier: str = "",
    blueprint: str = "",
    blueprint_version: str = "",
    requester: str = "",
    estimate: float | None = None,
    delta: float | None = None,
    action: str = "",
) -> PolicyContext:
    return PolicyContext(
        team=team,
        tier=tier,
        blueprint=blueprint,
        blueprint_version=blueprint_version,
        requester=requester,
        estimate=None if estimate is None else float(estimate),
        delta=None if delta is None else float(delta),
        action=action,
    )


def policy_context_for_request(request: Any) -> PolicyContext:
    """The context of an environment request (duck-typed: team, tier, blueprint_version,
    requester, kind, monthly_cost_usd, cost_delta_usd), for policy_report_for_run."""
    version = request.blueprint_version
    return policy_context_build(
        team=request.team.slug,
        tier=request.tier,
        blueprint=version.blueprint.slug,
        blueprint_version=version.version,
        requester=request.requester.get_username(),
        estimate=request.monthly_cost_usd,
        delta=request.cost_delta_usd,
        action=request.kind,
    )


def policy_report_for_plan(
    *,
    plan_json: dict[str, Any],
    context: PolicyContext,
    policies: list[Policy] | None = None,
    ignore_scope: bool = False,
) -> PolicyReport:
    """Evaluates `policies` (default: the enabled sets) against a plan. Only those in scope of the
    context's blueprint and tier run, unless `ignore_scope` (the test-policy page)."""
    if policies is None:
        policies = policies_in_scope(blueprint=context.blueprint, tier=context.tier)
    if ignore_scope:
        return evaluate(
            policies,
            build_input(plan_json=plan_json, context=context),
            budget_ms=eval_budget_ms(),
            processes=eval_processes(),
        )
    return policies_evaluate_plan(
        plan_json=plan_json,
        context=context,
        policies=policies,
        budget_ms=eval_budget_ms(),
        processes=eval_processes(),
    )


def policy_report_for_run(*, run: Any, context: PolicyContext, store: bool = True) -> PolicyReport:
    """Evaluates the enabled, in-scope policy sets against a plan run's `plan_json` and (with
    `store`) keeps the report on the run, replacing an earlier one. A run without a plan JSON
    gets a report with one error result, so it can never pass silently."""
    if not run.plan_json:
        report = PolicyReport(
            results=(
                PolicyResult(
                    policy="plan",
                    severity="deny",
                    outcome="error",
                    error="The run has no plan JSON to check.",
                ),
            )
        )
    else:
        report = policy_report_for_plan(plan_json=run.plan_json, context=context)
    if store:
        PolicyEvaluation.objects.update_or_create(
            run=run,
            defaults={"report": report.to_dict(), "context": asdict(context), "passed": report.passed},
        )
    return report
