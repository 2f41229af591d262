"""Health checks for /healthz: the database, Redis and a live Celery worker heartbeat.

The full report (driver errors, which can name hosts and ports, and worker host names) is for
platform admins; everyone else, load balancers included, gets `public_report`: which parts failed.
"""

from __future__ import annotations

import time
from typing import Any

import redis
from django.conf import settings
from django.db import connection

from workers.heartbeat import HEARTBEAT_KEY_PREFIX


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means unhealthy; report it, never 500
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True, "vendor": connection.vendor}


def check_redis_and_workers() -> tuple[dict[str, Any], dict[str, Any]]:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
        keys = list(client.scan_iter(match=HEARTBEAT_KEY_PREFIX + "*", count=100))
        beats = {key.decode()[len(HEARTBEAT_KEY_PREFIX) :]: client.get(key) for key in keys}
    except redis.RedisError as exc:
        error = f"{type(exc).__name__}: {exc}"
        return {"ok": False, "error": error}, {"ok": False, "error": "Redis unreachable: " + error}
    finally:
        client.close()
    now = time.time()
    workers = {host: round(now - float(value), 1) for host, value in beats.items() if value is not None}
    live = {host: age for host, age in workers.items() if age <= settings.WORKER_HEARTBEAT_TTL}
    worker_status: dict[str, Any] = {"ok": bool(live), "workers": live}
    if not live:
        worker_status["error"] = f"no Celery worker heartbeat in the last {settings.WORKER_HEARTBEAT_TTL}s"
    return {"ok": True}, worker_status


def health_report() -> tuple[bool, dict[str, Any]]:
    redis_status, worker_status = check_redis_and_workers()
    checks = {"database": check_database(), "redis": redis_status, "celery_worker": worker_status}
    healthy = all(check["ok"] for check in checks.values())
    report: dict[str, Any] = {"status": "ok" if healthy else "unhealthy", "checks": checks}
    if not healthy:
        report["failing"] = [name for name, check in checks.items() if not check["ok"]]
    return healthy, report


def public_report(report: dict[str, Any]) -> dict[str, Any]:
    """The report without error text or host names: each check's name and whether it is ok."""
    public: dict[str, Any] = {
        "status": report["status"],
        "checks": {name: {"ok": check["ok"]} for name, check in report["checks"].items()},
    }
    if "failing" in report:
        public["failing"] = report["failing"]
    return public
