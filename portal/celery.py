"""The Celery app. Tasks live in workers/; this module only wires Celery to Django settings."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.imports = ("workers.tasks",)

# The heartbeat bootstep lets /healthz tell whether any worker is alive.
from workers.heartbeat import WorkerHeartbeat  # noqa: E402

app.steps["worker"].add(WorkerHeartbeat)
