from __future__ import annotations

import pytest
from django.db import transaction

from portal.environments.services import environment_create
from portal.requests.models import EnvironmentRequest, RequestState
from portal.requests.services import request_plan_ready
from tests.factories import EnvironmentRequestFactory, MembershipFactory, PlanRunFactory


@pytest.fixture
def second_approver(team):
    return MembershipFactory(team=team, role="approver").user


@pytest.fixture
def awaiting(sandbox, requester, team):
    """A staging request whose (recorded) plan succeeded: it now awaits approval."""

    def make(tier="staging", name="rq-env", changes="changes-1"):
        request = EnvironmentRequestFactory(
            team=team,
            requester=requester,
            blueprint_version=sandbox,
            environment_name=name,
            tier=tier,
            inputs={"app_replicas": 1},
            state=RequestState.PLANNING,
        )
        with transaction.atomic():
            request.environment = environment_create(request=request, actor=requester)
            request.save()
            plan = PlanRunFactory(environment=request.environment, request=request, changes_sha256=changes)
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
