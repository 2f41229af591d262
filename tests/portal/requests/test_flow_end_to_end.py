"""The whole flow for the sandbox through the pages, with a real worker and real Terraform:
request → plan → approve → apply → the environment listed with its outputs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.environments.models import Environment, EnvironmentStatus
from portal.requests.models import EnvironmentRequest, RequestState
from portal.runs.models import Run, RunKind
from tests.portal.runs.conftest import wait_for, wait_for_run

pytestmark = pytest.mark.integration


def test_request_plan_approve_apply_then_listed_with_outputs(
    client, portal_url, celery_worker, sandbox, requester, approver, team, django_capture_on_commit_callbacks
):
    client.force_login(requester)
    response = client.post(
        reverse("catalog:request", args=["local-sandbox"]),
        {
            "team": team.pk,
            "name": "flow-env",
            "tier": "staging",
            "rendered_tier": "staging",
            "app_replicas": "2",
            "greeting": "hi",
            "enable_cache": "on",
            "cache_size_mb": "128",
            "apply_seconds": "0",
            "api_token": "flow-secret-123",
            "reason": "end to end",
            "usage_profile": "medium",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    request = EnvironmentRequest.objects.get(environment_name="flow-env")
    assert request.estimate["complete"] is True  # the form estimate was kept with its catalog version
    client.post(reverse("requests:submit", args=[request.pk]))
    plan = Run.objects.get(request=request, kind=RunKind.PLAN)
    assert wait_for_run(plan).status == "succeeded"
    request.refresh_from_db()
    assert request.state == RequestState.AWAITING_APPROVAL and request.monthly_cost_usd is not None

    # The requester cannot approve; the team's approver can, on the sign-off page.
    client.post(reverse("requests:decide", args=[request.pk]), {"decision": "approve"})
    request.refresh_from_db()
    assert request.state == RequestState.AWAITING_APPROVAL
    client.force_login(approver)
    page = client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert "null_resource.app[1]" in page and "null_resource.cache[0]" in page and "RTO" in page
    # The sign-off form carries the SHA-256 of the plan it shows.
    assert f'name="plan_sha256" value="{request.plan_run.plan_sha256}"' in page
    decision = {"decision": "approve", "comment": "ok", "plan_sha256": request.plan_run.plan_sha256}
    client.post(reverse("requests:decide", args=[request.pk]), decision)
    apply = Run.objects.get(request=request, kind=RunKind.APPLY)
    assert wait_for_run(apply).status == "succeeded"
    wait_for(lambda: EnvironmentRequest.objects.get(pk=request.pk).state == RequestState.DONE, what="done")

    environment = Environment.objects.get(name="flow-env")
    assert environment.status == EnvironmentStatus.ACTIVE
    assert environment.monthly_cost_usd is not None
    client.force_login(requester)
    listing = client.get(reverse("environments:list")).content.decode()
    assert "flow-env" in listing
    detail = client.get(reverse("environments:detail", args=[environment.pk])).content.decode()
    assert "http://flow-env.sandbox.local" in detail and "flow-secret-123" not in detail
