import time

import pytest
import redis

from portal.celery import app
from portal.core.models import WorkerPing
from tests.processes import wait_until
from workers.heartbeat import HEARTBEAT_KEY_PREFIX


@pytest.mark.django_db
def test_healthz_without_a_worker_is_503_naming_the_worker(client, redis_url):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["celery_worker"]
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]


@pytest.mark.django_db
def test_healthz_with_redis_down_is_503_naming_redis(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "redis" in response.json()["failing"]


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", [None, "requester"])
def test_healthz_names_the_failing_parts_but_no_error_text_unless_platform_admin(
    client, settings, viewer, request
):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    if viewer:
        client.force_login(request.getfixturevalue(viewer))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unhealthy",
        "checks": {"database": {"ok": True}, "redis": {"ok": False}, "celery_worker": {"ok": False}},
        "failing": ["redis", "celery_worker"],
    }
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db
def test_healthz_gives_a_platform_admin_the_errors(client, settings, platform_admin):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    client.force_login(platform_admin)
    body = client.get("/healthz").json()
    assert body["failing"] == ["redis", "celery_worker"]
    assert "127.0.0.1:1" in body["checks"]["redis"]["error"]
    assert body["checks"]["database"]["vendor"]


@pytest.mark.django_db
def test_healthz_stale_heartbeat_is_not_healthy(client, redis_url, settings):
    client_ = redis.Redis.from_url(redis_url)
    client_.set(HEARTBEAT_KEY_PREFIX + "old@host", str(time.time() - settings.WORKER_HEARTBEAT_TTL - 5))
    assert client.get("/healthz").status_code == 503


@pytest.mark.integration
def test_real_worker_processes_a_task_and_healthz_is_200(client, celery_worker, platform_admin):
    assert client.get("/healthz").json() == {
        "status": "ok",
        "checks": {"database": {"ok": True}, "redis": {"ok": True}, "celery_worker": {"ok": True}},
    }
    client.force_login(platform_admin)  # only an admin sees the workers' host names
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert any(host.startswith("test@") for host in response.json()["checks"]["celery_worker"]["workers"])

    app.send_task("portal.ping", args=["through redis"])  # by name, as the web process sends
    wait_until(lambda: WorkerPing.objects.filter(note="through redis").exists(), 30, "the worker's ping row")
    assert WorkerPing.objects.get(note="through redis").hostname

    celery_worker.stop()
    # The stopped worker deletes its key, so health turns 503 at once.
    assert client.get("/healthz").status_code == 503
