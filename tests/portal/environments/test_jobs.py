"""Scheduled jobs: expiry reminders, destroy requests at expiry, drift scheduling; image links."""

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from portal.catalog.models import MachineImage
from portal.environments.jobs import environments_expire
from portal.environments.models import Environment, EnvironmentStatus
from portal.requests.models import EnvironmentRequest, RequestKind, RequestState
from portal.runs.jobs import environments_drift_schedule
from portal.runs.models import Run, RunKind, RunStatus


def test_tier_ttl_sets_the_expiry(make_environment):
    dev = make_environment(name="dev-env", tier="dev")
    prod = make_environment(name="prod-env", tier="prod")
    assert timedelta(days=6, hours=23) < dev.expires_at - timezone.now() <= timedelta(days=7)
    assert prod.expires_at is None


def test_owner_is_reminded_once_before_expiry(make_environment, requester):
    env = make_environment("ttl")
    Environment.objects.filter(pk=env.pk).update(
        status=EnvironmentStatus.ACTIVE, expires_at=timezone.now() + timedelta(hours=12)
    )
    assert environments_expire() == (1, 0)
    assert environments_expire() == (0, 0)
    assert len(mail.outbox) == 1 and requester.email in mail.outbox[0].to
    assert "destroy request" in mail.outbox[0].body


def test_at_expiry_a_destroy_request_goes_through_the_normal_flow(make_environment):
    env = make_environment("ttl")
    Environment.objects.filter(pk=env.pk).update(
        status=EnvironmentStatus.ACTIVE, expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert environments_expire() == (0, 1)
    destroy = EnvironmentRequest.objects.get(kind=RequestKind.DESTROY)
    assert destroy.state == RequestState.PLANNING and destroy.environment == env
    plan = Run.objects.get(request=destroy)
    assert plan.kind == RunKind.PLAN and plan.destroy_plan and plan.status == RunStatus.QUEUED
    # Nothing is applied without the normal plan and approval; a second pass opens nothing new.
    assert not Run.objects.filter(kind=RunKind.DESTROY).exists()
    assert environments_expire() == (0, 0)
    assert EnvironmentRequest.objects.filter(kind=RequestKind.DESTROY).count() == 1


def test_drift_checks_are_scheduled_for_active_environments_not_busy_ones(make_environment):
    active = make_environment(name="active-env")
    busy = make_environment(name="busy-env")
    make_environment(name="pending-env")
    Environment.objects.filter(pk__in=[active.pk, busy.pk]).update(status=EnvironmentStatus.ACTIVE)
    Run.objects.create(kind=RunKind.PLAN, environment=busy, status=RunStatus.RUNNING)
    assert environments_drift_schedule() == 1
    assert Run.objects.get(kind=RunKind.DRIFT).environment == active
    assert environments_drift_schedule() == 0  # the queued drift check makes it busy


def test_an_environment_records_its_image_and_the_image_lists_it(
    client, sandbox, make_environment, requester
):
    build = Run.objects.create(kind=RunKind.IMAGE_BUILD, image_source=sandbox, status=RunStatus.SUCCEEDED)
    image = MachineImage.objects.create(
        blueprint_version=sandbox, run=build, artifacts=[{"region": "", "image_id": "Null"}]
    )
    env = make_environment("ttl", image_id="Null")
    assert env.image == image
    client.force_login(requester)
    assert str(env) in client.get(f"/runs/images/{image.pk}/").content.decode()
