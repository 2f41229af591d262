"""Looks inside the Redis broker: which task ids are waiting in a queue or held unacknowledged.

Kombu's Redis transport keeps each queue as a list of JSON messages and the messages a worker
has reserved in the `unacked` hash; a queued run whose id is in neither was lost (for example
when Redis restarted without persistence) and must be sent again.
"""

from __future__ import annotations

import json

import redis

QUEUES = ("celery", "runs", "drills", "images")


def queued_task_ids() -> set[str]:
    from portal.celery import app

    client = redis.Redis.from_url(app.conf.broker_url, socket_timeout=5)  # the transport Celery really uses
    ids: set[str] = set()
    raw_messages: list[bytes] = []
    for queue in QUEUES:
        raw_messages += client.lrange(queue, 0, -1)
        # Priority sub-queues of the Redis transport ("runs\x06\x163" ...).
        for key in client.scan_iter(match=f"{queue}\x06\x16*"):
            raw_messages += client.lrange(key, 0, -1)
    for value in client.hvals("unacked"):
        raw_messages.append(value)
    for raw in raw_messages:
        try:
            message = json.loads(raw)
        except ValueError:
            continue
        if isinstance(message, list):  # unacked entries are [message, exchange, routing_key]
            message = message[0]
        task_id = (message.get("headers") or {}).get("id")
        if task_id:
            ids.add(task_id)
    return ids
