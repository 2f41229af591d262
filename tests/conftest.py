"""Shared fixtures: factories' users, the published sandbox blueprint and environments made from
it, a real Redis, and a real Celery worker process."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import (
    SANDBOX_INPUTS,
    SANDBOX_RUN_INPUTS,
    MembershipFactory,
    TeamFactory,
    environment_from_request,
    published_sandbox,
)
from tests.processes import ROOT, CeleryWorker, MotoServer, RedisServer, database_url


@pytest.fixture
def team(db):
    return TeamFactory()


@pytest.fixture
def requester(team):
    return MembershipFactory(team=team, role="requester").user


@pytest.fixture
def approver(team):
    return MembershipFactory(team=team, role="approver").user


@pytest.fixture
def platform_admin(db):
    return MembershipFactory(team=TeamFactory(slug="platform", name="Platform"), role="platform_admin").user


@pytest.fixture
def outsider(db):
    """A user in another team."""
    return MembershipFactory(role="requester").user


@pytest.fixture
def sandbox(db):
    """The local-sandbox blueprint version, published with the whole catalog."""
    return published_sandbox()


@pytest.fixture
def make_environment(sandbox, requester, team):
    """Environments of the sandbox, made from a request through environment_create (status
    pending). `runnable=True` gives the inputs and the secret the runner tests plan and apply with."""

    def make(name: str = "sbx", tier: str = "dev", runnable: bool = False, **inputs):
        request = {"team": team, "requester": requester, "blueprint_version": sandbox}
        request.update(environment_name=name, tier=tier, runnable=runnable)
        request["inputs"] = {**(SANDBOX_RUN_INPUTS if runnable else SANDBOX_INPUTS), **inputs}
        return environment_from_request(**request)

    return make


@pytest.fixture(scope="session")
def terraform_cli_config(tmp_path_factory) -> str:
    """A Terraform CLI config that installs the providers from an offline mirror built from the
    virtualenv's provider wheels (scripts/terraform_mirror.py), once per test session."""
    spec = importlib.util.spec_from_file_location(
        "terraform_mirror", ROOT / "scripts" / "terraform_mirror.py"
    )
    assert spec is not None and spec.loader is not None
    mirror_script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mirror_script)
    base = tmp_path_factory.mktemp("tf-mirror")
    mirror_script.build_mirror(base / "mirror", base / "terraformrc", Path(sys.prefix))
    return str(base / "terraformrc")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server, settings) -> str:
    """Points the portal (settings and the Celery app) at the test Redis, emptied first."""
    from portal.celery import app

    if not redis_server.answers():
        redis_server.start()
    settings.REDIS_URL = redis_server.url
    if app.conf.broker_url != redis_server.url:
        app.conf.broker_url = redis_server.url
        if app._pool is not None:  # drop connections to the old broker; the next send reconnects
            app._pool.force_close_all()
            app._pool = None
            app.amqp._producer_pool = None
    import redis

    redis.Redis.from_url(redis_server.url).flushdb()
    return redis_server.url


@pytest.fixture
def make_worker(transactional_db, redis_url, tmp_path, settings):
    """Starts real worker processes sharing the test database (committed data only)."""
    workers: list[CeleryWorker] = []
    settings.RUNS_WORK_DIR = tmp_path / "runs"

    def start(name: str = "test", concurrency: int = 1, **extra_env: str) -> CeleryWorker:
        env = {
            "RUNS_WORK_DIR": str(settings.RUNS_WORK_DIR),
            "PORTAL_INTERNAL_URL": settings.PORTAL_INTERNAL_URL,
            **extra_env,
        }
        worker = CeleryWorker(
            redis_url=redis_url,
            db_url=database_url(connection.settings_dict),
            logfile=tmp_path / f"worker-{name}-{len(workers)}.log",
            concurrency=concurrency,
            name=name,
            extra_env=env,
        )
        worker.start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def celery_worker(make_worker) -> CeleryWorker:
    return make_worker()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def aws_env(moto_server, monkeypatch) -> dict[str, str]:
    """Fake credentials aimed at the moto server, for this process and for child processes."""
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing-secret-key",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": moto_server.url,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2 costs ~0.45 s per factory user; tests do not test hashing strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def portal_url(live_server, settings):
    """Terraform in the worker reaches the state backend of this live server."""
    settings.PORTAL_INTERNAL_URL = live_server.url
    return live_server.url


@pytest.fixture
def notifications(redis_url):
    """Returns deliver(): takes the notification tasks the portal queued in the test Redis and
    runs each task's body, as a worker would, then returns mail.outbox."""
    import base64
    import json

    import redis
    from django.core import mail

    from workers.tasks import notification_send

    client = redis.Redis.from_url(redis_url)

    def deliver() -> list:
        while (raw := client.rpop("celery")) is not None:
            message = json.loads(raw)
            if message["headers"]["task"] != "portal.notification_send":
                continue
            args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
            notification_send(*args, **kwargs)
        return mail.outbox

    return deliver
