"""A worker bootstep that writes a heartbeat key to Redis every few seconds.

/healthz reads these keys: a worker that stopped (crashed, killed, lost Redis) lets its key expire.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

import redis
from celery import bootsteps

log = logging.getLogger(__name__)

HEARTBEAT_KEY_PREFIX = "portal:worker-heartbeat:"


class WorkerHeartbeat(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.tref: Any = None
        self.client: redis.Redis | None = None

    def start(self, worker: Any) -> None:
        from django.conf import settings

        self.client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
        self.key = HEARTBEAT_KEY_PREFIX + worker.hostname
        self.ttl = settings.WORKER_HEARTBEAT_TTL
        self.beat()
        self.tref = worker.timer.call_repeatedly(settings.WORKER_HEARTBEAT_INTERVAL, self.beat)

    def beat(self) -> None:
        try:
            assert self.client is not None
            self.client.set(self.key, str(time.time()), ex=self.ttl)
        except redis.RedisError as exc:  # Redis down: the key expires and /healthz says so.
            log.warning("worker heartbeat failed: %s", exc)

    def stop(self, worker: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
        if self.client is not None:
            with contextlib.suppress(redis.RedisError):
                self.client.delete(self.key)
