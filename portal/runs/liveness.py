"""What the reaper can truthfully say about a run whose heartbeat stopped: is its worker
process still alive (its Redis heartbeat), and the reason stored on the run."""

from __future__ import annotations

import time

from django.conf import settings

from portal.runs.models import Run


def worker_alive(worker_host: str) -> bool | None:
    """Whether the worker process still writes its Redis heartbeat (the last one is at most three
    intervals old; the key itself lives longer); None when Redis cannot say."""
    import redis

    from workers.heartbeat import HEARTBEAT_KEY_PREFIX

    if not worker_host:
        return None
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
        last_beat = client.get(HEARTBEAT_KEY_PREFIX + worker_host)
    except redis.RedisError:
        return None
    try:
        age = time.time() - float(last_beat or 0)
    except ValueError:
        return None
    return age <= 3 * settings.WORKER_HEARTBEAT_INTERVAL


def reap_reason(run: Run) -> str:
    """The stored reason of a reaped run: what is known about why its heartbeat stopped."""
    alive = worker_alive(run.worker_host)
    if alive is False:
        why = "its worker process is gone too (no Redis heartbeat): it crashed or was killed"
    elif alive:
        why = (
            "its worker process is still alive (it writes its Redis heartbeat), so the run lost "
            "its connection to the database or hangs"
        )
    else:
        why = "whether its worker process is alive is unknown (Redis did not answer)"
    return (
        f"The worker {run.worker_host or '(unknown)'} stopped heartbeating at "
        f"{run.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC; {why}. The recovery process marked the run "
        "failed and released its state lock."
    )
