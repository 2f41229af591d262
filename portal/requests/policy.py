"""Approval-policy evaluation, in pure Python: given a policy, the facts about a request and the
approvals it has, say whether it may be applied, what is still needed, and why.

Four-eyes is enforced here and again in the service layer: the requester's own approval never
counts, and one person counts once however many roles they hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

# How the reason of an automatic approval starts (the service drops it when a plan policy holds the request).
AUTOMATIC_REASON = "Approved automatically"


@dataclass(frozen=True)
class PolicySpec:
    name: str
    tier: str
    # Auto-approve when the known monthly cost is below this and the team stays within budget.
    auto_approve_under_usd: Decimal | None = None
    required_approvals: int = 1
    require_platform_admin: bool = False
    budget_approver_when_over_budget: bool = True
    destroy_always_needs_approval: bool = True


# The out-of-the-box policy of each tier (admins change them in the admin pages).
DEFAULT_POLICIES: dict[str, dict[str, object]] = {
    "dev": {
        "name": "Development",
        "auto_approve_under_usd": Decimal("100.00"),
        "required_approvals": 1,
        "require_platform_admin": False,
        "destroy_always_needs_approval": False,
    },
    "staging": {
        "name": "Staging: one team approver",
        "auto_approve_under_usd": None,
        "required_approvals": 1,
        "require_platform_admin": False,
        "destroy_always_needs_approval": False,
    },
    "prod": {
        "name": "Production: two approvers, one a platform admin",
        "auto_approve_under_usd": None,
        "required_approvals": 2,
        "require_platform_admin": True,
        "destroy_always_needs_approval": True,
    },
}


@dataclass(frozen=True)
class RequestFacts:
    requester_id: int
    kind: str  # create | update | destroy
    tier: str
    monthly_cost_usd: Decimal | None  # None: the estimate could not price everything
    over_budget: bool
    routed_to_admins: bool = False  # nobody in the team besides the requester could decide


@dataclass(frozen=True)
class ApprovalFact:
    approver_id: int
    is_team_approver: bool
    is_platform_admin: bool
    is_budget_approver: bool
    break_glass: bool = False


@dataclass
class Decision:
    satisfied: bool
    automatic: bool = False
    break_glass: bool = False
    needs: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def evaluate(policy: PolicySpec, facts: RequestFacts, approvals: list[ApprovalFact]) -> Decision:
    reasons = [f"Policy '{policy.name}' for {policy.tier}."]
    counted: dict[int, ApprovalFact] = {}
    for approval in approvals:
        if approval.approver_id == facts.requester_id:
            reasons.append("The requester's own approval does not count.")
            continue
        counted.setdefault(approval.approver_id, approval)  # one person counts once

    glass = [a for a in counted.values() if a.break_glass and a.is_platform_admin]
    if glass:
        return Decision(
            satisfied=True,
            break_glass=True,
            reasons=[*reasons, "Break-glass approval by a platform admin; flagged for review."],
        )

    destroy_gate = facts.kind == "destroy" and (facts.tier == "prod" or policy.destroy_always_needs_approval)
    if policy.auto_approve_under_usd is not None and not destroy_gate:
        if facts.monthly_cost_usd is None:
            reasons.append("Not automatic: the cost estimate is incomplete, so a person must look.")
        elif facts.over_budget:
            reasons.append("Not automatic: the request takes the team over its monthly budget.")
        elif facts.monthly_cost_usd >= policy.auto_approve_under_usd:
            reasons.append(
                f"Not automatic: ${facts.monthly_cost_usd:.2f}/month is not under "
                f"${policy.auto_approve_under_usd:.2f}."
            )
        else:
            return Decision(
                satisfied=True,
                automatic=True,
                reasons=[
                    *reasons,
                    f"{AUTOMATIC_REASON}: ${facts.monthly_cost_usd:.2f}/month is under "
                    f"${policy.auto_approve_under_usd:.2f} and within the team budget.",
                ],
            )
    elif destroy_gate:
        reasons.append("Destroying needs approval.")

    needs = []
    eligible = [a for a in counted.values() if a.is_team_approver or a.is_platform_admin]
    required = max(policy.required_approvals, 1)
    if len(eligible) < required:
        missing = required - len(eligible)
        deciders = (
            "the platform admins (routed to them)" if facts.routed_to_admins else "the team's approvers"
        )
        needs.append(
            f"{missing} more approval{'s' if missing != 1 else ''} from {deciders}"
            + (f" ({required} distinct people in all)" if required > 1 else "")
        )
    if policy.require_platform_admin and not any(a.is_platform_admin for a in eligible):
        needs.append("an approval from a platform admin")
    if (
        facts.over_budget
        and policy.budget_approver_when_over_budget
        and not any(a.is_budget_approver for a in counted.values())
    ):
        needs.append("an approval from a budget approver (the team goes over budget)")
        reasons.append("Over budget: a budget approver must also sign off.")
    return Decision(satisfied=not needs, needs=needs, reasons=reasons)


# Stands for "some platform admin" when asking whether a team can decide alone: a policy that
# requires a platform admin always asks one, so that need alone is no dead end.
_ANY_PLATFORM_ADMIN = ApprovalFact(
    approver_id=-1, is_team_approver=False, is_platform_admin=True, is_budget_approver=True
)


def team_can_decide(policy: PolicySpec, facts: RequestFacts, team_approvers: list[ApprovalFact]) -> bool:
    """Whether the team's approvers (everyone in the team who may decide; the requester is
    dropped), all approving, would satisfy the policy when a person must look. The platform admin
    a policy requires is taken as given; a False answer means the request would wait for ever
    unless platform admins decide it."""
    needs_a_person = RequestFacts(
        requester_id=facts.requester_id,
        kind=facts.kind,
        tier=facts.tier,
        monthly_cost_usd=None,
        over_budget=False,
    )
    candidates = [a for a in team_approvers if a.approver_id != facts.requester_id and not a.break_glass]
    if policy.require_platform_admin and not any(a.is_platform_admin for a in candidates):
        candidates.append(_ANY_PLATFORM_ADMIN)
    return evaluate(policy, needs_a_person, candidates).satisfied
