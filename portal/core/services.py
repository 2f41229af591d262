"""Services of the core app."""

from __future__ import annotations

import socket

from portal.core.models import WorkerPing


def worker_ping_record(*, note: str) -> WorkerPing:
    """Writes a WorkerPing row with this host's name (called from the ping task)."""
    return WorkerPing.objects.create(note=note[:200], hostname=socket.gethostname())
