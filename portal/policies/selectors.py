"""Reads of policy sets and stored results."""

from __future__ import annotations

from django.db.models import QuerySet

from portal.core.lists import RUN_BLOBS
from portal.policies.engine import Policy, PolicyReport
from portal.policies.models import PolicyEvaluation, PolicySet
from portal.runs.models import Run, RunKind


def policy_set_list(*, enabled_only: bool = False) -> QuerySet[PolicySet]:
    queryset = PolicySet.objects.all()
    return queryset.filter(enabled=True) if enabled_only else queryset


def policies_in_scope(*, blueprint: str | None, tier: str | None) -> list[Policy]:
    """Enabled policies that apply to this blueprint and tier, as engine policies."""
    policies = [s.as_policy() for s in policy_set_list(enabled_only=True)]
    return [p for p in policies if p.applies_to(blueprint=blueprint, tier=tier)]


def plan_runs_with_plan(*, limit: int = 20):
    """The latest plan runs that stored a plan JSON (read-only use of portal.runs)."""
    return (
        Run.objects.filter(kind=RunKind.PLAN, plan_data__plan_json__isnull=False)
        .select_related("environment", "request")
        .defer(*RUN_BLOBS)
        .order_by("-created_at", "-id")[:limit]
    )


def plan_run_get(*, pk: int):
    return (
        Run.objects.filter(kind=RunKind.PLAN, plan_data__plan_json__isnull=False)
        .select_related(
            "request__team",
            "request__requester",
            "request__blueprint_version__blueprint",
            "environment__blueprint_version__blueprint",
            "environment__team",
        )
        .filter(pk=pk)
        .first()
    )


def policy_report_stored(*, run) -> PolicyReport | None:
    """The stored report of a plan run, or None when the run was never evaluated."""
    evaluation = PolicyEvaluation.objects.filter(run=run).first()
    return PolicyReport.from_dict(evaluation.report) if evaluation else None


def policy_evidence_for_runs(*, runs) -> list[dict]:
    """The stored policy results of plan runs, as JSON-ready dicts for an evidence pack: one per
    evaluated run, in the order given (runs never evaluated are left out). Each holds the run id,
    its plan SHA-256, when it was evaluated, the context the policies saw and the whole report
    (every policy with its version, outcome, messages and resource addresses)."""
    run_ids = [run.pk for run in runs]
    evaluations = {
        e.run_id: e
        for e in PolicyEvaluation.objects.filter(run_id__in=run_ids)
        .select_related("run")
        .only("run_id", "report", "context", "passed", "created_at", "run__plan_sha256")
    }
    return [
        {
            "run": run_id,
            "plan_sha256": evaluations[run_id].run.plan_sha256,
            "evaluated_at": evaluations[run_id].created_at.isoformat(),
            "passed": evaluations[run_id].passed,
            "context": evaluations[run_id].context,
            "report": evaluations[run_id].report,
        }
        for run_id in run_ids
        if run_id in evaluations
    ]
