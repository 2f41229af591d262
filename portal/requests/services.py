"""Writes for environment requests. Every state change goes through
portal.requests.states.request_transition; who may do what is asked of portal.core.permissions."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from blueprints.inputs import ValidatedInputs, sensitive_names
from portal.accounts.models import Membership, Team
from portal.audit.services import audit_record
from portal.catalog.models import BlueprintVersion
from portal.catalog.toolchain import toolchain_guard
from portal.core.crypto import decrypt_json, encrypt_json
from portal.core.permissions import (
    approver_capacity,
    can_approve,
    can_break_glass,
    can_cancel_request,
    can_replan,
    can_request,
    can_request_destroy,
    can_submit_request,
    can_upgrade_in_bulk,
)
from portal.costs.services import request_plan_cost
from portal.environments.models import EnvironmentStatus
from portal.environments.selectors import team_committed_spend
from portal.environments.services import environment_cost_record, environment_create
from portal.policies.engine import PolicyReport
from portal.policies.selectors import policy_report_stored
from portal.policies.services import policy_context_for_request, policy_report_for_run
from portal.requests.models import (
    Approval,
    ApprovalPolicy,
    EnvironmentRequest,
    RequestEstimates,
    RequestEvent,
    RequestKind,
    RequestState,
)
from portal.requests.notifications import (
    notify_approvers,
    notify_destroy,
    notify_requester,
    notify_routed_to_admins,
)
from portal.requests.policy import (
    AUTOMATIC_REASON,
    DEFAULT_POLICIES,
    ApprovalFact,
    Decision,
    PolicySpec,
    RequestFacts,
    evaluate,
    team_can_decide,
)
from portal.requests.states import CLOSED_STATES, IllegalTransition, request_transition, transition_check
from portal.runs.models import RunKind, RunStatus
from portal.runs.services import RunConflict, run_enqueue

log = logging.getLogger(__name__)


class RequestNotAwaiting(IllegalTransition):
    """The request is not in a state that allows this step."""


class InvalidInputs(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class PlanChanged(RequestNotAwaiting):
    """The decision names a plan (by SHA-256) that is no longer the request's current plan: the
    approver reviewed another plan. A conflict (HTTP 409 in API terms)."""

    message = "The plan changed while you were reviewing; review the new plan."

    def __init__(self, *, expected: str, current: str) -> None:
        super().__init__(self.message)
        self.expected, self.current = expected, current


class PolicyBlocksApproval(PermissionDenied):
    """A plan policy denies the plan (or could not be evaluated), so it cannot be approved."""


class AcknowledgementRequired(InvalidInputs):
    """The plan has policy warnings the approver did not acknowledge."""

    def __init__(self, policies: list[str]) -> None:
        super().__init__(
            {"acknowledge": "Acknowledge the policy warnings before approving: " + ", ".join(policies) + "."}
        )
        self.policies = policies


@transaction.atomic
def environment_request_create(
    *,
    requester: Any,
    team: Team,
    blueprint_version: BlueprintVersion,
    inputs: ValidatedInputs,
    reason: str = "",
    environment: Any = None,
    estimate: dict[str, Any] | None = None,
    ip: str | None = None,
    upgrade_batch: Any = None,
) -> EnvironmentRequest:
    """Stores a create request (or, with `environment`, an update of it) as a draft.

    Sensitive inputs are encrypted; the rest kept as JSON. An update keeps the environment's
    current secrets for sensitive fields left empty (the form never shows them back). A bulk
    upgrade (`upgrade_batch`) is drafted by a platform admin for any team's environment.
    """
    if not inputs.ok:
        raise InvalidInputs(inputs.errors)
    bulk = upgrade_batch is not None and environment is not None and can_upgrade_in_bulk(requester)
    if not (bulk or can_request(requester, team)):
        raise PermissionDenied("You can only request environments for your own teams.")
    if environment is not None and (environment.team_id != team.pk or environment.name != inputs.name):
        raise PermissionDenied("An update keeps the environment's team and name.")
    secret_names = sensitive_names(blueprint_version.as_spec())
    secrets = {name: value for name, value in inputs.values.items() if name in secret_names and value}
    if environment is not None and environment.secret_inputs:
        secrets = {**decrypt_json(environment.secret_inputs), **secrets}
    plain = {name: value for name, value in inputs.values.items() if name not in secret_names}
    kind = RequestKind.UPDATE if environment is not None else RequestKind.CREATE
    request = EnvironmentRequest.objects.create(
        kind=kind,
        state=RequestState.DRAFT,
        team=team,
        requester=requester,
        blueprint_version=blueprint_version,
        environment=environment,
        environment_name=inputs.name,
        tier=inputs.tier,
        region=inputs.region,
        inputs=plain,
        secret_inputs=encrypt_json(secrets) if secrets else "",
        secret_input_names=sorted(secrets),
        reason=reason.strip()[:2000],
        upgrade_batch=upgrade_batch,
    )
    RequestEstimates.objects.create(request=request, estimate=estimate or {})
    RequestEvent.objects.create(
        request=request, state=request.state, actor=requester, note="Request drafted."
    )
    audit_record(
        actor=requester,
        action="request.drafted",
        target=request,
        ip=ip,
        summary=f"{requester} drafted {request} from {blueprint_version} ({inputs.tier}) for {team}.",
        data={"inputs": plain, "secret_inputs": sorted(secrets)},
    )
    return request


@transaction.atomic
def environment_destroy_request(
    *, requester: Any, environment: Any, confirm_name: str, reason: str, ip: str | None = None
) -> EnvironmentRequest:
    """Drafts a request to destroy an environment (its plan is a destroy plan). The requester
    confirms by typing the environment's name and must give a reason."""
    if not can_request_destroy(requester, environment):
        raise PermissionDenied("Only the owning team can ask to destroy this environment.")
    errors = {}
    if environment.status == EnvironmentStatus.DESTROYED:
        errors["environment"] = f"{environment} is already destroyed."
    elif environment.requests.filter(kind=RequestKind.DESTROY).exclude(state__in=CLOSED_STATES).exists():
        errors["environment"] = f"{environment} already has a destroy request in progress."
    if confirm_name.strip() != environment.name:
        errors["confirm_name"] = f"Type the environment's name, {environment.name}, to confirm."
    if not reason.strip():
        errors["reason"] = "Say why this environment should be destroyed."
    if errors:
        raise InvalidInputs(errors)
    request = EnvironmentRequest.objects.create(
        kind=RequestKind.DESTROY,
        state=RequestState.DRAFT,
        team=environment.team,
        requester=requester,
        blueprint_version=environment.blueprint_version,
        environment=environment,
        environment_name=environment.name,
        tier=environment.tier,
        region=environment.region,
        inputs=environment.inputs,
        reason=reason.strip()[:2000],
    )
    RequestEvent.objects.create(
        request=request, state=request.state, actor=requester, note="Destroy drafted."
    )
    audit_record(
        actor=requester,
        action="request.drafted",
        target=request,
        ip=ip,
        summary=f"{requester} drafted the destruction of {environment}.",
    )
    return request


