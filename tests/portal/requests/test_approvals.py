"""Four-eyes approvals bound to the exact plan, with policies by tier, cost and budget."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.requests.models import Approval, EnvironmentRequest, RequestState
from portal.requests.selectors import approval_queue
from portal.requests.services import approval_grant, approval_reject, request_plan_ready, requests_expire
from portal.runs.models import Run, RunKind, RunPlanData
from tests.factories import MembershipFactory, PlanRunFactory, TeamFactory


def test_self_approval_is_refused_in_the_service_and_the_view(client, awaiting, requester, team):
    MembershipFactory(user=requester, team=TeamFactory(slug="platform"), role="platform_admin")
    request = awaiting()
    with pytest.raises(PermissionDenied, match="your own request"):
        approval_grant(request=request, approver=requester)
    client.force_login(requester)
    response = client.post(reverse("requests:decide", args=[request.pk]), {"decision": "approve"})
    assert response.status_code == 302
    assert not Approval.objects.exists()
    request.refresh_from_db()
    assert request.state == RequestState.AWAITING_APPROVAL


def test_an_approver_from_another_team_is_refused(awaiting):
    other_approver = MembershipFactory(role="approver").user
    with pytest.raises(PermissionDenied, match="approvers or a platform admin"):
        approval_grant(request=awaiting(), approver=other_approver)


def test_staging_needs_one_team_approver_then_applies_the_approved_plan(
    awaiting, approver, notifications, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # mail is queued after commit
        request = awaiting()
    assert request.state == RequestState.AWAITING_APPROVAL
    assert "1 more approval" in request.policy_decision["needs"][0]
    assert any(approver.email in m.to for m in notifications())  # approvers are told
    approval = approval_grant(request=request, approver=approver, comment="looks right")
    request.refresh_from_db()
    assert request.state == RequestState.APPLYING
    apply = Run.objects.get(kind=RunKind.APPLY, request=request)
    assert apply.plan_run == request.plan_run and approval.plan_sha256 == request.plan_run.plan_sha256
    assert AuditEvent.objects.filter(action="approval.granted", target_id=str(request.pk)).exists()
    assert AuditEvent.objects.filter(action="request.approved", target_id=str(request.pk)).exists()
    # The timeline names the person's approval once, then says the request is through.
    notes = list(request.events.order_by("pk").values_list("note", flat=True))
    assert notes.count("Approved: looks right.") == 1
    assert [n for n in notes if n.startswith("Approved")] == ["Approved: looks right."]
    assert "Every required approval is in." in notes


def test_prod_needs_two_distinct_approvers_one_a_platform_admin(
    awaiting, approver, second_approver, platform_admin
):
    request = awaiting(tier="prod")
    approval_grant(request=request, approver=approver)
    with pytest.raises(PermissionDenied, match="one person counts once"):
        approval_grant(request=request, approver=approver)
    request.refresh_from_db()
    assert request.state == RequestState.AWAITING_APPROVAL
    approval_grant(request=request, approver=second_approver)
    request.refresh_from_db()
    assert request.state == RequestState.AWAITING_APPROVAL  # two approvers, but no platform admin
    assert any("platform admin" in need for need in request.policy_decision["needs"])
    approval_grant(request=request, approver=platform_admin)
    request.refresh_from_db()
    assert request.state == RequestState.APPLYING


def replanned(request, **plan):
    """Plans `request` again (a PlanRunFactory run with `plan`'s fields) and hands the new plan
    to request_plan_ready, as a finished plan run does; returns that run."""
    request.refresh_from_db()
    request.state = RequestState.PLANNING
    request.save()
    with transaction.atomic():
        run = PlanRunFactory(environment=request.environment, request=request, **plan)
        request_plan_ready(
            request=EnvironmentRequest.objects.select_for_update().get(pk=request.pk), plan_run=run
        )
    request.refresh_from_db()
    return run


def test_a_changed_plan_voids_approvals_and_an_identical_one_keeps_them(
    awaiting, approver, second_approver, platform_admin
):
    request = awaiting(tier="prod")
    approval_grant(request=request, approver=approver)
    first = Approval.objects.get()
    same = replanned(request, changes_sha256="changes-1", plan_sha256="f" * 64)
    first.refresh_from_db()
    assert first.voided_at is None and first.plan_run == same and first.plan_sha256 == "f" * 64

    replanned(request, changes_sha256="changes-2")
    first.refresh_from_db()
    assert first.voided_at is not None and "differs" in first.void_reason
    assert AuditEvent.objects.filter(action="approval.voided").exists()


def test_an_approver_whose_approval_a_changed_plan_voided_sees_the_request_again(
    awaiting, approver, second_approver
):
    request = awaiting(tier="prod")
    approval_grant(request=request, approver=approver)
    assert not approval_queue(user=approver).filter(pk=request.pk).exists()  # decided already
    replanned(request, changes_sha256="new")
    approval_grant(request=request, approver=second_approver)  # someone else signs the new plan
    request.refresh_from_db()
    assert request.state == RequestState.AWAITING_APPROVAL, "prod needs more than one approval"

    # The first approver's decision was on the old plan: the new one waits for them again.
    assert approval_queue(user=approver).filter(pk=request.pk).exists()
    assert not approval_queue(user=second_approver).filter(pk=request.pk).exists()


def test_break_glass_lets_an_admin_approve_alone_and_is_recorded(awaiting, platform_admin, approver):
    request = awaiting(tier="prod")
    with pytest.raises(PermissionDenied, match="Only a platform admin"):
        approval_grant(request=request, approver=approver, break_glass_reason="outage")
    approval_grant(request=request, approver=platform_admin, break_glass_reason="payments outage INC-42")
    request.refresh_from_db()
    assert request.state == RequestState.APPLYING and request.break_glass
    event = AuditEvent.objects.get(action="approval.break_glass")
    assert "INC-42" in event.summary


def test_reject_needs_a_comment_and_tells_the_requester(
    awaiting, approver, requester, notifications, django_capture_on_commit_callbacks
):
    request = awaiting()
    with pytest.raises(Exception, match="Say why"):
        approval_reject(request=request, approver=approver, comment=" ")
    with django_capture_on_commit_callbacks(execute=True):
        approval_reject(request=request, approver=approver, comment="too big for staging")
    request.refresh_from_db()
    assert request.state == RequestState.REJECTED
    assert any(requester.email in m.to and "too big" in m.body for m in notifications())


def test_dev_under_the_threshold_is_approved_automatically(awaiting):
    request = awaiting(tier="dev")
    assert request.monthly_cost_usd == Decimal("0.00")  # the sandbox is free and fully priced
    assert request.state == RequestState.APPLYING and request.policy_decision["automatic"] is True


def test_over_budget_also_needs_a_budget_approver(awaiting, approver, team, platform_admin):
    team.monthly_budget_usd = Decimal("0")
    team.save()
    request = awaiting()
    # A zero budget means "no budget set": not over. Give it a tiny budget and an unknown cost instead.
    team.monthly_budget_usd = Decimal("1")
    team.save()
    unpriced_plan = {
        "resource_changes": [
            {
                "address": "aws_nat_gateway.x",
                "mode": "managed",
                "type": "aws_imaginary_thing",
                "name": "x",
                "change": {"actions": ["create"], "after": {}},
            }
        ]
    }
    RunPlanData.objects.update_or_create(run_id=request.plan_run_id, defaults={"plan_json": unpriced_plan})
    request.state = RequestState.PLANNING
    request.save()
    with transaction.atomic():
        request_plan_ready(
            request=EnvironmentRequest.objects.select_for_update().get(pk=request.pk),
            plan_run=Run.objects.get(pk=request.plan_run_id),
        )
    request.refresh_from_db()
    assert request.monthly_cost_usd is None and request.over_budget  # unpriced never counts as within budget
    approval_grant(request=request, approver=approver)
    request.refresh_from_db()
    assert request.state == RequestState.AWAITING_APPROVAL
    assert any("budget approver" in need for need in request.policy_decision["needs"])
    approval_grant(request=request, approver=platform_admin)
    request.refresh_from_db()
    assert request.state == RequestState.APPLYING


def test_requests_awaiting_too_long_expire(awaiting, settings):
    request = awaiting()
    settings.REQUEST_APPROVAL_TTL_S = 0
    assert requests_expire() == 1
    request.refresh_from_db()
    assert request.state == RequestState.EXPIRED


def test_the_queue_lists_what_waits_for_the_approver_but_not_own_requests(
    client, awaiting, approver, requester
):
    request = awaiting()
    client.force_login(approver)
    assert f"{request.environment_name}" in client.get(reverse("requests:queue")).content.decode()
    page = client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert 'data-testid="sign-off"' in page and "null_resource.app[0]" in page
    client.force_login(requester)
    assert request.environment_name not in client.get(reverse("requests:queue")).content.decode()
    assert (
        'data-testid="sign-off"'
        not in client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    )


@pytest.mark.django_db(transaction=True)
def test_two_approvers_clicking_at_once_produce_exactly_one_apply(awaiting, approver, second_approver):
    request = awaiting()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def click(user):
        try:
            barrier.wait(timeout=10)
            approval_grant(request=request, approver=user)
            outcomes.append("approved")
        except Exception as exc:  # the loser finds the request no longer awaiting approval
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(user,)) for user in (approver, second_approver)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["RequestNotAwaiting", "approved"], outcomes
    assert Run.objects.filter(kind=RunKind.APPLY, request=request).count() == 1
    assert Approval.objects.filter(request=request).count() == 1
