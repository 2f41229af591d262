"""The Celery app: loaded only where it is used, and every task sent by name is registered."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from django.conf import settings

from tests.processes import ROOT

HEAVY = ("django", "celery", "kombu", "redis")


@pytest.mark.parametrize(
    "module",
    [
        "portal",
        "portal.costs.engine.estimator",
        "portal.costs.engine.rules",
        "portal.requests.policy",
        "blueprints.checks",
        "workers.runner",
    ],
)
def test_importing_a_pure_module_loads_no_framework(module: str) -> None:
    script = (
        f"import os, sys, {module}\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "print(heavy, os.environ.get('DJANGO_SETTINGS_MODULE'))\n"
    )
    env = {"PATH": "/usr/bin:/bin"}  # no DJANGO_SETTINGS_MODULE inherited from the test run
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[] None"


def test_the_worker_registers_every_task_the_portal_sends_or_schedules() -> None:
    from portal.celery import app

    app.loader.import_default_modules()  # what `celery -A portal.celery worker` does at start-up
    registered = {name for name in app.tasks if name.startswith("portal.")}
    sent = set()
    for path in [*(ROOT / "portal").rglob("*.py"), *(ROOT / "workers").rglob("*.py")]:
        sent |= set(re.findall(r"send_task\(\s*\"([^\"]+)\"", path.read_text()))
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "portal.run_execute" in sent
    assert sent | scheduled <= registered
