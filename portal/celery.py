"""The Celery app. Tasks live in workers/; this module only wires Celery to Django settings.

Start workers and beat with `celery -A portal.celery ...`. Code that sends a task imports `app`
from here and sends it by name (`app.send_task("portal.run_execute", ...)`), so the sender never
imports the task module and its dependencies.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import task_prerun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The worker imports these at start-up, which registers their @shared_task functions on this app.
app.conf.imports = ("workers.tasks",)

# The heartbeat bootstep lets /healthz tell whether any worker is alive.
from workers.heartbeat import WorkerHeartbeat  # noqa: E402

app.steps["worker"].add(WorkerHeartbeat)


@worker_init.connect
def persistent_database_connections(**kwargs: object) -> None:
    """In the worker's main process, before it forks its pool: connections last
    WORKER_DB_CONN_MAX_AGE, with a health check before the first query of each task (see
    WORKER_DB_CONN_MAX_AGE in settings)."""
    from django.conf import settings
    from django.db import connections

    if settings.WORKER_DB_CONN_MAX_AGE > 0:
        for alias in connections:
            connections[alias].settings_dict.update(
                CONN_MAX_AGE=settings.WORKER_DB_CONN_MAX_AGE, CONN_HEALTH_CHECKS=True
            )


@task_prerun.connect
def database_connections_check(task: Any = None, **kwargs: object) -> None:
    """Closes a kept connection that is too old or failed; the next query then checks that the
    one left still answers (CONN_HEALTH_CHECKS) and reconnects if not. Not for a task applied
    in-process (``task.apply()``): that one shares its caller's connection and transaction."""
    from django.db import close_old_connections

    if not getattr(getattr(task, "request", None), "is_eager", False):
        close_old_connections()
