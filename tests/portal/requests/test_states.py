"""The request state machine: every move in the table is allowed and recorded on the timeline;
every other move raises IllegalTransition and changes nothing."""

from __future__ import annotations

import pytest

from portal.requests.models import EnvironmentRequest, RequestEvent, RequestState
from portal.requests.states import (
    CLOSED_STATES,
    TRANSITIONS,
    IllegalTransition,
    request_transition,
    transition_allowed,
)

LEGAL = [(source, target) for source, targets in TRANSITIONS.items() for target in sorted(targets)]
ILLEGAL = [
    (source, target)
    for source in RequestState.values
    for target in RequestState.values
    if target not in TRANSITIONS[source]
]


@pytest.fixture
def make_request(sandbox_version, requester, team):
    def make(state: str) -> EnvironmentRequest:
        return EnvironmentRequest.objects.create(
            team=team,
            requester=requester,
            blueprint_version=sandbox_version,
            environment_name="sm-env",
            tier="dev",
            state=state,
        )

    return make


def test_the_table_covers_every_state_and_names_only_states():
    assert set(TRANSITIONS) == set(RequestState.values)
    assert all(set(targets) <= set(RequestState.values) for targets in TRANSITIONS.values())
    assert len(LEGAL) == 13 and len(LEGAL) + len(ILLEGAL) == 10 * 10


def test_closed_states_are_the_final_ones_and_failed():
    assert {"done", "failed", "rejected", "cancelled", "expired"} == CLOSED_STATES
    assert all(not TRANSITIONS[state] for state in CLOSED_STATES - {"failed"})


@pytest.mark.parametrize(("source", "target"), LEGAL)
def test_every_legal_move_changes_the_state_and_records_the_event(make_request, requester, source, target):
    request = make_request(source)
    event = request_transition(request, target, actor=requester, note=f"{source} to {target}")
    request.refresh_from_db()
    assert request.state == target
    assert event.state == target and event.actor == requester and event.note == f"{source} to {target}"
    assert list(RequestEvent.objects.filter(request=request).values_list("state", flat=True)) == [target]


@pytest.mark.parametrize(("source", "target"), ILLEGAL)
def test_every_illegal_move_raises_and_changes_nothing(make_request, source, target):
    request = make_request(source)
    assert not transition_allowed(source, target)
    with pytest.raises(IllegalTransition, match=f"Request #{request.pk} is "):
        request_transition(request, target, actor=None, note="never")
    request.refresh_from_db()
    assert request.state == source
    assert not RequestEvent.objects.filter(request=request).exists()


def test_the_error_names_the_states_and_what_is_allowed(make_request):
    request = make_request(RequestState.DONE)
    with pytest.raises(IllegalTransition, match=r"is done; it cannot become planning .*it is final"):
        request_transition(request, RequestState.PLANNING, actor=None, note="")
    request = make_request(RequestState.DRAFT)
    with pytest.raises(IllegalTransition, match="can become: cancelled, planning"):
        request_transition(request, RequestState.APPLYING, actor=None, note="")


def test_services_refuse_moves_the_table_does_not_allow(make_request, requester):
    from portal.requests.services import environment_request_submit, request_cancel, request_replan

    applying = make_request(RequestState.APPLYING)
    with pytest.raises(IllegalTransition, match="is applying; it cannot become cancelled"):
        request_cancel(request=applying, actor=requester)
    with pytest.raises(IllegalTransition, match="is applying; it cannot become planning"):
        environment_request_submit(request=applying, actor=requester)
    done = make_request(RequestState.DONE)
    with pytest.raises(IllegalTransition, match="is done; it cannot become planning"):
        request_replan(request=done, actor=requester)
    assert {r.state for r in EnvironmentRequest.objects.all()} == {"applying", "done"}
