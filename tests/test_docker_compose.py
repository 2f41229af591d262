"""docker-compose.yml cannot run here (no Docker engine): check it is complete and points at real code."""

import importlib
import re

import yaml

from tests.processes import ROOT


def load():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_have_healthchecks_and_volumes():
    compose = load()
    assert set(compose["services"]) == {"postgres", "redis", "web", "worker", "beat"}
    for name, service in compose["services"].items():
        assert "healthcheck" in service, name
        assert service.get("volumes"), name
    assert {"postgres-data", "redis-data", "portal-data"} <= set(compose["volumes"])


def test_each_command_points_at_something_in_the_project():
    compose = load()
    commands = {name: " ".join(svc.get("command", [])) for name, svc in compose["services"].items()}
    wsgi_module, attr = re.search(r"gunicorn (\S+):(\S+)", commands["web"]).groups()
    assert hasattr(importlib.import_module(wsgi_module), attr)
    assert "manage.py migrate" in commands["web"] and (ROOT / "manage.py").exists()
    for name in ("worker", "beat"):
        app_module = re.search(r"celery -A (\S+)", commands[name]).group(1)
        assert importlib.import_module(app_module).app.main == "portal"
    queues = re.search(r"-Q (\S+)", commands["worker"]).group(1).split(",")
    assert {"runs", "drills", "images"} <= set(queues)
    assert (ROOT / "Dockerfile").exists()
    assert compose["services"]["web"]["build"] == "."
