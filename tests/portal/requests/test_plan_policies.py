"""Plan policies on requests: evaluated when the plan is ready, shown above the plan, a denial
blocks approval (service and view), a warning needs an acknowledgement that is recorded, and a
decision binds to the plan the approver saw (its SHA-256)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.policies.models import PolicyEvaluation
from portal.policies.selectors import policy_evidence_for_runs
from portal.policies.services import policy_set_save
from portal.requests.models import Approval, RequestState
from portal.requests.services import (
    AcknowledgementRequired,
    PlanChanged,
    PolicyBlocksApproval,
    approval_grant,
    approval_reject,
)
from portal.runs.models import Run, RunKind

APP_RULE = """package portal.{name}

import rego.v1

violations(inp) := {{v |
	some r in inp.plan.resource_changes
	r.type == "null_resource"
	v := {{"msg": concat("", [r.address, ": {text}"]), "resource": r.address}}
}}
"""

BROKEN_RULE = """package portal.{name}

import rego.v1

violations(inp) := {{v |
	some r in inp.plan.resource_changes
	to_number(r.type) > 1
	v := r.address
}}
"""


def add_policy(name, *, severity="deny", text="no apps here", break_glass=False, source=None, **scope):
    policy_set, _ = policy_set_save(
        name=name,
        source=source or APP_RULE.format(name=name, text=text),
        actor=None,
        severity=severity,
        break_glass=break_glass,
        **scope,
    )
    return policy_set


def decide(client, request, **data):
    data.setdefault("plan_sha256", request.plan_run.plan_sha256)
    return client.post(reverse("requests:decide", args=[request.pk]), data)


def test_the_plan_is_evaluated_when_ready_and_stored_on_the_plan_run(awaiting):
    add_policy("no_apps", severity="warn")
    add_policy("prod_only", tiers=["prod"])  # out of scope for staging: not evaluated
    request = awaiting()
    evaluation = PolicyEvaluation.objects.get(run=request.plan_run)
    assert [r["policy"] for r in evaluation.report["results"]] == ["no_apps"]
    assert evaluation.report["results"][0]["messages"][0]["resources"] == ["null_resource.app[0]"]
    assert evaluation.context["tier"] == "staging" and evaluation.context["blueprint"] == "local-sandbox"
    assert evaluation.context["estimate"] == float(request.monthly_cost_usd)
    assert request.policy_decision["plan_policies"]["counts"]["warn"] == 1


def test_a_deny_blocks_approval_in_the_service_and_the_view(client, awaiting, approver):
    add_policy("no_apps", text="apps are not allowed")
    request = awaiting()
    denial = re.escape("no_apps denies: null_resource.app[0]: apps are not allowed")
    with pytest.raises(PolicyBlocksApproval, match=denial):
        approval_grant(request=request, approver=approver, plan_sha256=request.plan_run.plan_sha256)
    client.force_login(approver)
    page = client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    # The results come above the plan, each message linking to its resource in the plan.
    assert page.index('data-testid="plan-policies"') < page.index('data-testid="plan-changes"')
    assert 'href="#resource-null_resource.app%5B0%5D"' in page
    assert 'id="resource-null_resource.app[0]"' in page
    assert "Approval is blocked" in page
    response = decide(client, request, decision="approve")
    assert response.status_code == 302
    assert not Approval.objects.exists()
    request.refresh_from_db()
    assert request.state == RequestState.AWAITING_APPROVAL
    assert not Run.objects.filter(kind=RunKind.APPLY).exists()
    # Rejecting stays possible.
    sha = request.plan_run.plan_sha256
    approval_reject(request=request, approver=approver, comment="fix it", plan_sha256=sha)
    request.refresh_from_db()
    assert request.state == RequestState.REJECTED


def test_a_deny_holds_an_automatic_dev_approval_and_tells_the_requester(
    awaiting, requester, notifications, django_capture_on_commit_callbacks
):
    add_policy("no_apps")
    with django_capture_on_commit_callbacks(execute=True):  # mail is queued after commit
        request = awaiting(tier="dev")
    mail = [m for m in notifications() if requester.email in m.to]
    assert any("the plan policies block approval: no_apps denies" in m.subject for m in mail)
    assert request.state == RequestState.AWAITING_APPROVAL
    assert request.policy_decision["automatic"] is False
    assert any("no_apps denies" in reason for reason in request.policy_decision["reasons"])
    assert any("re-plan" in need for need in request.policy_decision["needs"])


def test_a_held_automatic_approval_does_not_read_approved_automatically(client, awaiting, requester):
    """The cost rule alone would approve the dev request, but a denial holds it: the policy card
    says it is not automatic, never "Approved automatically" above the denial."""
    add_policy("no_apps")
    request = awaiting(tier="dev")
    reasons = request.policy_decision["reasons"]
    assert not any(reason.startswith("Approved automatically") for reason in reasons)
    assert reasons[-2:] == [
        "Not automatic: a plan policy holds it for a person, though the cost alone would have approved it.",
        "Plan policies: no_apps denies: null_resource.app[0]: no apps here",
    ]
    client.force_login(requester)
    page = client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert "Approved automatically" not in page and "Not automatic: a plan policy holds it" in page


def test_break_glass_overrides_only_a_policy_that_allows_it(awaiting, platform_admin):
    add_policy("no_apps", break_glass=True)
    request = awaiting()
    approval = approval_grant(request=request, approver=platform_admin, break_glass_reason="incident 42")
    assert approval.break_glass and approval.policies_passed is False
    event = AuditEvent.objects.get(action="approval.break_glass")
    assert event.data["overridden_policies"] == ["no_apps"]

    add_policy("no_apps_strict")  # break_glass false: nobody may override it
    request = awaiting(name="rq-two", changes="changes-2")
    with pytest.raises(PolicyBlocksApproval, match="no_apps_strict"):
        approval_grant(request=request, approver=platform_admin, break_glass_reason="incident 43")


def test_a_warning_needs_an_acknowledgement_which_is_recorded(client, awaiting, approver):
    add_policy("no_apps", severity="warn", text="apps cost money")
    request = awaiting()
    with pytest.raises(AcknowledgementRequired, match="no_apps"):
        approval_grant(request=request, approver=approver, plan_sha256=request.plan_run.plan_sha256)
    client.force_login(approver)
    page = client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert 'name="acknowledge" value="no_apps"' in page
    decide(client, request, decision="approve")  # without ticking the box
    assert not Approval.objects.exists()
    response = decide(client, request, decision="approve", acknowledge="no_apps", comment="ok")
    assert response.status_code == 302
    approval = Approval.objects.get()
    assert approval.acknowledged_warnings == [
        {"policy": "no_apps", "version": 1, "messages": ["null_resource.app[0]: apps cost money"]}
    ]
    event = AuditEvent.objects.get(action="approval.granted")
    assert event.data["acknowledged_warnings"][0]["policy"] == "no_apps"
    assert "acknowledged warnings of no_apps" in event.summary
    request.refresh_from_db()
    assert request.state == RequestState.APPLYING
    # After the approval, the page links to the apply run it started.
    apply = Run.objects.get(kind=RunKind.APPLY, request=request)
    assert approval.apply_run == apply
    page = client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert f'href="{reverse("runs:detail", args=[apply.pk])}"' in page and f"apply run #{apply.pk}" in page


def test_a_broken_policy_fails_closed(awaiting, approver, platform_admin):
    add_policy("broken", source=BROKEN_RULE.format(name="broken"), break_glass=True)
    request = awaiting()
    evaluation = PolicyEvaluation.objects.get(run=request.plan_run)
    assert evaluation.passed is False and evaluation.report["results"][0]["outcome"] == "error"
    with pytest.raises(PolicyBlocksApproval, match="broken failed"):
        approval_grant(request=request, approver=approver)
    # An error counts as a failure that break-glass may override only when the policy allows it.
    approval_grant(request=request, approver=platform_admin, break_glass_reason="engine fix pending")


def test_a_stale_plan_hash_is_refused_in_the_service(awaiting, approver):
    request = awaiting()
    with pytest.raises(PlanChanged, match="The plan changed while you were reviewing; review the new plan"):
        approval_grant(request=request, approver=approver, plan_sha256="0" * 64)
    with pytest.raises(PlanChanged):
        approval_reject(request=request, approver=approver, comment="no", plan_sha256="0" * 64)
    assert not Approval.objects.exists()
    approval = approval_grant(request=request, approver=approver, plan_sha256=request.plan_run.plan_sha256)
    assert approval.plan_sha256 == request.plan_run.plan_sha256


def test_a_stale_sign_off_page_is_refused_with_409_and_the_new_plan(client, awaiting, approver):
    request = awaiting()
    seen = request.plan_run.plan_sha256
    client.force_login(approver)
    page = client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert f'name="plan_sha256" value="{seen}"' in page
    # A re-plan with other changes finishes while the page is open.
    request = awaiting_replanned(request, changes="changes-9")
    response = decide(client, request, decision="approve", plan_sha256=seen)
    assert response.status_code == 409
    page = response.content.decode()
    assert "The plan changed while you were reviewing; review the new plan." in page
    assert f'name="plan_sha256" value="{request.plan_run.plan_sha256}"' in page
    assert not Approval.objects.exists()
    # A form that names no plan cannot bind to the new one either.
    response = client.post(reverse("requests:decide", args=[request.pk]), {"decision": "approve"})
    assert response.status_code == 409 and not Approval.objects.exists()
    assert decide(client, request, decision="approve").status_code == 302
    assert Approval.objects.get().plan_run == request.plan_run


def awaiting_replanned(request, *, changes):
    from django.db import transaction

    from portal.requests.models import EnvironmentRequest
    from portal.requests.services import request_plan_ready
    from tests.factories import PlanRunFactory

    with transaction.atomic():
        locked = EnvironmentRequest.objects.select_for_update().get(pk=request.pk)
        locked.state = RequestState.PLANNING
        locked.save(update_fields=["state"])
        plan = PlanRunFactory(environment=request.environment, request=request, changes_sha256=changes)
        request_plan_ready(request=locked, plan_run=plan)
    request.refresh_from_db()
    return request


def test_the_evidence_of_policy_results_per_plan_run(awaiting):
    add_policy("no_apps", severity="warn")
    request = awaiting()
    (evidence,) = policy_evidence_for_runs(runs=[request.plan_run])
    assert evidence["run"] == request.plan_run.pk
    assert evidence["plan_sha256"] == request.plan_run.plan_sha256
    assert evidence["report"]["results"][0]["outcome"] == "warn"
    assert evidence["context"]["team"] == request.team.slug
