"""The Celery app. Tasks live in workers/; this module only wires Celery to Django settings.

Start workers and beat with `celery -A portal.celery ...`. Code that sends a task imports `app`
from here and sends it by name (`app.send_task("portal.run_execute", ...)`), so the sender never
imports the task module and its dependencies.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The worker imports these at start-up, which registers their @shared_task functions on this app.
app.conf.imports = ("workers.tasks",)

# The heartbeat bootstep lets /healthz tell whether any worker is alive.
from workers.heartbeat import WorkerHeartbeat  # noqa: E402

app.steps["worker"].add(WorkerHeartbeat)