def _queue_plan(
    request: EnvironmentRequest,
    *,
    move: str,
    actor: Any,
    ip: str | None,
    reason: str,
    action: str,
    note: str,
    summary: str,
) -> Any:
    """Queues the request's plan (a destroy plan for a destroy request); `note` and `summary` name
    the run as {run}. Call inside the caller's transaction, with the request row locked."""
    transition_check(request, move)
    run = run_enqueue(
        kind=RunKind.PLAN,
        actor=actor,
        environment=request.environment,
        request=request,
        destroy_plan=request.kind == RequestKind.DESTROY,
        reason=reason,
        ip=ip,
    )
    request_transition(request, move, actor=actor, note=note.format(run=run.pk))
    audit_record(actor=actor, action=action, target=request, ip=ip, summary=summary.format(run=run.pk))
    return run


def _lock_for_move(
    request: EnvironmentRequest, move: str, *, actor: Any, may: Callable[[Any, Any], bool], refusal: str
) -> EnvironmentRequest:
    """The request's row, locked, once `may(actor, row)` holds (PermissionDenied(`refusal`)
    otherwise) and its state allows `move` (IllegalTransition otherwise)."""
    request = EnvironmentRequest.objects.select_for_update().get(pk=request.pk)
    if not may(actor, request):
        raise PermissionDenied(refusal)
    transition_check(request, move)
    return request


