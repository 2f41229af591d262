"""Fixtures for the run engine: the catalog, a live portal (for Terraform's HTTP state backend)
and helpers to create environments and wait for runs."""

from __future__ import annotations

import time

import pytest

from portal.catalog.models import Blueprint
from portal.catalog.services import blueprints_sync
from portal.environments.services import environment_create
from portal.requests.models import EnvironmentRequest
from portal.runs.models import FINISHED_STATUSES, Run

SECRET = "tok-SuperSecret-9f8e7d"


@pytest.fixture
def sandbox(transactional_db):
    blueprints_sync()
    return Blueprint.objects.get(slug="local-sandbox").latest_version


@pytest.fixture
def make_environment(sandbox, requester, team):
    from portal.core.crypto import encrypt_json

    def make(name: str = "sbx", **inputs):
        values = {"app_replicas": 2, "greeting": "hello", "enable_cache": False, "apply_seconds": 0, **inputs}
        request = EnvironmentRequest.objects.create(
            team=team,
            requester=requester,
            blueprint_version=sandbox,
            environment_name=name,
            tier="dev",
            inputs=values,
            secret_inputs=encrypt_json({"api_token": SECRET}),
            secret_input_names=["api_token"],
        )
        from django.db import transaction

        with transaction.atomic():
            return environment_create(request=request, actor=requester)

    return make


def log_tail(run: Run, lines: int = 15) -> str:
    messages = list(run.log_lines.order_by("-seq").values_list("message", flat=True)[:lines])
    return f"run {run.pk} {run.status}: {run.error}\n" + "\n".join(reversed(messages))


def wait_for_run(run: Run, timeout: float = 60, statuses=FINISHED_STATUSES) -> Run:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in statuses:
            return run
        time.sleep(0.1)
    raise AssertionError(f"still not finished after {timeout}s: {log_tail(run)}")


def wait_for(predicate, timeout: float = 30, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
