"""Approver eligibility never dead-ends: at submit, a request that nobody in its team besides the
requester can approve goes to the platform admins (page notice, timeline, audit, notification,
their approval queue), for every request kind."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.requests.models import EnvironmentRequest, RequestKind, RequestState
from portal.requests.notifications import approver_emails
from portal.requests.selectors import approval_queue
from portal.requests.services import (
    approval_grant,
    environment_destroy_request,
    environment_request_submit,
    request_decision,
    request_plan_ready,
)
from portal.requests.views import ROUTED_NOTE
from portal.runs.models import Run, RunStatus
from tests.factories import EnvironmentRequestFactory, MembershipFactory, PlanRunFactory

KINDS = [RequestKind.CREATE, RequestKind.UPDATE, RequestKind.DESTROY]


@pytest.fixture
def draft(sandbox, team, requester, make_environment):
    """A submitted-ready draft of each kind, by `requester`, in `tier`."""

    def make(kind: str, tier: str = "staging") -> EnvironmentRequest:
        if kind == RequestKind.CREATE:
            return EnvironmentRequestFactory(
                team=team,
                requester=requester,
                blueprint_version=sandbox,
                tier=tier,
                environment_name="rt-new",
            )
        environment = make_environment(name=f"rt-{kind}", tier=tier)
        if kind == RequestKind.UPDATE:
            return EnvironmentRequestFactory(
                kind=RequestKind.UPDATE,
                team=team,
                requester=requester,
                blueprint_version=sandbox,
                environment=environment,
                environment_name=environment.name,
                tier=tier,
                inputs=environment.inputs,
            )
        return environment_destroy_request(
            requester=requester, environment=environment, confirm_name=environment.name, reason="done"
        )

    return make


def _plan_ready(request: EnvironmentRequest) -> EnvironmentRequest:
    """The submitted plan, as if a worker had run it (the queued row is replaced by a recorded one)."""
    Run.objects.filter(request=request, status=RunStatus.QUEUED).update(status=RunStatus.CANCELLED)
    with transaction.atomic():
        plan = PlanRunFactory(
            environment=request.environment, request=request, destroy_plan=request.kind == RequestKind.DESTROY
        )
        request_plan_ready(
            request=EnvironmentRequest.objects.select_for_update().get(pk=request.pk), plan_run=plan
        )
    request.refresh_from_db()
    return request


@pytest.mark.parametrize("kind", KINDS)
def test_a_request_no_team_member_can_approve_goes_to_the_platform_admins(
    kind, draft, requester, platform_admin, notifications, django_capture_on_commit_callbacks, client
):
    request = draft(kind)
    with django_capture_on_commit_callbacks(execute=True):
        environment_request_submit(request=request, actor=requester)
    request.refresh_from_db()
    assert request.routed_to_admins and request.state == RequestState.PLANNING
    note = request.events.get(note__contains="platform admins decide").note
    assert "Nobody in" in note and requester.username in note
    assert AuditEvent.objects.filter(action="request.routed_to_admins", target_id=str(request.pk)).exists()
    told = [m for m in notifications() if platform_admin.email in m.to]
    assert told and "needs a platform admin's decision" in told[0].subject
    assert requester.email not in told[0].to

    client.force_login(requester)
    page = client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert 'data-testid="routed-to-admins"' in page and "the platform admins decide" in page

    request = _plan_ready(request)
    assert request.state == RequestState.AWAITING_APPROVAL
    assert request_decision(request).needs == ["1 more approval from the platform admins (routed to them)"]
    assert platform_admin.email in approver_emails(request)
    assert approval_queue(user=platform_admin).filter(pk=request.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        approval_grant(request=request, approver=platform_admin)
    request.refresh_from_db()
    assert request.state == RequestState.APPLYING  # the admin's approval alone satisfied staging


@pytest.mark.parametrize("kind", KINDS)
def test_a_team_with_another_approver_keeps_its_request(kind, draft, requester, approver, platform_admin):
    request = draft(kind)
    environment_request_submit(request=request, actor=requester)
    request.refresh_from_db()
    assert not request.routed_to_admins
    assert not request.events.filter(note__contains="platform admins decide").exists()
    request = _plan_ready(request)
    assert platform_admin.email not in approver_emails(request)


def test_the_requesters_own_approver_role_does_not_count(draft, team, requester, platform_admin):
    requester.memberships.filter(team=team).update(role="approver")
    request = draft(RequestKind.CREATE)
    environment_request_submit(request=request, actor=requester)
    request.refresh_from_db()
    assert request.routed_to_admins


def test_prod_needs_one_team_approver_besides_the_platform_admin(draft, team, requester, platform_admin):
    alone = draft(RequestKind.CREATE, tier="prod")
    environment_request_submit(request=alone, actor=requester)
    alone.refresh_from_db()
    assert alone.routed_to_admins  # two approvals needed, and the team has nobody to give one

    MembershipFactory(team=team, role="approver")
    helped = draft(RequestKind.DESTROY, tier="prod")
    environment_request_submit(request=helped, actor=requester)
    helped.refresh_from_db()
    assert not helped.routed_to_admins  # the team approver plus the required platform admin


def test_a_budget_approver_alone_cannot_satisfy_the_count(draft, team, requester, platform_admin):
    MembershipFactory(team=team, role="requester", budget_approver=True)
    request = draft(RequestKind.UPDATE)
    environment_request_submit(request=request, actor=requester)
    request.refresh_from_db()
    assert request.routed_to_admins


def test_the_message_after_submitting_says_the_request_went_to_the_platform_admins(
    draft, requester, platform_admin, client, make_environment
):
    client.force_login(requester)
    created = draft(RequestKind.CREATE)
    response = client.post(reverse("requests:submit", args=[created.pk]), follow=True)
    assert ROUTED_NOTE in response.content.decode()

    environment = make_environment(name="rt-gone", tier="staging")
    response = client.post(
        reverse("requests:destroy", args=[environment.pk]),
        {"confirm_name": environment.name, "reason": "done"},
        follow=True,
    )
    assert "submitted; its destroy plan is queued." in response.content.decode()
    assert ROUTED_NOTE in response.content.decode()