@transaction.atomic
def environment_request_submit(*, request: EnvironmentRequest, actor: Any, ip: str | None = None) -> Any:
    """Draft → planning: creates the environment (for a create request) and queues its plan."""
    request = _lock_for_move(
        request,
        "submit",
        actor=actor,
        may=can_submit_request,
        refusal="Only the requester can submit this request.",
    )
    toolchain_guard(version=request.blueprint_version)  # refuses what this installation cannot run
    if request.environment_id is None:
        request.environment = environment_create(request=request, actor=actor)
        request.save(update_fields=["environment"])
    run = _queue_plan(
        request,
        move="submit",
        actor=actor,
        ip=ip,
        reason=f"Plan for request #{request.pk}",
        action="request.submitted",
        note="Submitted; plan run #{run} queued.",
        summary=f"{actor} submitted {request}; plan run #{{run}} queued.",
    )
    request_route_approvers(request=request, actor=actor)
    if request.kind == RequestKind.DESTROY:
        _notify_destroy_requested(request)
    return run


def _notify_destroy_requested(request: EnvironmentRequest) -> None:
    notify_destroy(
        request.environment,
        subject=f"destroy requested by {request.requester}",
        body=f"{request.requester} asked to destroy {request.environment} (request #{request.pk}).\n"
        f"Reason: {request.reason or 'none given'}",
    )


def team_approver_facts(request: EnvironmentRequest) -> list[ApprovalFact]:
    """Everyone in the request's team who may decide on it (portal.core.permissions), as the
    policy sees them, the requester excluded."""
    memberships = list(
        Membership.objects.filter(user__memberships__team_id=request.team_id)
        .exclude(user_id=request.requester_id)
        .distinct()
    )
    by_user: dict[int, list[Membership]] = {}
    for membership in memberships:
        by_user.setdefault(membership.user_id, []).append(membership)
    facts = [
        ApprovalFact(approver_id=user_id, **approver_capacity(held, request.team_id))
        for user_id, held in by_user.items()
    ]
    return [f for f in facts if f.is_team_approver or f.is_platform_admin or f.is_budget_approver]


def request_route_approvers(*, request: EnvironmentRequest, actor: Any) -> bool:
    """At submit: when nobody in the team besides the requester can satisfy the tier's policy,
    the request goes to the platform admins (they may decide on any team's request, so it is in
    their approval queue), which the timeline records and they are told. Returns whether it was
    routed. Call inside the submit's transaction."""
    facts = RequestFacts(
        requester_id=request.requester_id,
        kind=request.kind,
        tier=request.tier,
        monthly_cost_usd=None,
        over_budget=False,
    )
    policy = _policy_for(request)
    if team_can_decide(_policy_spec(policy), facts, team_approver_facts(request)):
        return False
    why = (
        f"Nobody in {request.team} besides {request.requester} can satisfy the policy "
        f"'{policy.name}' ({policy.required_approvals} approval"
        f"{'s' if policy.required_approvals != 1 else ''}), so the platform admins decide on it."
    )
    request.routed_to_admins = True
    request.save(update_fields=["routed_to_admins", "updated_at"])
    RequestEvent.objects.create(request=request, state=request.state, actor=actor, note=why)
    audit_record(actor=actor, action="request.routed_to_admins", target=request, summary=f"{request}: {why}")
    notify_routed_to_admins(request, why)
    return True


def request_run_ended(sender: Any, *, run: Any, **kwargs: Any) -> None:
    """Receiver of portal.runs.signals.run_ended (connected in RequestsConfig.ready)."""
    if run.request_id:
        request_run_finished(request_id=run.request_id, run=run)


