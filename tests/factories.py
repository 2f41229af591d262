"""factory_boy factories for the portal's models."""

from __future__ import annotations

import functools
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from blueprints.spec import BLUEPRINTS_DIR, BlueprintSpec, load_all
from portal.accounts.models import Membership, Team
from portal.catalog.models import Blueprint, BlueprintVersion
from portal.catalog.services import blueprint_publish
from portal.core.crypto import encrypt_json
from portal.environments.models import Environment, EnvironmentStatus, StateVersion
from portal.environments.services import environment_create, state_write
from portal.requests.models import Approval, EnvironmentRequest
from portal.runs.models import Run, RunKind, RunPlanData, RunStatus


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"team-{n}")
    name = factory.LazyAttribute(lambda t: t.slug.replace("-", " ").title())
    cost_centre = factory.Sequence(lambda n: f"CC-{n:04d}")
    monthly_budget_usd = 1000


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = "requester"


# Reading and checking the blueprint folders is the slow part of publishing, so it happens once
# per test session; publishing the same spec again is a no-op ("unchanged").
@functools.cache
def _blueprint_specs() -> tuple[BlueprintSpec, ...]:
    return tuple(load_all(BLUEPRINTS_DIR))


def published_blueprints() -> dict[str, Blueprint]:
    """Publishes every blueprint folder under terraform/blueprints (what `blueprints sync` does)
    and returns the blueprints by slug, each with its latest version."""
    for spec in _blueprint_specs():
        blueprint_publish(spec=spec)
    return {b.slug: b for b in Blueprint.objects.select_related("latest_version")}


def published_sandbox() -> BlueprintVersion:
    """The real local-sandbox blueprint, published with the rest of the catalog."""
    return published_blueprints()["local-sandbox"].latest_version


class BlueprintFactory(factory.django.DjangoModelFactory):
    """A bare catalog entry (no Terraform), for tests that only need something to point at."""

    class Meta:
        model = Blueprint
        django_get_or_create = ("slug",)

    slug = "bare"
    title = factory.LazyAttribute(lambda b: b.slug.replace("-", " ").title())
    summary = "Only for tests."
    runtime = "local"


class BlueprintVersionFactory(factory.django.DjangoModelFactory):
    """A bare version of a bare blueprint; use published_sandbox() for one that can run."""

    class Meta:
        model = BlueprintVersion
        django_get_or_create = ("blueprint", "version")

    blueprint = factory.SubFactory(BlueprintFactory)
    version = "1.0.0"
    changes = ""
    metadata = factory.LazyFunction(dict)
    source_files = factory.LazyFunction(dict)
    source_sha256 = "0" * 64


# Inputs of a sandbox request; those its Terraform plans and applies quickly with, and its one
# sensitive input.
SANDBOX_INPUTS = {"app_replicas": 1}
SANDBOX_RUN_INPUTS = {"app_replicas": 2, "greeting": "hello", "enable_cache": False, "apply_seconds": 0}
SANDBOX_SECRET = "tok-SuperSecret-9f8e7d"


class EnvironmentRequestFactory(factory.django.DjangoModelFactory):
    """A draft create-request for the published sandbox."""

    class Meta:
        model = EnvironmentRequest

    team = factory.SubFactory(TeamFactory)
    requester = factory.SubFactory(UserFactory)
    blueprint_version = factory.LazyFunction(published_sandbox)
    environment_name = factory.Sequence(lambda n: f"env-{n}")
    tier = "dev"
    inputs = factory.LazyFunction(dict)

    class Params:
        # A request the runner can plan and apply: the sandbox's inputs plus an encrypted secret.
        runnable = factory.Trait(
            inputs=factory.LazyFunction(lambda: dict(SANDBOX_RUN_INPUTS)),
            secret_inputs=factory.LazyFunction(lambda: encrypt_json({"api_token": SANDBOX_SECRET})),
            secret_input_names=["api_token"],
        )


def environment_from_request(**request_fields: Any) -> Environment:
    """An environment made the way the portal makes one: a request, then environment_create."""
    request = EnvironmentRequestFactory(**request_fields)
    with transaction.atomic():
        return environment_create(request=request, actor=request.requester)


class EnvironmentFactory(factory.django.DjangoModelFactory):
    """An active environment row (no request, no run), of a bare blueprint unless told otherwise."""

    class Meta:
        model = Environment

    team = factory.SubFactory(TeamFactory)
    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"env-{n}")
    blueprint_version = factory.SubFactory(BlueprintVersionFactory)
    tier = "dev"
    status = EnvironmentStatus.ACTIVE
    state_password = factory.LazyFunction(lambda: encrypt_json("state-pw"))


class RunFactory(factory.django.DjangoModelFactory):
    """A finished, successful run of an environment."""

    class Meta:
        model = Run

    kind = RunKind.PLAN
    status = RunStatus.SUCCEEDED
    environment = factory.SubFactory(EnvironmentFactory)
    finished_at = factory.LazyFunction(timezone.now)


# A plan with one resource to create, as `terraform show -json` reports it (secrets redacted).
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


class PlanRunFactory(RunFactory):
    """A succeeded plan as the runner records it: hashes, the plan JSON and one resource to add."""

    changes_sha256 = "changes-1"
    plan_sha256 = factory.LazyAttribute(lambda run: (run.changes_sha256 * 64)[:64])
    plan_json = factory.LazyFunction(lambda: PLAN_JSON)
    plan_add = 1
    plan_change = 0
    plan_destroy = 0
    plan_resources = factory.LazyFunction(
        lambda: [{"address": "null_resource.app[0]", "type": "null_resource", "actions": ["create"]}]
    )

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Run:
        """The plan file and JSON go to the run's RunPlanData row, as run_complete writes them."""
        plan = {key: kwargs.pop(key) for key in ("plan_json", "plan_file") if key in kwargs}
        run = super()._create(model_class, *args, **kwargs)
        RunPlanData.objects.create(run=run, **plan)
        return run


STATE = b'{"version": 4, "serial": 1, "lineage": "lin-1", "outputs": {}, "resources": []}'


class StateVersionFactory(factory.django.DjangoModelFactory):
    """A state version stored through the backend's own service (encrypted, hashed)."""

    class Meta:
        model = StateVersion

    environment = factory.SubFactory(EnvironmentFactory)
    body = STATE

    @classmethod
    def _create(cls, model_class, *, environment, body, **kwargs):
        with transaction.atomic():
            return state_write(environment=environment, body=body, lock_id="")


class ApprovalFactory(factory.django.DjangoModelFactory):
    """A sign-off of the request's current plan."""

    class Meta:
        model = Approval

    request = factory.SubFactory(EnvironmentRequestFactory)
    approver = factory.SubFactory(UserFactory)
    decision = Approval.Decision.APPROVED
    plan_run = factory.LazyAttribute(lambda a: a.request.plan_run)
    plan_sha256 = factory.LazyAttribute(lambda a: a.plan_run.plan_sha256)
    changes_sha256 = factory.LazyAttribute(lambda a: a.plan_run.changes_sha256)


def post_sandbox_request_form(client, team, **values):
    """POSTs the sandbox blueprint's request form with valid values, overridden by `values`."""
    from django.urls import reverse

    data = {
        "team": team.pk,
        "name": "shop-dev",
        "tier": "dev",
        "rendered_tier": "dev",
        "app_replicas": "1",
        "greeting": "hi",
        "apply_seconds": "0",
        "cache_size_mb": "256",
        "api_token": "",
        **values,
    }
    return client.post(reverse("catalog:request", args=["local-sandbox"]), data)
