"""The request state machine: every move the table allows is made and recorded on the timeline;
every other move raises IllegalTransition and changes nothing."""

from __future__ import annotations

import pytest

from portal.requests.models import EnvironmentRequest, RequestEvent, RequestState
from portal.requests.states import (
    CLOSED_STATES,
    MOVES,
    TRANSITIONS,
    IllegalTransition,
    request_transition,
)
from tests.factories import EnvironmentRequestFactory

LEGAL = [(move, source) for move, (sources, _) in MOVES.items() for source in sorted(sources)]
ILLEGAL = [
    (move, state)
    for move, (sources, _) in MOVES.items()
    for state in RequestState.values
    if state not in sources
]


@pytest.fixture
def make_request(requester, team):
    def make(state: str) -> EnvironmentRequest:
        return EnvironmentRequestFactory(team=team, requester=requester, state=state)

    return make


def test_the_table_names_only_states_and_every_state_appears():
    states = set(RequestState.values)
    assert set(TRANSITIONS) == states
    for sources, target in MOVES.values():
        assert sources <= states and target in states
    assert {target for _, target in MOVES.values()} | {RequestState.DRAFT} == states
    assert len(LEGAL) == 13 and len(LEGAL) + len(ILLEGAL) == len(MOVES) * len(states)


def test_the_table_by_state():
    assert TRANSITIONS["draft"] == {"planning", "cancelled"}
    assert TRANSITIONS["awaiting_approval"] == {"approved", "rejected", "expired", "cancelled", "planning"}
    assert TRANSITIONS["failed"] == {"planning"}
    assert {"done", "failed", "rejected", "cancelled", "expired"} == CLOSED_STATES
    assert all(not TRANSITIONS[state] for state in CLOSED_STATES - {"failed"})


@pytest.mark.parametrize(("move", "source"), LEGAL)
def test_every_legal_move_changes_the_state_and_records_the_event(make_request, requester, move, source):
    request = make_request(source)
    event = request_transition(request, move, actor=requester, note=f"{move} from {source}")
    target = MOVES[move][1]
    request.refresh_from_db()
    assert request.state == target
    assert event.state == target and event.actor == requester and event.note == f"{move} from {source}"
    assert list(RequestEvent.objects.filter(request=request).values_list("state", flat=True)) == [target]


@pytest.mark.parametrize(("move", "source"), ILLEGAL)
def test_every_illegal_move_raises_and_changes_nothing(make_request, move, source):
    request = make_request(source)
    with pytest.raises(IllegalTransition, match=f"Request #{request.pk} is "):
        request_transition(request, move, actor=None, note="never")
    request.refresh_from_db()
    assert request.state == source
    assert not RequestEvent.objects.filter(request=request).exists()


def test_the_error_names_the_state_and_where_the_move_starts(make_request):
    request = make_request(RequestState.DONE)
    with pytest.raises(IllegalTransition, match=r"is done; it cannot replan \(only a request that is"):
        request_transition(request, "replan", actor=None, note="")
    request = make_request(RequestState.AWAITING_APPROVAL)
    with pytest.raises(IllegalTransition, match=r"cannot submit \(only a request that is draft can\)"):
        request_transition(request, "submit", actor=None, note="")


def test_services_refuse_moves_the_table_does_not_allow(make_request, requester):
    from portal.requests.services import environment_request_submit, request_cancel, request_replan

    applying = make_request(RequestState.APPLYING)
    with pytest.raises(IllegalTransition, match="is applying; it cannot cancel"):
        request_cancel(request=applying, actor=requester)
    awaiting = make_request(RequestState.AWAITING_APPROVAL)
    with pytest.raises(IllegalTransition, match="is awaiting approval; it cannot submit"):
        environment_request_submit(request=awaiting, actor=requester)
    draft = make_request(RequestState.DRAFT)
    with pytest.raises(IllegalTransition, match="is draft; it cannot replan"):
        request_replan(request=draft, actor=requester)
    assert {r.state for r in EnvironmentRequest.objects.all()} == {"applying", "awaiting_approval", "draft"}


@pytest.mark.parametrize(
    ("state", "buttons"),
    [
        ("draft", {"Submit and plan", "Cancel request"}),
        ("awaiting_approval", {"Re-plan", "Cancel request"}),
        ("failed", {"Re-plan"}),
        ("applying", set()),
        ("done", set()),
    ],
)
def test_the_request_page_offers_the_moves_the_table_and_the_rules_allow(
    client, make_request, requester, platform_admin, make_environment, state, buttons
):
    request = make_request(state)
    request.environment = make_environment(name="page-env")
    request.save()
    labels = {"Submit and plan", "Re-plan", "Cancel request"}

    def offered(user):
        client.force_login(user)
        page = client.get(f"/requests/{request.pk}/").content.decode()
        return {label for label in labels if f">{label}</button>" in page}

    assert offered(requester) == buttons
    assert offered(platform_admin) == buttons & {"Re-plan"}  # admins may re-plan, not submit or cancel