def request_run_finished(*, request_id: int, run: Any) -> None:
    """Moves a request along when one of its runs ends (called inside the run's final transaction)."""
    request = EnvironmentRequest.objects.select_for_update().get(pk=request_id)
    if run.kind == RunKind.PLAN and request.state == RequestState.PLANNING:
        if run.status == RunStatus.SUCCEEDED:
            request_plan_ready(request=request, plan_run=run)
        else:
            request_transition(
                request, "plan_failed", actor=None, note=f"Plan run #{run.pk} {run.status}: {run.error}"
            )
            notify_requester(request, f"the plan failed: {run.error}")
    elif run.kind in (RunKind.APPLY, RunKind.DESTROY) and request.state == RequestState.APPLYING:
        done = run.status == RunStatus.SUCCEEDED
        if done and request.environment is not None:
            destroyed = run.kind == RunKind.DESTROY
            update = request.kind == RequestKind.UPDATE  # the environment now runs what the update planned
            environment_cost_record(
                environment=request.environment,
                monthly_cost_usd=Decimal(0) if destroyed else request.monthly_cost_usd,
                cost_estimate={} if destroyed else request.plan_estimate,
                blueprint_version=request.blueprint_version if update else None,
                inputs=request.inputs if update else None,
                secret_inputs=request.secret_inputs if update else None,
            )
        note = f"{run.get_kind_display()} run #{run.pk} {run.status}" + (
            f": {run.error}" if run.error else "."
        )
        request_transition(request, "apply_done" if done else "apply_failed", actor=None, note=note)
        audit_record(
            actor=None,
            action="request.applied" if done else "request.apply_failed",
            target=request,
            summary=f"{request}: {note}",
        )
        notify_requester(request, note)
        if done and run.kind == RunKind.DESTROY and request.environment is not None:
            notify_destroy(
                request.environment,
                subject=f"destroyed by run #{run.pk}",
                body=f"{request.environment} was destroyed by run #{run.pk} (request #{request.pk}). "
                "Its final state version is kept.",
            )


def approval_policies_ensure_defaults() -> None:
    """Creates the default policy of each tier that has none (the data migration does the same
    on a new database; tests that flush tables call this)."""
    for tier, values in DEFAULT_POLICIES.items():
        ApprovalPolicy.objects.get_or_create(tier=tier, defaults=values)


def _policy_for(request: EnvironmentRequest) -> ApprovalPolicy:
    policy = ApprovalPolicy.objects.filter(tier=request.tier).first()
    if policy is None:  # never approve by default: an absent policy means the strictest rule
        return ApprovalPolicy(
            name="Fallback: two approvers, one a platform admin",
            tier=request.tier,
            required_approvals=2,
            require_platform_admin=True,
        )
    return policy


def _policy_spec(policy: ApprovalPolicy) -> PolicySpec:
    return PolicySpec(
        name=policy.name,
        tier=policy.tier,
        auto_approve_under_usd=policy.auto_approve_under_usd,
        required_approvals=policy.required_approvals,
        require_platform_admin=policy.require_platform_admin,
        budget_approver_when_over_budget=policy.budget_approver_when_over_budget,
        destroy_always_needs_approval=policy.destroy_always_needs_approval,
    )


def _approval_fact(request: EnvironmentRequest, approval: Approval) -> ApprovalFact:
    memberships = Membership.objects.filter(user_id=approval.approver_id)
    return ApprovalFact(
        approver_id=approval.approver_id,
        break_glass=approval.break_glass,
        **approver_capacity(memberships, request.team_id),
    )


def request_decision(request: EnvironmentRequest) -> Decision:
    """Evaluates the tier's policy on the request's live approvals (pure core: policy.evaluate)."""
    facts = RequestFacts(
        requester_id=request.requester_id,
        kind=request.kind,
        tier=request.tier,
        monthly_cost_usd=request.monthly_cost_usd,
        over_budget=request.over_budget,
        routed_to_admins=request.routed_to_admins,
    )
    approvals = [
        _approval_fact(request, a)
        for a in request.approvals.filter(voided_at__isnull=True, decision=Approval.Decision.APPROVED)
    ]
    return evaluate(_policy_spec(_policy_for(request)), facts, approvals)


