"""The request lifecycle: one table of allowed moves (MOVES), and the one function that makes a
move (request_transition).

    draft ─submit─▶ planning ─plan_ready─▶ awaiting approval ─approve─▶ approved ─start_apply─▶ applying
      │               │ plan_failed          │ │ │ └─replan─▶ planning                            │
      │               ▼                      │ │ └─expire─▶ expired              apply_done ─▶ done
      │             failed ─replan─▶ planning │ └─reject─▶ rejected          apply_failed ─▶ failed
      └─cancel─▶ cancelled ◀─cancel──────────┘
"""

from __future__ import annotations

from typing import Any

from portal.requests.models import EnvironmentRequest, RequestEvent, RequestState

S = RequestState

# move: (the states it may start from, the state it leads to)
MOVES: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({S.DRAFT}), S.PLANNING),
    "replan": (frozenset({S.AWAITING_APPROVAL, S.FAILED}), S.PLANNING),
    "plan_ready": (frozenset({S.PLANNING}), S.AWAITING_APPROVAL),
    "plan_failed": (frozenset({S.PLANNING}), S.FAILED),
    "approve": (frozenset({S.AWAITING_APPROVAL}), S.APPROVED),
    "reject": (frozenset({S.AWAITING_APPROVAL}), S.REJECTED),
    "expire": (frozenset({S.AWAITING_APPROVAL}), S.EXPIRED),
    "cancel": (frozenset({S.DRAFT, S.AWAITING_APPROVAL}), S.CANCELLED),
    "start_apply": (frozenset({S.APPROVED}), S.APPLYING),
    "apply_done": (frozenset({S.APPLYING}), S.DONE),
    "apply_failed": (frozenset({S.APPLYING}), S.FAILED),
}

# The same table by state: where each state can lead.
TRANSITIONS: dict[str, frozenset[str]] = {
    state: frozenset(target for sources, target in MOVES.values() if state in sources) for state in S.values
}

# States from which nothing more happens on their own: the final ones, and failed (which only a
# person's re-plan reopens). A request in any other state is still in progress.
CLOSED_STATES: frozenset[str] = frozenset(
    {state for state, targets in TRANSITIONS.items() if not targets} | {S.FAILED}
)


def moves_from(state: str) -> frozenset[str]:
    """The moves a request in `state` can make (the request page offers only these)."""
    return frozenset(move for move, (sources, _) in MOVES.items() if state in sources)


class IllegalTransition(Exception):
    """The request's state does not allow this move."""


def _label(state: str) -> str:
    return S(state).label.lower()


def transition_check(request: EnvironmentRequest, move: str) -> str:
    """Returns the state `move` leads to; raises IllegalTransition, naming the states, when the
    request's state does not allow it."""
    sources, target = MOVES[move]
    if request.state not in sources:
        allowed = ", ".join(sorted(_label(s) for s in sources))
        raise IllegalTransition(
            f"Request #{request.pk} is {_label(request.state)}; it cannot {move.replace('_', ' ')} "
            f"(only a request that is {allowed} can)."
        )
    return target


def request_transition(request: EnvironmentRequest, move: str, *, actor: Any, note: str) -> RequestEvent:
    """Makes the move and records it on the request's timeline. Every state change of a request
    goes through here. Call inside the caller's transaction, with the request row locked."""
    request.state = transition_check(request, move)
    request.save(update_fields=["state", "updated_at"])
    return RequestEvent.objects.create(request=request, state=request.state, actor=actor, note=note)
