"""Celery tasks. Each one is an adapter: it loads ids and calls one service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="portal.ping")
def ping(note: str) -> None:
    """Records that a worker processed a message; used by /healthz checks and the worker tests."""
    from portal.core.services import worker_ping_record

    worker_ping_record(note=note)