def request_plan_ready(*, request: EnvironmentRequest, plan_run: Any) -> None:
    """A plan succeeded: price it, bind or void approvals, apply the policy, and either queue the
    apply (automatic approval) or wait for approvers."""
    cost = request_plan_cost(request=request, plan_run=plan_run, committed=team_committed_spend(request.team))
    request.plan_run = plan_run
    request.monthly_cost_usd, request.cost_delta_usd, request.over_budget = (
        cost.monthly,
        cost.delta,
        cost.over_budget,
    )
    request.awaiting_since = timezone.now()
    live = request.approvals.filter(voided_at__isnull=True)
    for approval in live:
        if approval.changes_sha256 == plan_run.changes_sha256:
            approval.plan_run, approval.plan_sha256 = plan_run, plan_run.plan_sha256
            approval.save(update_fields=["plan_run", "plan_sha256"])
            audit_record(
                actor=None,
                action="approval.kept",
                target=request,
                summary=f"{approval.approver}'s approval kept: plan run #{plan_run.pk} is identical.",
            )
        else:
            approval.voided_at, approval.void_reason = timezone.now(), f"Plan run #{plan_run.pk} differs."
            approval.save(update_fields=["voided_at", "void_reason"])
            audit_record(
                actor=None,
                action="approval.voided",
                target=request,
                summary=f"{approval.approver}'s {approval.decision} voided: plan run #{plan_run.pk} "
                "differs from the plan they reviewed.",
            )
    report = policy_report_for_run(run=plan_run, context=policy_context_for_request(request))
    policy = _policy_for(request)
    request.policy = policy if policy.pk else None
    decision = request_decision(request)
    reasons = list(decision.reasons)
    held = decision.satisfied and (report.blocks_approval() or report.needs_acknowledgement)
    if held and decision.automatic:  # under the threshold, but a plan policy holds it for a person
        reasons = [r for r in reasons if not r.startswith(AUTOMATIC_REASON)]
        reasons.append(
            "Not automatic: a plan policy holds it for a person, though the cost alone would have "
            "approved it."
        )
    if report.blocks_approval():
        reasons.append("Plan policies: " + _blocking_text(report))
    elif report.needs_acknowledgement:
        reasons.append(
            "Plan policies warn (an approver must acknowledge): "
            + ", ".join(r.policy for r in report.warnings)
        )
    request.policy_decision = {
        "policy": policy.name,
        "needs": decision.needs + _policy_needs(report),
        "reasons": reasons,
        "automatic": decision.automatic and not held,
        "plan_policies": {"passed": report.passed, "counts": report.to_dict()["counts"]},
    }
    request.save()
    RequestEstimates.objects.update_or_create(request=request, defaults={"plan_estimate": cost.estimate})
    request_transition(
        request,
        "plan_ready",
        actor=None,
        note=f"Plan run #{plan_run.pk}: +{plan_run.plan_add} ~{plan_run.plan_change} -{plan_run.plan_destroy}"
        + (f", {cost.label}." if cost.label else "."),
    )
    audit_record(
        actor=None,
        action="request.planned",
        target=request,
        summary=f"{request} planned by run #{plan_run.pk}; {'; '.join(reasons)}",
        data={"policy_report": report.to_dict()["counts"], "policies_passed": report.passed},
    )
    if decision.satisfied and not held:
        _request_approved(request, actor=None, decision=decision)
    else:
        notify_approvers(request)
        if report.blocks_approval(break_glass=True):  # nobody can approve it: the requester must act
            notify_requester(request, f"the plan policies block approval: {_blocking_text(report)}")


def _policy_needs(report: PolicyReport) -> list[str]:
    if report.blocks_approval(break_glass=True):
        return ["a plan the plan policies do not deny (change the request and re-plan)"]
    if report.blocks_approval():
        return ["a platform admin's break-glass approval, or a plan the plan policies do not deny"]
    if report.needs_acknowledgement:
        return ["an approver who acknowledges the plan policies' warnings"]
    return []


def _blocking_text(report: PolicyReport) -> str:
    parts = []
    for result in report.results:
        if result.failed:
            what = result.error or "; ".join(m.msg for m in result.messages)
            parts.append(f"{result.policy} {'denies' if result.outcome == 'deny' else 'failed'}: {what}")
    return " ".join(parts)


