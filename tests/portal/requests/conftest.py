from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from portal.catalog.models import Blueprint
from portal.catalog.services import blueprints_sync
from portal.environments.services import environment_create
from portal.requests.models import EnvironmentRequest, RequestState
from portal.requests.services import request_plan_ready
from portal.runs.models import Run, RunKind, RunStatus
from tests.factories import MembershipFactory

PLAN_JSON = {
    "resource_changes": [
        {
            "address": "null_resource.app[0]",
            "mode": "managed",
            "type": "null_resource",
            "name": "app",
            "change": {"actions": ["create"], "before": None, "after": {"triggers": {"name": "x"}}},
        },
    ]
}


@pytest.fixture
def sandbox_version(db):
    blueprints_sync()
    return Blueprint.objects.get(slug="local-sandbox").latest_version


@pytest.fixture
def second_approver(team):
    return MembershipFactory(team=team, role="approver").user


def fake_plan(environment, request, changes="changes-1", sha=None):
    return Run.objects.create(
        kind=RunKind.PLAN,
        environment=environment,
        request=request,
        status=RunStatus.SUCCEEDED,
        finished_at=timezone.now(),
        plan_sha256=sha or (changes * 64)[:64],
        changes_sha256=changes,
        plan_json=PLAN_JSON,
        plan_add=1,
        plan_change=0,
        plan_destroy=0,
        plan_resources=[{"address": "null_resource.app[0]", "type": "null_resource", "actions": ["create"]}],
    )


@pytest.fixture
def awaiting(sandbox_version, requester, team):
    """A staging request whose (recorded) plan succeeded: it now awaits approval."""

    def make(tier="staging", name="rq-env", changes="changes-1"):
        request = EnvironmentRequest.objects.create(
            team=team,
            requester=requester,
            blueprint_version=sandbox_version,
            environment_name=name,
            tier=tier,
            inputs={"app_replicas": 1},
            state=RequestState.PLANNING,
        )
        with transaction.atomic():
            request.environment = environment_create(request=request, actor=requester)
            request.save()
            plan = fake_plan(request.environment, request, changes)
            request_plan_ready(
                request=EnvironmentRequest.objects.select_for_update().get(pk=request.pk), plan_run=plan
            )
        request.refresh_from_db()
        return request

    return make


@pytest.fixture(autouse=True)
def default_policies(db):
    """Transactional tests flush the policies the data migration created; put them back."""
    from portal.requests.services import approval_policies_ensure_defaults

    approval_policies_ensure_defaults()
