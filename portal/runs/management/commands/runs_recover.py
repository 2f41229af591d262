"""`manage.py runs_recover`: the recovery process (docker-compose's `recovery` service)."""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand

from portal.runs.recovery import recover_forever


class Command(BaseCommand):
    help = (
        "Fails runs whose worker stopped heartbeating, releases their state locks and re-sends "
        "queued runs whose message was lost, every RUN_RECOVER_INTERVAL_S, with or without a "
        "live worker."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")

    def handle(self, *args: Any, once: bool = False, **options: Any) -> None:
        stopping: list[int] = []

        def stop(signum: int, frame: object) -> None:
            stopping.append(signum)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        recover_forever(should_stop=lambda: bool(stopping), once=once)