def request_policy_report(request: EnvironmentRequest) -> PolicyReport | None:
    """The plan policies' report of the request's current plan, or None before a plan exists.
    A plan evaluated before policies ran here is evaluated (and stored) now: approval never
    proceeds on a plan that was not checked."""
    if request.plan_run is None:
        return None
    report = policy_report_stored(run=request.plan_run)
    if report is None:
        report = policy_report_for_run(run=request.plan_run, context=policy_context_for_request(request))
    return report


def _check_plan_policies(
    request: EnvironmentRequest, *, break_glass: bool, acknowledged: set[str]
) -> tuple[PolicyReport, list[dict[str, Any]]]:
    """Refuses an approval the plan policies block, or one that leaves a warning unacknowledged.
    Returns the report and the acknowledgements to record with the approval."""
    report = request_policy_report(request)
    assert report is not None  # an awaiting request always has its plan
    if report.blocks_approval(break_glass=break_glass):
        overridable = not break_glass and not report.blocks_approval(break_glass=True)
        raise PolicyBlocksApproval(
            "The plan policies block approval. "
            + _blocking_text(report)
            + (" A platform admin may override this by break-glass." if overridable else "")
        )
    missing = [r.policy for r in report.warnings if r.policy not in acknowledged]
    if missing:
        raise AcknowledgementRequired(missing)
    recorded = [
        {"policy": r.policy, "version": r.version, "messages": [m.msg for m in r.messages]}
        for r in report.warnings
    ]
    return report, recorded


def _check_plan_hash(request: EnvironmentRequest, plan_sha256: str | None) -> None:
    if plan_sha256 is None:  # a caller that shows no plan (the portal's own jobs) binds to the current one
        return
    current = request.plan_run.plan_sha256
    if plan_sha256.strip().lower() != current:
        raise PlanChanged(expected=plan_sha256, current=current)


def _request_approved(request: EnvironmentRequest, *, actor: Any, decision: Decision) -> Any:
    how = "automatically" if decision.automatic else ("by break-glass" if decision.break_glass else "")
    # A person's approval already has its own timeline entry; this one says the request is through.
    note = f"Approved {how}." if how else "Every required approval is in."
    request_transition(request, "approve", actor=actor, note=note)
    audit_record(
        actor=actor,
        action="request.approved",
        target=request,
        summary=f"{request} approved {how}: {'; '.join(decision.reasons)}".replace("  ", " "),
    )
    kind = RunKind.DESTROY if request.kind == RequestKind.DESTROY else RunKind.APPLY
    run = run_enqueue(
        kind=kind,
        actor=actor,
        environment=request.environment,
        request=request,
        plan_run=request.plan_run,
        reason=f"Apply approved plan of request #{request.pk}",
    )
    request_transition(
        request, "start_apply", actor=actor, note=f"{run.get_kind_display()} run #{run.pk} queued."
    )
    notify_requester(request, f"approved; {run.get_kind_display().lower()} run #{run.pk} queued")
    return run


def _check_approver(request: EnvironmentRequest, approver: Any) -> None:
    if not can_approve(approver, request):
        raise PermissionDenied(
            "You cannot approve or reject your own request."
            if approver.pk == request.requester_id
            else f"Only {request.team}'s approvers or a platform admin can decide on this request."
        )


def _lock_awaiting(request: EnvironmentRequest) -> EnvironmentRequest:
    request = EnvironmentRequest.objects.select_for_update().get(pk=request.pk)
    if request.state != RequestState.AWAITING_APPROVAL:
        raise RequestNotAwaiting(
            f"{request} is {request.get_state_display().lower()}, not awaiting approval."
        )
    age = timezone.now() - request.plan_run.finished_at
    if age.total_seconds() > settings.PLAN_MAX_AGE_S:
        raise RequestNotAwaiting(f"The plan of {request} is older than allowed; re-plan it first.")
    return request


