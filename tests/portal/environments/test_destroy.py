"""Destroy done right: a confirmation with the typed name and a reason, the owner and the team told
when it is requested and when it completes, and a destroyed environment shown as destroyed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal.environments.models import Environment, EnvironmentStatus
from portal.environments.services import environment_applied
from portal.requests.models import EnvironmentRequest, RequestKind, RequestState
from portal.requests.services import request_plan_ready, request_run_finished
from portal.runs.models import Run, RunKind, RunStatus
from tests.factories import STATE, MembershipFactory, PlanRunFactory, StateVersionFactory


@pytest.fixture
def live(make_environment):
    environment = make_environment(name="shop-dev", tier="dev")
    Environment.objects.filter(pk=environment.pk).update(
        status=EnvironmentStatus.ACTIVE,
        outputs={"url": {"value": "http://shop", "sensitive": False}},
        expires_at=timezone.now() + timedelta(days=3),
    )
    environment.refresh_from_db()
    return environment


@pytest.fixture(autouse=True)
def default_policies(db):
    from portal.requests.services import approval_policies_ensure_defaults

    approval_policies_ensure_defaults()


def test_the_environment_page_links_to_the_confirmation_not_a_one_click_post(client, live, requester):
    client.force_login(requester)
    html = client.get(reverse("environments:detail", args=[live.pk])).content.decode()
    confirm = reverse("requests:destroy", args=[live.pk])
    assert f'href="{confirm}"' in html and f'action="{confirm}"' not in html
    page = client.get(confirm).content.decode()
    assert 'name="confirm_name"' in page and 'name="reason"' in page
    assert not EnvironmentRequest.objects.filter(kind=RequestKind.DESTROY).exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"confirm_name": "shop", "reason": "done"}, "Type the environment&#x27;s name, shop-dev"),
        ({"confirm_name": "shop-dev", "reason": "  "}, "Say why this environment should be destroyed."),
        ({}, "Type the environment&#x27;s name"),
    ],
)
def test_a_wrong_name_or_no_reason_creates_nothing(client, live, requester, data, error):
    client.force_login(requester)
    response = client.post(reverse("requests:destroy", args=[live.pk]), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not EnvironmentRequest.objects.filter(kind=RequestKind.DESTROY).exists()
    assert not Run.objects.exists()


def test_a_confirmed_destroy_is_submitted_and_owner_and_team_are_told(
    client, live, requester, team, notifications, django_capture_on_commit_callbacks
):
    teammate = MembershipFactory(team=team, role="requester").user
    outsider = MembershipFactory(role="requester").user
    client.force_login(requester)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("requests:destroy", args=[live.pk]),
            {"confirm_name": "shop-dev", "reason": "Project over"},
        )
    destroy = EnvironmentRequest.objects.get(kind=RequestKind.DESTROY)
    assert response["Location"] == reverse("requests:detail", args=[destroy.pk])
    assert destroy.state == RequestState.PLANNING and destroy.reason == "Project over"
    assert Run.objects.get(request=destroy).destroy_plan
    told = [m for m in notifications() if "destroy requested" in m.subject]
    assert told and {requester.email, teammate.email} <= set(told[0].to)
    assert outsider.email not in told[0].to and "Project over" in told[0].body

    # A second destroy of the same environment is refused while this one is open.
    again = client.post(
        reverse("requests:destroy", args=[live.pk]), {"confirm_name": "shop-dev", "reason": "twice"}
    )
    assert again.status_code == 400 and "already has a destroy request" in again.content.decode()
    assert EnvironmentRequest.objects.filter(kind=RequestKind.DESTROY).count() == 1


def test_a_completed_destroy_is_announced_and_shown_as_destroyed(
    client, live, requester, team, notifications, django_capture_on_commit_callbacks
):
    teammate = MembershipFactory(team=team, role="requester").user
    final = StateVersionFactory(environment=live, body=STATE)
    client.force_login(requester)
    client.post(reverse("requests:destroy", args=[live.pk]), {"confirm_name": "shop-dev", "reason": "over"})
    destroy = EnvironmentRequest.objects.get(kind=RequestKind.DESTROY)
    Run.objects.filter(request=destroy).update(status=RunStatus.CANCELLED)
    with transaction.atomic():  # dev: a destroy plan under $100/month is approved automatically
        plan = PlanRunFactory(environment=live, request=destroy, destroy_plan=True)
        request_plan_ready(
            request=EnvironmentRequest.objects.select_for_update().get(pk=destroy.pk), plan_run=plan
        )
    run = Run.objects.get(request=destroy, kind=RunKind.DESTROY)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.SUCCEEDED, finished_at=timezone.now())
    run.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        environment_applied(environment_id=live.pk, destroyed=True, outputs={}, run_id=run.pk)
        request_run_finished(request_id=destroy.pk, run=run)
    told = [m for m in notifications() if f"destroyed by run #{run.pk}" in m.subject]
    assert told and {requester.email, teammate.email} <= set(told[0].to)

    live.refresh_from_db()
    assert live.status == EnvironmentStatus.DESTROYED and live.destroyed_by_run_id == run.pk
    assert live.destroyed_at is not None and live.expires_at is None and live.outputs == {}
    assert live.state_versions.filter(pk=final.pk).exists()  # the final state version is kept

    html = client.get(reverse("environments:detail", args=[live.pk])).content.decode()
    assert 'data-testid="destroyed"' in html and f'href="{reverse("runs:detail", args=[run.pk])}"' in html
    assert f"serial {final.serial}" in html and "kept" in html
    assert "No outputs: the environment is destroyed." in html
    assert 'data-testid="destroyed-cost">$0.00' in html  # a destroyed environment costs nothing
    assert "<th>Expires</th>" not in html and "http://shop" not in html
    assert reverse("requests:destroy", args=[live.pk]) not in html
