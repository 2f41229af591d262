"""The request lifecycle: one table of allowed moves, and the one function that makes a move.

draft ──submit──▶ planning ──plan ok──▶ awaiting approval ──policy met──▶ approved ──▶ applying
  │                  │ plan failed          │  │  │  └─re-plan─▶ planning                │
  └─cancel─▶ cancelled ◀──cancel────────────┘  │  └─no decision in time─▶ expired        │
                     ▼                         └─reject─▶ rejected          done ◀───────┤
                   failed ──re-plan──▶ planning                           failed ◀──────┘
"""

from __future__ import annotations

from typing import Any

from portal.requests.models import EnvironmentRequest, RequestEvent, RequestState

S = RequestState

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.PLANNING, S.CANCELLED}),
    S.PLANNING: frozenset({S.AWAITING_APPROVAL, S.FAILED}),
    S.AWAITING_APPROVAL: frozenset({S.APPROVED, S.REJECTED, S.CANCELLED, S.EXPIRED, S.PLANNING}),
    S.APPROVED: frozenset({S.APPLYING}),
    S.APPLYING: frozenset({S.DONE, S.FAILED}),
    S.FAILED: frozenset({S.PLANNING}),
    S.DONE: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
}

# States from which nothing more happens on their own: the final ones, and failed (which only a
# person's re-plan reopens). A request in any other state is still in progress.
CLOSED_STATES: frozenset[str] = frozenset(
    {state for state, targets in TRANSITIONS.items() if not targets} | {S.FAILED}
)


class IllegalTransition(Exception):
    """The request's state does not allow this move."""


def _label(state: str) -> str:
    return S(state).label.lower()


def transition_allowed(current: str, target: str) -> bool:
    return target in TRANSITIONS[current]


def transition_check(request: EnvironmentRequest, target: str) -> None:
    """Raises IllegalTransition, naming the states, when `request` may not move to `target`."""
    if not transition_allowed(request.state, target):
        allowed = ", ".join(sorted(_label(s) for s in TRANSITIONS[request.state])) or "nothing (it is final)"
        raise IllegalTransition(
            f"Request #{request.pk} is {_label(request.state)}; it cannot become {_label(target)} "
            f"(from {_label(request.state)} it can become: {allowed})."
        )


def request_transition(request: EnvironmentRequest, target: str, *, actor: Any, note: str) -> RequestEvent:
    """Moves the request to `target` and records the step on its timeline. Every state change of
    a request goes through here. Call inside the caller's transaction, with the row locked."""
    transition_check(request, target)
    request.state = target
    request.save(update_fields=["state", "updated_at"])
    return RequestEvent.objects.create(request=request, state=target, actor=actor, note=note)