@transaction.atomic
def approval_grant(
    *,
    request: EnvironmentRequest,
    approver: Any,
    comment: str = "",
    break_glass_reason: str = "",
    plan_sha256: str | None = None,
    acknowledged: Iterable[str] = (),
    ip: str | None = None,
) -> Approval:
    """Records an approval bound to the current plan file and cost; applies when the policy is met.

    `plan_sha256` is the plan the approver reviewed (the sign-off form and the API send it); a
    different current plan raises PlanChanged. A plan policy that denies (or errors) raises
    PolicyBlocksApproval, also by break-glass unless every failed policy allows break-glass.
    Every warned policy must be in `acknowledged` (AcknowledgementRequired otherwise); the
    acknowledgements are recorded with the approval and audited.
    The request row is locked, so two approvers clicking at once produce one apply.
    """
    request = _lock_awaiting(request)
    _check_approver(request, approver)
    _check_plan_hash(request, plan_sha256)
    if request.approvals.filter(approver=approver, voided_at__isnull=True).exists():
        raise PermissionDenied("You have already decided on this plan; one person counts once.")
    if break_glass_reason.strip() and not can_break_glass(approver, request):
        raise PermissionDenied("Only a platform admin can approve by break-glass.")
    report, acknowledgements = _check_plan_policies(
        request, break_glass=bool(break_glass_reason.strip()), acknowledged=set(acknowledged)
    )
    approval = Approval.objects.create(
        request=request,
        approver=approver,
        decision=Approval.Decision.APPROVED,
        comment=comment.strip(),
        plan_run=request.plan_run,
        plan_sha256=request.plan_run.plan_sha256,
        changes_sha256=request.plan_run.changes_sha256,
        monthly_cost_usd=request.monthly_cost_usd,
        break_glass=bool(break_glass_reason.strip()),
        break_glass_reason=break_glass_reason.strip(),
        acknowledged_warnings=acknowledgements,
        policies_passed=report.passed,
    )
    RequestEvent.objects.create(
        request=request,
        state=request.state,
        actor=approver,
        note=("Break-glass approval: " + approval.break_glass_reason)
        if approval.break_glass
        else f"Approved{': ' + approval.comment if approval.comment else ''}.",
    )
    audit_record(
        actor=approver,
        action="approval.break_glass" if approval.break_glass else "approval.granted",
        target=request,
        ip=ip,
        data={
            "plan_sha256": approval.plan_sha256,
            "reason": break_glass_reason,
            "policies_passed": report.passed,
            "overridden_policies": [r.policy for r in report.results if r.failed],
            "acknowledged_warnings": acknowledgements,
        },
        summary=f"{approver} approved {request} (plan sha256 {approval.plan_sha256[:12]}…)"
        + (f" by break-glass: {approval.break_glass_reason}" if approval.break_glass else "")
        + (
            f"; acknowledged warnings of {', '.join(a['policy'] for a in acknowledgements)}"
            if acknowledgements
            else ""
        ),
    )
    decision = request_decision(request)
    request.policy_decision = {
        **request.policy_decision,
        "needs": decision.needs,
        "reasons": decision.reasons,
    }
    request.break_glass = request.break_glass or decision.break_glass
    request.save(update_fields=["policy_decision", "break_glass", "updated_at"])
    if decision.satisfied:
        approval.apply_run = _request_approved(request, actor=approver, decision=decision)
        approval.save(update_fields=["apply_run"])
    return approval


@transaction.atomic
def approval_reject(
    *,
    request: EnvironmentRequest,
    approver: Any,
    comment: str,
    plan_sha256: str | None = None,
    ip: str | None = None,
) -> Approval:
    """Rejects the request. `plan_sha256`, as for approval_grant, must name the current plan."""
    request = _lock_awaiting(request)
    _check_approver(request, approver)
    _check_plan_hash(request, plan_sha256)
    if not comment.strip():
        raise InvalidInputs({"comment": "Say why you reject it."})
    approval = Approval.objects.create(
        request=request,
        approver=approver,
        decision=Approval.Decision.REJECTED,
        comment=comment.strip(),
        plan_run=request.plan_run,
        plan_sha256=request.plan_run.plan_sha256,
        changes_sha256=request.plan_run.changes_sha256,
        monthly_cost_usd=request.monthly_cost_usd,
    )
    request_transition(request, "reject", actor=approver, note=f"Rejected: {approval.comment}")
    audit_record(
        actor=approver,
        action="request.rejected",
        target=request,
        ip=ip,
        summary=f"{approver} rejected {request}: {approval.comment}",
    )
    notify_requester(request, f"rejected by {approver}: {approval.comment}")
    return approval


