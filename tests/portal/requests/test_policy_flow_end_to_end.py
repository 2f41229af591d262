"""Issue 15's "done when", with a real worker and real Terraform: a platform admin adds a policy
in the admin that denies more than 3 sandbox `app_replicas` in dev; a request for 5 replicas shows
the denial above its plan and cannot be approved; one for 2 replicas passes. And a policy that
breaks at runtime fails closed on a real plan."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from portal.policies.models import PolicyEvaluation, PolicySet
from portal.requests.models import Approval, EnvironmentRequest, RequestState
from portal.requests.services import PolicyBlocksApproval, approval_grant
from portal.runs.models import Run, RunKind
from tests.portal.runs.conftest import wait_for, wait_for_run

pytestmark = pytest.mark.integration

REPLICAS = Path(__file__).resolve().parents[1] / "policies" / "fixtures" / "sandbox_replicas"


def add_policy_in_the_admin(client, *, name, source, tiers="dev"):
    response = client.post(
        reverse("admin:policies_policyset_add"),
        {
            "name": name,
            "description": "At most 3 app replicas in dev.",
            "severity": "deny",
            "enabled": "on",
            "blueprints_text": "local-sandbox",
            "tiers_text": tiers,
            "resource_types_text": "",
            "change_fields_text": "",
            "source": source,
            "tests": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return PolicySet.objects.get(name=name)


def request_and_plan(client, team, *, name, replicas):
    response = client.post(
        reverse("catalog:request", args=["local-sandbox"]),
        {
            "team": team.pk,
            "name": name,
            "tier": "dev",
            "rendered_tier": "dev",
            "app_replicas": str(replicas),
            "greeting": "hi",
            "cache_size_mb": "128",
            "apply_seconds": "0",
            "api_token": "policy-secret-123",
            "reason": "policy flow",
            "usage_profile": "small",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    request = EnvironmentRequest.objects.get(environment_name=name)
    client.post(reverse("requests:submit", args=[request.pk]))
    plan = Run.objects.get(request=request, kind=RunKind.PLAN)
    assert wait_for_run(plan, timeout=120).status == "succeeded"
    planned = lambda: EnvironmentRequest.objects.get(pk=request.pk).state != RequestState.PLANNING  # noqa: E731
    wait_for(planned, what="plan ready")
    request.refresh_from_db()
    return request, plan


def test_a_replica_policy_denies_5_and_passes_2_on_real_sandbox_plans(
    client, portal_url, celery_worker, sandbox, requester, approver, platform_admin, team
):
    client.force_login(platform_admin)
    add_policy_in_the_admin(client, name="sandbox_replicas", source=(REPLICAS / "policy.rego").read_text())

    client.force_login(requester)
    request, plan = request_and_plan(client, team, name="five-apps", replicas=5)
    # Dev would be approved automatically; the denial holds it.
    assert request.state == RequestState.AWAITING_APPROVAL
    evaluation = PolicyEvaluation.objects.get(run=plan)
    assert evaluation.passed is False
    client.force_login(approver)
    page = client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert "app_replicas is 5; dev allows at most 3" in page
    assert page.index("app_replicas is 5") < page.index('data-testid="plan-changes"')
    for i in range(5):
        assert f'id="resource-null_resource.app[{i}]"' in page
        assert f'href="#resource-null_resource.app%5B{i}%5D"' in page
    response = client.post(
        reverse("requests:decide", args=[request.pk]),
        {"decision": "approve", "plan_sha256": plan.plan_sha256},
    )
    assert response.status_code == 302
    assert not Approval.objects.exists()
    with pytest.raises(PolicyBlocksApproval):
        approval_grant(request=request, approver=approver, plan_sha256=plan.plan_sha256)
    with pytest.raises(PolicyBlocksApproval):  # no break-glass for this policy
        approval_grant(request=request, approver=platform_admin, break_glass_reason="please")
    request.refresh_from_db()
    assert request.state == RequestState.AWAITING_APPROVAL
    assert not Run.objects.filter(request=request, kind=RunKind.APPLY).exists()

    client.force_login(requester)
    request, plan = request_and_plan(client, team, name="two-apps", replicas=2)
    evaluation = PolicyEvaluation.objects.get(run=plan)
    assert evaluation.passed is True
    assert [r["outcome"] for r in evaluation.report["results"]] == ["pass"]
    # Passing dev plans keep the automatic approval: the apply runs.
    apply = Run.objects.get(request=request, kind=RunKind.APPLY)
    assert wait_for_run(apply, timeout=120).status == "succeeded"
    wait_for(lambda: EnvironmentRequest.objects.get(pk=request.pk).state == RequestState.DONE, what="done")


BROKEN = """package portal.broken_numbers

import rego.v1

violations(inp) := {v |
	some r in inp.plan.resource_changes
	to_number(r.name) > 1
	v := r.address
}
"""


def test_a_policy_that_breaks_at_runtime_fails_closed_on_a_real_plan(
    client, portal_url, celery_worker, sandbox, requester, approver, platform_admin, team
):
    client.force_login(platform_admin)
    add_policy_in_the_admin(client, name="broken_numbers", source=BROKEN)
    client.force_login(requester)
    request, plan = request_and_plan(client, team, name="broken-env", replicas=1)
    assert request.state == RequestState.AWAITING_APPROVAL
    (result,) = PolicyEvaluation.objects.get(run=plan).report["results"]
    assert result["outcome"] == "error" and result["error"]
    client.force_login(approver)
    page = client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert result["error"] in page.replace("&quot;", '"').replace("&#x27;", "'")
    decide = {"decision": "approve", "plan_sha256": plan.plan_sha256}
    client.post(reverse("requests:decide", args=[request.pk]), decide)
    assert not Approval.objects.exists()