@transaction.atomic
def request_replan(*, request: EnvironmentRequest, actor: Any, ip: str | None = None) -> Any:
    """Plans again (a stale plan, or drift since). Approvals survive only if the changes are identical."""

    request = _lock_for_move(
        request,
        "replan",
        actor=actor,
        may=can_replan,
        refusal="Only the requester or a platform admin can re-plan.",
    )
    if request.environment is None:
        raise RequestNotAwaiting(f"{request} has no environment to plan (it was never submitted).")
    toolchain_guard(version=request.blueprint_version)
    run = _queue_plan(
        request,
        move="replan",
        actor=actor,
        ip=ip,
        reason=f"Re-plan of request #{request.pk}",
        action="request.replanned",
        note="Re-plan queued as run #{run}.",
        summary=f"{actor} re-planned {request} (run #{{run}}).",
    )
    return run


@transaction.atomic
def request_cancel(*, request: EnvironmentRequest, actor: Any, ip: str | None = None) -> None:
    request = EnvironmentRequest.objects.select_for_update().get(pk=request.pk)
    if not can_cancel_request(actor, request):
        raise PermissionDenied("Only the requester can cancel this request.")
    request_transition(request, "cancel", actor=actor, note="Cancelled by the requester.")
    audit_record(
        actor=actor,
        action="request.cancelled",
        target=request,
        ip=ip,
        summary=f"{actor} cancelled {request}.",
    )


def requests_expire(*, now: Any = None) -> int:
    """Beat: requests waiting for approval longer than REQUEST_APPROVAL_TTL_S expire."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.REQUEST_APPROVAL_TTL_S)
    expired = 0
    for pk in EnvironmentRequest.objects.filter(
        state=RequestState.AWAITING_APPROVAL, awaiting_since__lt=cutoff
    ).values_list("pk", flat=True):
        with transaction.atomic():
            request = EnvironmentRequest.objects.select_for_update().get(pk=pk)
            if request.state != RequestState.AWAITING_APPROVAL:
                continue
            request_transition(request, "expire", actor=None, note="Expired while awaiting approval.")
            audit_record(
                actor=None,
                action="request.expired",
                target=request,
                summary=f"{request} expired after waiting {settings.REQUEST_APPROVAL_TTL_S / 3600:.0f} h.",
            )
            notify_requester(request, "expired without a decision")
            expired += 1
    return expired


def environment_expired_destroy_request(
    sender: Any, *, environment: Any, **kwargs: Any
) -> EnvironmentRequest | None:
    """Receiver of portal.environments.signals.environment_expired (connected in
    RequestsConfig.ready): opens a destroy request with its destroy plan, unless one is already in
    progress or the environment is busy (the next expiry pass tries again). Returns the request."""
    if environment.requests.filter(kind=RequestKind.DESTROY).exclude(state__in=CLOSED_STATES).exists():
        return None
    try:
        with transaction.atomic():
            request = EnvironmentRequest.objects.create(
                kind=RequestKind.DESTROY,
                state=RequestState.DRAFT,
                team=environment.team,
                requester=environment.owner,
                blueprint_version=environment.blueprint_version,
                environment_name=environment.name,
                tier=environment.tier,
                region=environment.region,
                inputs=environment.inputs,
                environment=environment,
                reason="Expired (TTL reached).",
            )
            RequestEvent.objects.create(request=request, state=request.state, note="Opened at expiry.")
            audit_record(
                actor=None,
                action="environment.expired",
                target=environment,
                summary=f"{environment} reached its expiry; destroy request #{request.pk} opened.",
            )
            _queue_plan(
                request,
                move="submit",
                actor=None,
                ip=None,
                reason=f"Destroy plan for expired {environment}",
                action="request.submitted",
                note="Destroy plan run #{run} queued.",
                summary=f"{request} submitted at expiry; destroy plan run #{{run}} queued.",
            )
            request_route_approvers(request=request, actor=None)
            _notify_destroy_requested(request)
    except RunConflict:
        log.info("%s is busy; its destroy plan is queued by the next expiry pass", environment)
        return None
    return request
